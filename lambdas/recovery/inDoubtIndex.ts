/**
 * Finds PREPARED records through each participant table's sparse `inDoubt` index, and prepared holds that
 * live in their item through its sparse `heldItems` index (one ref per `P` entry of each item found): a
 * Query of every shard of each index's partition key, never a Scan.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchReadConsistent } from '../participants/batchRead.js';
import { HELD_ITEMS_INDEX, HELD_PARTITIONS, HELD_SHARD } from '../participants/itemIntents.js';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT, PARTITION_KEY } from '../participants/table.js';
import { intentEntryOf } from '../protocol/heldIntent.js';
import type { InDoubtPort, PreparedRecordRef } from './ports.js';
import { type StreamRead, mergeOldestFirst } from './sortedStreams.js';

const PAGE = 100;

/** `tables` maps each participant name to its table. */
export function inDoubtIndex(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>): InDoubtPort {
  /**
   * Every prepared entry of the items `heldItems` lists, each item read consistently (the index is
   * eventually consistent and keys only). An entry's time is its own `at`, not the item's `heldSince`
   * (when the item gained its first hold), so the items are read whole, up to `limit` per shard;
   * `full` says some shard held more.
   */
  async function heldInItems(participant: string, tableName: string, limit: number): Promise<{ refs: PreparedRecordRef[]; full: boolean }> {
    const pks: string[] = [];
    let full = false;
    for (const partition of HELD_PARTITIONS) {
      let out: { Items?: Array<Record<string, unknown>>; LastEvaluatedKey?: Record<string, unknown> };
      try {
        out = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: HELD_ITEMS_INDEX,
            KeyConditionExpression: '#shard = :shard',
            ExpressionAttributeNames: { '#shard': HELD_SHARD },
            ExpressionAttributeValues: { ':shard': partition },
            Limit: limit,
          }),
        );
      } catch (error) {
        // A table from before the index (a team's own, or a local one kept from an older version) holds nothing in its items.
        if (isMissingIndex(error)) return { refs: [], full: false };
        throw error;
      }
      for (const item of out.Items ?? []) if (typeof item[PARTITION_KEY] === 'string') pks.push(item[PARTITION_KEY]);
      if (out.LastEvaluatedKey) full = true;
    }
    const items = await batchReadConsistent(
      client,
      tableName,
      pks.map((pk) => ({ [PARTITION_KEY]: pk })),
    );
    const refs = items.flatMap((item) =>
      Object.entries((item.intents ?? {}) as Record<string, unknown>).flatMap(([txnId, raw]): PreparedRecordRef[] => {
        const entry = intentEntryOf(raw);
        if (entry?.s !== 'P' || typeof entry.op !== 'object' || entry.op === null) return [];
        return [{ participant, txnId, inDoubtSince: entry.at, operations: [entry.op as Record<string, unknown>] }];
      }),
    );
    return { refs, full };
  }

  async function preparedInShard(participant: string, tableName: string, partition: string, before: string, limit: number): Promise<PreparedRecordRef[]> {
    const found: PreparedRecordRef[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: IN_DOUBT_INDEX,
          KeyConditionExpression: '#partition = :prepared AND #since <= :before',
          ExpressionAttributeNames: { '#partition': IN_DOUBT_PARTITION, '#since': IN_DOUBT_SORT },
          ExpressionAttributeValues: { ':prepared': partition, ':before': before },
          ProjectionExpression: 'txnId, #since',
          Limit: Math.min(PAGE, limit - found.length),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        if (typeof item.txnId === 'string' && typeof item[IN_DOUBT_SORT] === 'string') {
          found.push({ participant, txnId: item.txnId, inDoubtSince: item[IN_DOUBT_SORT] });
        }
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  /**
   * Each shard is sorted by inDoubtSince, so the oldest `limit` of the table are among each shard's
   * oldest `limit`. Shards one after another, tables side by side: a sweep over many participants
   * must not open hundreds of requests at once (they would queue for the client's sockets).
   */
  async function preparedIn(participant: string, tableName: string, before: string, limit: number): Promise<PreparedRecordRef[]> {
    const found: PreparedRecordRef[] = [];
    for (const partition of IN_DOUBT_PARTITIONS) found.push(...(await preparedInShard(participant, tableName, partition, before, limit)));
    found.push(...(await heldInItems(participant, tableName, limit)).refs.filter((ref) => ref.inDoubtSince <= before));
    return oldestFirst(found, limit);
  }

  /** The index is sorted by inDoubtSince: the first entry of each participant's partition is its oldest. */
  async function oldestInShard(tableName: string, partition: string): Promise<string | undefined> {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: IN_DOUBT_INDEX,
        KeyConditionExpression: '#partition = :prepared',
        ExpressionAttributeNames: { '#partition': IN_DOUBT_PARTITION, '#since': IN_DOUBT_SORT },
        ExpressionAttributeValues: { ':prepared': partition },
        ProjectionExpression: '#since',
        Limit: 1,
      }),
    );
    const since = out.Items?.[0]?.[IN_DOUBT_SORT];
    return typeof since === 'string' ? since : undefined;
  }

  async function oldestIn(participant: string, tableName: string): Promise<string | undefined> {
    const oldest: string[] = [];
    for (const partition of IN_DOUBT_PARTITIONS) {
      const since = await oldestInShard(tableName, partition);
      if (since !== undefined) oldest.push(since);
    }
    for (const ref of (await heldInItems(participant, tableName, PAGE)).refs) oldest.push(ref.inDoubtSince);
    return oldest.sort()[0];
  }

  /** One query of one shard from `from` on: a single page, `full` when the index holds more beyond it. */
  async function heldInShard(
    participant: string,
    tableName: string,
    partition: string,
    from: string | undefined,
    limit: number,
  ): Promise<StreamRead<PreparedRecordRef>> {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: IN_DOUBT_INDEX,
        KeyConditionExpression: from === undefined ? '#partition = :prepared' : '#partition = :prepared AND #since >= :from',
        ExpressionAttributeNames: { '#partition': IN_DOUBT_PARTITION, '#since': IN_DOUBT_SORT },
        ExpressionAttributeValues: { ':prepared': partition, ...(from === undefined ? {} : { ':from': from }) },
        ProjectionExpression: 'txnId, #since',
        Limit: limit,
      }),
    );
    const entries = (out.Items ?? []).flatMap((item) =>
      typeof item.txnId === 'string' && typeof item[IN_DOUBT_SORT] === 'string' ? [{ participant, txnId: item.txnId, inDoubtSince: item[IN_DOUBT_SORT] }] : [],
    );
    return { entries, full: out.LastEvaluatedKey !== undefined };
  }

  return {
    participants: [...tables.keys()],
    async heldFrom(from, limit) {
      const reads: StreamRead<PreparedRecordRef>[] = [];
      // Shards one after another, tables side by side, as preparedBefore does.
      const perTable = await Promise.all(
        [...tables].map(async ([participant, table]) => {
          const found: StreamRead<PreparedRecordRef>[] = [];
          for (const partition of IN_DOUBT_PARTITIONS) found.push(await heldInShard(participant, table, partition, from, limit));
          const inItems = await heldInItems(participant, table, limit);
          const entries = oldestFirst(
            inItems.refs.filter((ref) => from === undefined || ref.inDoubtSince >= from),
            Number.MAX_SAFE_INTEGER,
          );
          found.push({ entries, full: inItems.full });
          return found;
        }),
      );
      for (const table of perTable) reads.push(...table);
      const merged = mergeOldestFirst(
        reads,
        (r) => r.inDoubtSince,
        (a, b) => a.txnId.localeCompare(b.txnId) || a.participant.localeCompare(b.participant),
      );
      return { refs: merged.entries, exhausted: merged.exhausted };
    },
    async oldestPreparedSince() {
      const oldest = await Promise.all([...tables].map(([participant, table]) => oldestIn(participant, table)));
      return oldest.filter((s): s is string => s !== undefined).sort()[0];
    },
    async preparedBefore(before, limit) {
      const perTable = await Promise.all([...tables].map(([participant, table]) => preparedIn(participant, table, before, limit)));
      return oldestFirst(perTable.flat(), limit);
    },
  };
}

/** DynamoDB's answer to a Query of an index the table does not have. */
const isMissingIndex = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message) && /not have|specified index/i.test(error.message);

const oldestFirst = (refs: PreparedRecordRef[], limit: number) => refs.sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince)).slice(0, limit);
