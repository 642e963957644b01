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
import { heldItemKeys, heldItemsShards, isMissingIndex } from '../participants/heldItemsIndex.js';
import { HELD_ITEMS_INDEX } from '../participants/itemIntents.js';
import { type ShardedIndex, firstPage, indexPages, shardPages, shardsToRead } from '../participants/shardedIndexPages.js';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT, PARTITION_KEY } from '../participants/table.js';
import { intentEntryOf } from '../protocol/heldIntent.js';
import type { HeldItemsTidy } from './heldItemsTidy.js';
import type { ParticipantIndex } from './indexProbe.js';
import type { InDoubtPort, InDoubtRead, PreparedRecordRef } from './ports.js';
import { type StreamRead, mergeOldestFirst, mergedReads } from './sortedStreams.js';

const PAGE = 100;

/**
 * The `inDoubt` index as its readers query it, every shard: `read` adds what differs (the projection and the names it
 * uses, a condition on inDoubtSince, a sweep's probe). The API's item view reads it too (../api/itemReads.ts).
 */
export function inDoubtShards(
  client: DynamoDBDocumentClient,
  tableName: string,
  read: Pick<ShardedIndex, 'ProjectionExpression' | 'ExpressionAttributeNames' | 'sortKey' | 'holdsAny'>,
): ShardedIndex {
  return {
    send: (input) => client.send(new QueryCommand(input)),
    TableName: tableName,
    IndexName: IN_DOUBT_INDEX,
    shardKey: IN_DOUBT_PARTITION,
    shards: IN_DOUBT_PARTITIONS,
    ...read,
  };
}

/** The records of a shard with when each was prepared, oldest first. */
const withSince = { ProjectionExpression: 'txnId, #since', ExpressionAttributeNames: { '#since': IN_DOUBT_SORT } };

/** Whether one sparse index of a participant table holds anything; false lets a sweep skip that index's shards. */
export type InDoubtProbe = (tableName: string, index: ParticipantIndex) => Promise<boolean>;

/**
 * `tables` maps each participant name to its table. The sweeper gives `holdsAny` and `tidy` (heldItemsTidy.ts:
 * the items it reads through `heldItems` that have held nothing for a while leave the index); the listings give
 * neither, and write nothing.
 */
export function inDoubtIndex(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>, holdsAny?: InDoubtProbe, tidy?: HeldItemsTidy): InDoubtPort {
  /** One shard from its oldest record on: those prepared no later than `before` (at most `limit`), and the oldest however young. */
  async function readShard(participant: string, index: ShardedIndex, shard: string, before: string, limit: number): Promise<InDoubtRead> {
    const refs: PreparedRecordRef[] = [];
    let oldestSince: string | undefined;
    for await (const page of shardPages(index, shard, { limit: () => Math.max(1, Math.min(PAGE, limit - refs.length)) })) {
      for (const item of page.items) {
        const since = item[IN_DOUBT_SORT];
        if (typeof item.txnId !== 'string' || typeof since !== 'string') continue;
        oldestSince ??= since;
        // Oldest first: from the first record younger than `before` on, none is old enough.
        if (since > before) return { refs, oldestSince };
        refs.push({ participant, txnId: item.txnId, inDoubtSince: since });
      }
      if (refs.length >= limit) break;
    }
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
    const { probe } = sweep;
    const held = heldItemsShards(client, tableName, probe && (() => probe(tableName, HELD_ITEMS_INDEX)));
    try {
      // The probe finding nothing leaves no page, so no item to read or tidy: nothing more is sent.
      for await (const page of indexPages(held, { limit: () => limit, firstPageOnly: !sweep.everyPage })) {
        pks.push(...heldItemKeys(page));
        if (page.more && !sweep.everyPage) full = true;
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
    const index = inDoubtShards(client, tableName, { ...withSince, ...(holdsAny ? { holdsAny: () => holdsAny(tableName, IN_DOUBT_INDEX) } : {}) });
    for (const shard of await shardsToRead(index)) reads.push(await readShard(participant, index, shard, before, limit));
    reads.push(await readHeldItems(participant, tableName, before, limit));
    return mergedReads(reads, limit);
  }

  /** One query of one shard from `from` on: a single page, `full` when the index holds more beyond it. */
  async function heldInShard(participant: string, index: ShardedIndex, shard: string, limit: number): Promise<StreamRead<PreparedRecordRef>> {
    const page = await firstPage(index, shard, limit);
    const entries = page.items.flatMap((item) =>
      typeof item.txnId === 'string' && typeof item[IN_DOUBT_SORT] === 'string' ? [{ participant, txnId: item.txnId, inDoubtSince: item[IN_DOUBT_SORT] }] : [],
    );
    return { entries, full: page.more };
  }

  return {
    participants: [...tables.keys()],
    async heldFrom(from, limit) {
      const reads: StreamRead<PreparedRecordRef>[] = [];
      // Shards one after another, tables side by side, as preparedBefore does.
      const perTable = await Promise.all(
        [...tables].map(async ([participant, table]) => {
          const found: StreamRead<PreparedRecordRef>[] = [];
          const index = inDoubtShards(client, table, {
            ...withSince,
            ...(from === undefined ? {} : { sortKey: { condition: '#since >= :from', values: { ':from': from } } }),
          });
          for (const shard of index.shards) found.push(await heldInShard(participant, index, shard, limit));
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
