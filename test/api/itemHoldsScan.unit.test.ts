/**
 * How far the item view reads a participant's `inDoubt` index (api/itemReads.ts readHolds): every page of every
 * shard until HOLDS_SCAN_LIMIT records are listed, each Query asking only for the room left, and `complete` false
 * when a page or a shard was left unread. Against a fake client that pages as DynamoDB does.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { HOLDS_SCAN_LIMIT, readHolds } from '../../lambdas/api/itemReads.js';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITIONS } from '../../lambdas/participants/table.js';

/** The shard a Query names, whatever its placeholder. */
const shardOf = (input: QueryCommandInput): string =>
  String(Object.values(input.ExpressionAttributeValues ?? {}).find((v) => IN_DOUBT_PARTITIONS.includes(v as string)));

/**
 * A participant table whose `inDoubt` shards list `listed` (shard -> txnIds), each a PREPARED record debiting `key`.
 * `pageCap` stands for DynamoDB's 1 MB a page: a page ends there too, before its Limit.
 */
function fakeTable(listed: Record<string, string[]>, key: string, pageCap = Number.POSITIVE_INFINITY) {
  const queries: QueryCommandInput[] = [];
  const client = {
    async send(command: unknown) {
      if (command instanceof QueryCommand) {
        const input = command.input;
        queries.push(input);
        const txnIds = listed[shardOf(input)] ?? [];
        const from = (input.ExclusiveStartKey?.at as number | undefined) ?? 0;
        const page = txnIds.slice(from, from + Math.min(input.Limit ?? txnIds.length, pageCap));
        const end = from + page.length;
        // DynamoDB answers a page cut by its Limit with a LastEvaluatedKey, and one cut by size when more follows.
        const cut = page.length === input.Limit || end < txnIds.length;
        return { Items: page.map((txnId) => ({ txnId })), ...(cut ? { LastEvaluatedKey: { at: end } } : {}) };
      }
      if (command instanceof GetCommand) return {};
      if (command instanceof BatchGetCommand) {
        const [table, { Keys }] = Object.entries(command.input.RequestItems ?? {})[0] as [string, { Keys: Array<{ pk: string }> }];
        const records = Keys.map(({ pk }) => ({
          pk,
          txnId: pk.slice('TXN#'.length),
          state: 'PREPARED',
          operations: [{ op: 'debit', key, amount: 1 }],
          preparedAt: pk,
        }));
        return { Responses: { [table]: records } };
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, queries };
}

const txns = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const shard = (i: number) => IN_DOUBT_PARTITIONS[i] as string;

describe("the item view's read of the inDoubt index", () => {
  it('reads every shard, oldest first, and says it is complete when all fit', async () => {
    const { client, queries } = fakeTable({ [shard(2)]: txns('b', 2), [shard(9)]: txns('a', 1) }, 'alice');
    const { holds, complete } = await readHolds(client, 'orders', 'alice');
    expect(complete).toBe(true);
    expect(holds.map((h) => h.txnId)).toEqual(['a000', 'b000', 'b001']);
    expect(queries.map((q) => shardOf(q))).toEqual(IN_DOUBT_PARTITIONS);
    expect(queries.every((q) => q.IndexName === IN_DOUBT_INDEX && q.ProjectionExpression === 'txnId')).toBe(true);
    // Each Query asks for the room left.
    expect(queries.map((q) => q.Limit)).toEqual([200, 200, 200, 198, 198, 198, 198, 198, 198, 198, 197, 197, 197, 197, 197, 197]);
  });

  it('stops at HOLDS_SCAN_LIMIT with more unread: later shards are not queried, and it is not complete', async () => {
    const { client, queries } = fakeTable({ [shard(0)]: txns('a', 150), [shard(3)]: txns('b', 60), [shard(7)]: txns('c', 5) }, 'alice');
    const { holds, complete } = await readHolds(client, 'orders', 'alice');
    expect(complete).toBe(false);
    expect(holds).toHaveLength(HOLDS_SCAN_LIMIT);
    expect(queries.map((q) => [shardOf(q), q.Limit])).toEqual([
      [shard(0), 200],
      [shard(1), 50],
      [shard(2), 50],
      [shard(3), 50],
    ]);
  });

  it('pages through a shard whose pages end before their Limit, the room shrinking page by page', async () => {
    const { client, queries } = fakeTable({ [shard(0)]: txns('a', 120), [shard(1)]: txns('b', 100) }, 'alice', 30);
    const { holds, complete } = await readHolds(client, 'orders', 'alice');
    expect(complete).toBe(false);
    expect(holds).toHaveLength(HOLDS_SCAN_LIMIT);
    expect(queries.map((q) => [shardOf(q), q.Limit, q.ExclusiveStartKey?.at ?? null])).toEqual([
      [shard(0), 200, null],
      [shard(0), 170, 30],
      [shard(0), 140, 60],
      [shard(0), 110, 90],
      [shard(1), 80, null],
      [shard(1), 50, 30],
      [shard(1), 20, 60],
    ]);
  });
});
