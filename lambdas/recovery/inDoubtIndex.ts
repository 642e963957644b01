/**
 * Finds PREPARED records through each participant table's sparse `inDoubt` index, and prepared holds that
 * live in their item through its sparse `heldItems` index (one ref per `P` entry of each item found), never
 * a Scan of the table. Per table and index, the sweeper first asks whether the index holds anything at all
 * (`holdsAny`, given by recovery: indexProbe.ts, one read, and an idle table costs nothing more); only then
 * it queries every shard, once: each `inDoubt` shard is sorted by inDoubtSince, so its first page gives both
 * the shard's oldest record (for the age alarm, however young) and its records old enough to act on, up to
 * the first younger one. The API's listings, which never sweep, get no probe and bundle no Scan; they page
 * through every shard from some instant on (heldFrom).
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchReadConsistent } from '../participants/batchRead.js';
import { heldItemKeys, isMissingIndex } from '../participants/heldItemsIndex.js';
import { HELD_ITEMS_INDEX, HELD_PARTITIONS } from '../participants/itemIntents.js';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT, PARTITION_KEY } from '../participants/table.js';
import { intentEntryOf } from '../protocol/heldIntent.js';
import type { HeldItemsTidy } from './heldItemsTidy.js';
import type { ParticipantIndex } from './indexProbe.js';
import type { InDoubtPort, InDoubtRead, PreparedRecordRef } from './ports.js';
import { type StreamRead, mergeOldestFirst, mergedReads } from './sortedStreams.js';

const PAGE = 100;

/** Whether one sparse index of a participant table holds anything; false lets a sweep skip that index's shards. */
export type InDoubtProbe = (tableName: string, index: ParticipantIndex) => Promise<boolean>;

/**
 * `tables` maps each participant name to its table. The sweeper gives `holdsAny` and `tidy` (heldItemsTidy.ts:
 * the items it reads through `heldItems` that have held nothing for a while leave the index); the listings give
 * neither, and write nothing.
 */
export function inDoubtIndex(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>, holdsAny?: InDoubtProbe, tidy?: HeldItemsTidy): InDoubtPort {
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

  /**
   * Every prepared entry of the items `heldItems` lists, each item read consistently (the index is
   * eventually consistent and keys only). An entry's time is its own `at`, not the item's `heldSince`
   * (when the item gained its first hold), so the items are read whole, up to `limit` per shard, or with
   * `everyPage` (the sweep) every page of every shard: the index also lists items that held something in the
   * last minute or two (their keys leave lazily, heldItemsTidy.ts), and a busy one, never leaving, sorts
   * first, so a first page alone could hide a hold for good. `full` says some shard held more than was read.
   * `probe` asks the index first whether it holds anything. `tidy` gets every item read, and takes the idle
   * ones out of the index.
   */
  async function heldInItems(
    participant: string,
    tableName: string,
    limit: number,
    sweep: { everyPage: boolean; probe?: InDoubtProbe; tidy?: HeldItemsTidy } = { everyPage: false },
  ): Promise<{ refs: PreparedRecordRef[]; full: boolean }> {
    const pks: string[] = [];
    let full = false;
    try {
      if (sweep.probe && !(await sweep.probe(tableName, HELD_ITEMS_INDEX))) return { refs: [], full: false };
      for (const partition of HELD_PARTITIONS) {
        let start: Record<string, unknown> | undefined;
        do {
          const page = await heldItemKeys(client, tableName, partition, limit, start);
          pks.push(...page.pks);
          start = sweep.everyPage ? page.next : undefined;
          if (page.next && !sweep.everyPage) full = true;
        } while (start);
      }
    } catch (error) {
      // A table from before the index (a team's own, or a local one kept from an older version) holds nothing in its items.
      if (isMissingIndex(error)) return { refs: [], full: false };
      throw error;
    }
    const items = await batchReadConsistent(
      client,
      tableName,
      pks.map((pk) => ({ [PARTITION_KEY]: pk })),
    );
    if (sweep.tidy) await sweep.tidy(tableName, items);
    const refs = items.flatMap((item) =>
      Object.entries((item.intents ?? {}) as Record<string, unknown>).flatMap(([txnId, raw]): PreparedRecordRef[] => {
        const entry = intentEntryOf(raw);
        if (entry?.s !== 'P' || typeof entry.op !== 'object' || entry.op === null) return [];
        return [{ participant, txnId, inDoubtSince: entry.at, operations: [entry.op as Record<string, unknown>] }];
      }),
    );
    return { refs, full };
  }

  /** The held items' entries prepared no later than `before` (at most `limit`), and the oldest entry however young. */
  async function readHeldItems(participant: string, tableName: string, before: string, limit: number): Promise<InDoubtRead> {
    const { refs } = await heldInItems(participant, tableName, limit, { everyPage: true, ...(holdsAny ? { probe: holdsAny } : {}), ...(tidy ? { tidy } : {}) });
    const sorted = oldestFirst(refs, Number.MAX_SAFE_INTEGER);
    const oldestSince = sorted[0]?.inDoubtSince;
    const old = sorted.filter((ref) => ref.inDoubtSince <= before).slice(0, limit);
    return oldestSince === undefined ? { refs: old } : { refs: old, oldestSince };
  }

  /** Shards one after another, tables side by side: a sweep over many participants must not open hundreds of requests at once. */
  async function readTable(participant: string, tableName: string, before: string, limit: number): Promise<InDoubtRead> {
    const reads: InDoubtRead[] = [];
    if (!holdsAny || (await holdsAny(tableName, IN_DOUBT_INDEX))) {
      for (const partition of IN_DOUBT_PARTITIONS) reads.push(await readShard(participant, tableName, partition, before, limit));
    }
    reads.push(await readHeldItems(participant, tableName, before, limit));
    return mergedReads(reads, limit);
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
    async preparedBefore(before, limit) {
      return mergedReads(await Promise.all([...tables].map(([participant, table]) => readTable(participant, table, before, limit))), limit);
    },
  };
}

const oldestFirst = (refs: PreparedRecordRef[], limit: number) => refs.sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince)).slice(0, limit);
