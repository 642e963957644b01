/**
 * Finds PREPARED records through each participant table's sparse `inDoubt` index, never a Scan of the
 * table. Per table, a sweep first asks whether the index holds anything at all (indexProbe.ts: one
 * read, and an idle table costs nothing more); only then it queries every shard, once: each shard is
 * sorted by inDoubtSince, so its first page gives both the shard's oldest record (for the age alarm,
 * however young) and its records old enough to act on, up to the first younger one.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT } from '../participants/table.js';
import { inDoubtHeld } from './inDoubtHeld.js';
import { inDoubtIndexHoldsAny } from './indexProbe.js';
import type { InDoubtPort, InDoubtRead, PreparedRecordRef } from './ports.js';
import { mergedReads } from './sortedStreams.js';

const PAGE = 100;

/** `tables` maps each participant name to its table. */
export function inDoubtIndex(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>): InDoubtPort {
  /** One shard from its oldest record on: those prepared no later than `before` (at most `limit`), and the oldest however young. */
  async function readShard(participant: string, tableName: string, partition: string, before: string, limit: number): Promise<InDoubtRead> {
    const refs: PreparedRecordRef[] = [];
    let oldestSince: string | undefined;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: IN_DOUBT_INDEX,
          KeyConditionExpression: '#partition = :prepared',
          ExpressionAttributeNames: { '#partition': IN_DOUBT_PARTITION, '#since': IN_DOUBT_SORT },
          ExpressionAttributeValues: { ':prepared': partition },
          ProjectionExpression: 'txnId, #since',
          Limit: Math.max(1, Math.min(PAGE, limit - refs.length)),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const since = item[IN_DOUBT_SORT];
        if (typeof item.txnId !== 'string' || typeof since !== 'string') continue;
        oldestSince ??= since;
        // Oldest first: from the first record younger than `before` on, none is old enough.
        if (since > before) return { refs, oldestSince };
        refs.push({ participant, txnId: item.txnId, inDoubtSince: since });
      }
      start = out.LastEvaluatedKey;
    } while (start && refs.length < limit);
    return { refs, oldestSince };
  }

  /** Shards one after another, tables side by side: a sweep over many participants must not open hundreds of requests at once. */
  async function readTable(participant: string, tableName: string, before: string, limit: number): Promise<InDoubtRead> {
    if (!(await inDoubtIndexHoldsAny(client, tableName))) return { refs: [] };
    const shards: InDoubtRead[] = [];
    for (const partition of IN_DOUBT_PARTITIONS) shards.push(await readShard(participant, tableName, partition, before, limit));
    return mergedReads(shards, limit);
  }

  return {
    participants: [...tables.keys()],
    ...inDoubtHeld(client, tables),
    async preparedBefore(before, limit) {
      return mergedReads(await Promise.all([...tables].map(([participant, table]) => readTable(participant, table, before, limit))), limit);
    },
  };
}
