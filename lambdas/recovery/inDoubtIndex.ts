/**
 * Finds PREPARED records through each participant table's sparse `inDoubt` index, never a Scan of the
 * table. Per table, the sweeper first asks whether the index holds anything at all (`holdsAny`, given
 * by recovery: indexProbe.ts, one read, and an idle table costs nothing more); only then it queries
 * every shard, once: each shard is sorted by inDoubtSince, so its first page gives both the shard's
 * oldest record (for the age alarm, however young) and its records old enough to act on, up to the
 * first younger one. The API's listings, which never sweep, get no probe and bundle no Scan; they page
 * through every shard from some instant on (heldFrom).
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT } from '../participants/table.js';
import type { InDoubtPort, InDoubtRead, PreparedRecordRef } from './ports.js';
import { type StreamRead, mergeOldestFirst, mergedReads } from './sortedStreams.js';

const PAGE = 100;

/** Whether a participant table's `inDoubt` index holds anything; false lets a sweep skip the table's shards. */
export type InDoubtProbe = (tableName: string) => Promise<boolean>;

/** `tables` maps each participant name to its table. */
export function inDoubtIndex(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>, holdsAny?: InDoubtProbe): InDoubtPort {
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
    if (holdsAny && !(await holdsAny(tableName))) return { refs: [] };
    const shards: InDoubtRead[] = [];
    for (const partition of IN_DOUBT_PARTITIONS) shards.push(await readShard(participant, tableName, partition, before, limit));
    return mergedReads(shards, limit);
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
    async preparedBefore(before, limit) {
      return mergedReads(await Promise.all([...tables].map(([participant, table]) => readTable(participant, table, before, limit))), limit);
    },
  };
}
