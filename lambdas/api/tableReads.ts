/**
 * The read half of the transaction service: the coordinator log and the participants' tables,
 * read with DynamoDB. Local mode (DynamoDB Local) and AWS share it; only starting differs.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CoordinatorLogItem, parseCoordinatorLogItem, transactionView } from '../coordinatorLog/coordinatorLog.js';
import { openLogIndex } from '../recovery/openLogIndex.js';
import { mergeOldestFirst } from '../recovery/sortedStreams.js';
import { type HeldRef, type HeldTransaction, OPEN_LOG_SOURCE } from './stuckListing.js';
import { earliestPrepared, undecidedView } from './undecidedView.js';
import { withDerivedStatus } from '../coordinatorLog/transactionStatus.js';
import { batchReadConsistent } from '../participants/batchRead.js';
import { type StoredRecord, storedRecord } from '../participants/record.js';
import { type ParticipantConfig, participantsAskedForInDoubt } from '../config/participantConfig.js';
import { PARTITION_KEY, itemKeyOf, recordKeyOf } from '../participants/table.js';
import { type IntentEntry, intentEntryOf } from '../protocol/heldIntent.js';
import { readHolds, readItem } from './itemReads.js';
import { heldEntriesOf } from '../participants/heldItemsIndex.js';
import { heldRecordOf } from '../participants/heldRecord.js';
import { BY_STATUS_INDEX } from '../tableSchemas.js';
import { inDoubtReaders } from '../recovery/inDoubtReaders.js';
import type { ParticipantQuestions } from '../recovery/participantInDoubt.js';
import type { LogKey, TransactionService } from './transactionService.js';
import type { StatusAnswer } from '../contract/participantProtocol.js';
import { withItemsBehind } from './itemsBehind.js';

/** A participant's status answer as the record the status derivation reads; UNKNOWN and a barrier's PREPARING hold no record. */
function recordFromStatus(answer: StatusAnswer): StoredRecord | undefined {
  if (answer.state !== 'PREPARED' && answer.state !== 'COMMITTED' && answer.state !== 'ABORTED') return undefined;
  return {
    txnId: answer.txnId,
    state: answer.state,
    ...(answer.preparedAt ? { preparedAt: answer.preparedAt } : {}),
    ...(answer.voteReason ? { voteReason: answer.voteReason } : {}),
  };
}

/** An item's entry as the record the views read, as the participant's own status reads it; a prepared one names its key. */
function recordOfEntry(txnId: string, entry: IntentEntry): StoredRecord | undefined {
  const held = heldRecordOf(txnId, undefined, entry);
  if (!held) return undefined;
  const { itemBehind: _item, recordBehind: _record, ...record } = held;
  const key = (entry.op as { key?: unknown } | undefined)?.key;
  return { ...record, ...(held.state === 'PREPARED' && typeof key === 'string' ? { lockedKeys: [key] } : {}) };
}

export interface TableNamesForReads {
  coordinatorLog: string;
  participants: ReadonlyMap<string, string>;
}

export type TableReads = Pick<
  TransactionService,
  | 'readLog'
  | 'readTransaction'
  | 'listLog'
  | 'heldFrom'
  | 'describeHeld'
  | 'readParticipantRecord'
  | 'readParticipantRecords'
  | 'readParticipantItem'
  | 'readItemHolds'
>;

/**
 * `config` tells which keys of a participant are sharded (read as the sum of their shards), and which
 * participants keep their prepared state outside their table (`preparedStateIn: 'participant'`): those
 * are asked through `questions` (their status of a transaction, what they hold prepared), when given.
 */
export function tableReads(
  client: DynamoDBDocumentClient,
  tables: TableNamesForReads,
  config: ParticipantConfig,
  questions?: ParticipantQuestions,
): TableReads {
  const asked = questions ? participantsAskedForInDoubt(config) : [];
  const participantTable = (name: string): string => {
    const table = tables.participants.get(name);
    if (!table) throw new Error(`participant ${name} has no table`); // the routes check the name first
    return table;
  };
  /** The records of these transactions at these participants, one consistent batch read per participant table. */
  /**
   * `heldInItemsToo`: also the holds that live in items (a pass over heldItems per participant), for the views
   * that show a prepared participant; the status derivation reads only decided records, which both layouts write.
   */
  async function recordsOf(txnIds: readonly string[], names: ReadonlySet<string>, heldInItemsToo: boolean): Promise<Map<string, Map<string, StoredRecord>>> {
    const byTxn = new Map<string, Map<string, StoredRecord>>(txnIds.map((t) => [t, new Map()]));
    const known = [...names].filter((name) => config.has(name) && tables.participants.has(name));
    const askedByStatus = (name: string) => asked.includes(name);
    const found = await Promise.all(
      known.map(async (name): Promise<Array<[string, StoredRecord]>> => {
        if (askedByStatus(name)) {
          const answers = await Promise.all(
            txnIds.map(async (txnId) => [txnId, recordFromStatus(await (questions as ParticipantQuestions).status(name, txnId))] as const),
          );
          return answers.flatMap(([txnId, record]): Array<[string, StoredRecord]> => (record ? [[txnId, record]] : []));
        }
        const items = await batchReadConsistent(client, participantTable(name), txnIds.map(recordKeyOf));
        const records = items.map((item): [string, StoredRecord] => [String(item[PARTITION_KEY]).slice('TXN#'.length), storedRecord(item)]);
        if (!heldInItemsToo) return records;
        const recorded = new Set(records.map(([txnId]) => txnId));
        return [
          ...records,
          ...(await heldInItems(
            name,
            txnIds.filter((txnId) => !recorded.has(txnId)),
          )),
        ];
      }),
    );
    // Filled in the order asked for, not the order the reads come back in, so every view lists them alike.
    known.forEach((name, i) => {
      for (const [txnId, record] of found[i] ?? []) byTxn.get(txnId)?.set(name, record);
    });
    return byTxn;
  }

  /**
   * What a participant that holds one-item escrows in their items holds for transactions that have no record
   * there: a prepared hold lives only in its item until the decision reaches it, found through heldItems and
   * read as the participant's own status reads it (../participants/itemHoldRuntime.ts).
   */
  async function heldInItems(name: string, txnIds: readonly string[]): Promise<Array<[string, StoredRecord]>> {
    if (!config.get(name)?.holdsInItems || !txnIds.length) return [];
    const entries = await heldEntriesOf(client, participantTable(name), txnIds);
    return [...entries].flatMap(([txnId, entry]): Array<[string, StoredRecord]> => {
      const record = recordOfEntry(txnId, entry);
      return record ? [[txnId, record]] : [];
    });
  }

  /**
   * The entry in the one item the transaction's operations name, when they are one operation on an unsharded
   * key: the only way to an entry heldItems does not list (the participant's own no before the abort's record).
   */
  async function heldInNamedItem(name: string, txnId: string, operations: readonly unknown[] | undefined): Promise<StoredRecord | undefined> {
    const spec = config.get(name);
    const [only, ...others] = operations ?? [];
    const key = (only as { key?: unknown } | undefined)?.key;
    if (!spec?.holdsInItems || others.length || typeof key !== 'string' || spec.shardedKeys.has(key)) return undefined;
    const out = await client.send(
      new GetCommand({
        TableName: participantTable(name),
        Key: itemKeyOf(key),
        ConsistentRead: true,
        ProjectionExpression: '#in.#t',
        ExpressionAttributeNames: { '#in': 'intents', '#t': txnId },
      }),
    );
    const entry = intentEntryOf((out.Item?.intents as Record<string, unknown> | undefined)?.[txnId]);
    return entry && recordOfEntry(txnId, entry);
  }

  /** Log items with their status derived from the participants' records (transactionStatus.ts). */
  async function derived(items: readonly CoordinatorLogItem[]): Promise<CoordinatorLogItem[]> {
    const undecided = items.filter((i) => i.decision && !(i.status === 'COMMITTED' || i.status === 'ABORTED'));
    if (!undecided.length) return [...items];
    const names = new Set(undecided.flatMap((i) => i.participantsJson.map((p) => p.name)));
    const records = await recordsOf(
      undecided.map((i) => i.txnId),
      names,
      false,
    );
    // A hold in its item: its record alone does not say phase 2 is done there (itemsBehind.ts).
    const facts = await withItemsBehind(client, participantTable, undecided, records);
    return items.map((i) => withDerivedStatus(i, facts.get(i.txnId) ?? new Map()));
  }

  async function readLog(txnId: string): Promise<CoordinatorLogItem | undefined> {
    const out = await client.send(new GetCommand({ TableName: tables.coordinatorLog, Key: { txnId }, ConsistentRead: true }));
    return out.Item ? parseCoordinatorLogItem(out.Item) : undefined;
  }

  // Only the listings' reads: no index probe (a sweep's), so the API bundles no Scan and is granted none.
  const inDoubt = inDoubtReaders({
    client,
    tables: tables.participants,
    askedParticipants: asked,
    ask: (participant, request) => (questions as ParticipantQuestions).inDoubt(participant, request),
  });
  const log = openLogIndex(client, tables.coordinatorLog);

  return {
    readLog,
    async readTransaction(txnId) {
      const item = await readLog(txnId);
      return item && (await derived([item]))[0];
    },
    async readParticipantRecords(txnId, names) {
      return (await recordsOf([txnId], new Set(names), true)).get(txnId) ?? new Map();
    },
    async listLog(statusPartition, limit, startAfter) {
      // The index holds keys only (a log write then costs one index unit): the items are read by key.
      const out = await client.send(
        new QueryCommand({
          TableName: tables.coordinatorLog,
          IndexName: BY_STATUS_INDEX,
          KeyConditionExpression: 'statusPartition = :partition',
          ExpressionAttributeValues: { ':partition': statusPartition },
          ScanIndexForward: false,
          Limit: limit,
          ...(startAfter ? { ExclusiveStartKey: startAfter } : {}),
        }),
      );
      const keys = (out.Items ?? []).map((k) => ({ txnId: String(k.txnId) }));
      const found = new Map((await batchReadConsistent(client, tables.coordinatorLog, keys)).map((i) => [String(i.txnId), parseCoordinatorLogItem(i)]));
      // In the index's order; an item that moved to another status between the query and the read is listed there instead.
      const inOrder = keys.flatMap((k) => {
        const item = found.get(k.txnId);
        return item ? [item] : [];
      });
      const items = await derived(inOrder);
      return out.LastEvaluatedKey ? { items, next: out.LastEvaluatedKey as LogKey } : { items };
    },
    async heldFrom(from, limit) {
      // Through the recovery's own readers: a change of where holds are indexed swaps only those.
      const [records, open] = await Promise.all([inDoubt.heldFrom(from, limit), log.openFrom(from, limit)]);
      const merged = mergeOldestFirst<HeldRef>(
        [
          { entries: records.refs.map((r) => ({ txnId: r.txnId, at: r.inDoubtSince, source: r.participant })), full: !records.exhausted },
          { entries: open.open.map((o) => ({ txnId: o.txnId, at: o.createdAt, source: OPEN_LOG_SOURCE })), full: !open.exhausted },
        ],
        (r) => r.at,
        (a, b) => a.txnId.localeCompare(b.txnId) || a.source.localeCompare(b.source),
      );
      return { refs: merged.entries, exhausted: merged.exhausted };
    },
    async describeHeld(txnIds) {
      const [logged, records] = await Promise.all([
        batchReadConsistent(
          client,
          tables.coordinatorLog,
          txnIds.map((txnId) => ({ txnId })),
        ).then((items) => derived(items.map(parseCoordinatorLogItem))),
        recordsOf(txnIds, new Set(tables.participants.keys()), true),
      ]);
      const items = new Map(logged.map((i) => [i.txnId, i]));
      const described = new Map<string, HeldTransaction>();
      for (const txnId of txnIds) {
        // Listed under its oldest PREPARED record (the order the index gives), or its open log item when nothing is held.
        const holders = [...(records.get(txnId) ?? [])]
          .filter(([, r]) => r.state === 'PREPARED')
          .map(([name, r]) => ({ name, since: r.preparedAt ?? '' }))
          .sort((a, b) => a.since.localeCompare(b.since) || a.name.localeCompare(b.name));
        const first = holders[0];
        const item = items.get(txnId);
        const listedUnder = first?.name ?? OPEN_LOG_SOURCE;
        if (item) described.set(txnId, { view: transactionView(item), listedUnder });
        else if (first) {
          // As GET /transactions/{id} builds it from the same records (transactionRoutes.ts).
          const all = records.get(txnId) ?? new Map();
          const createdAt = earliestPrepared(all.values()) ?? first.since;
          described.set(txnId, { view: undecidedView({ txnId, participants: [...all.keys()].sort(), createdAt }), listedUnder });
        }
      }
      return described;
    },
    async readParticipantRecord(participant, txnId, operations) {
      const out = await client.send(new GetCommand({ TableName: participantTable(participant), Key: recordKeyOf(txnId), ConsistentRead: true }));
      if (out.Item) return storedRecord(out.Item);
      // Known operations name the one item a hold in the item can live in; only without them is heldItems searched.
      return operations !== undefined ? heldInNamedItem(participant, txnId, operations) : (await heldInItems(participant, [txnId]))[0]?.[1];
    },
    async readParticipantItem(participant, key) {
      return readItem(client, participantTable(participant), key, config.get(participant)?.shardedKeys.get(key));
    },
    async readItemHolds(participant, key) {
      return readHolds(client, participantTable(participant), key);
    },
  };
}
