/**
 * The read half of the transaction service: the coordinator log and the participants' tables,
 * read with DynamoDB. Local mode (DynamoDB Local) and AWS share it; only starting differs.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CoordinatorLogItem, parseCoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { type ParticipantRecordFacts, withDerivedStatus } from '../coordinatorLog/transactionStatus.js';
import { batchReadConsistent } from '../participants/batchRead.js';
import { type StoredRecord, storedRecord } from '../participants/record.js';
import type { ParticipantConfig } from '../config/participantConfig.js';
import { PARTITION_KEY, recordKeyOf } from '../participants/table.js';
import { readHolds, readItem } from './itemReads.js';
import { BY_STATUS_INDEX } from '../tableSchemas.js';
import { inDoubtIndex } from '../recovery/inDoubtIndex.js';
import type { LogKey, TransactionService } from './transactionService.js';

/** Later than any record's inDoubtSince: the in-doubt query then returns every PREPARED record, oldest first. */
const EVERY_RECORD = '9999-12-31T23:59:59.999Z';
const MAX_UNDECIDED_RECORDS = 1000;

export interface TableNamesForReads {
  coordinatorLog: string;
  participants: ReadonlyMap<string, string>;
}

export type TableReads = Pick<
  TransactionService,
  'readLog' | 'readTransaction' | 'listLog' | 'listUndecided' | 'readParticipantRecord' | 'readParticipantRecords' | 'readParticipantItem' | 'readItemHolds'
>;

/** `config` tells which keys of a participant are sharded (read as the sum of their shards). */
export function tableReads(client: DynamoDBDocumentClient, tables: TableNamesForReads, config: ParticipantConfig): TableReads {
  const participantTable = (name: string): string => {
    const table = tables.participants.get(name);
    if (!table) throw new Error(`participant ${name} has no table`); // the routes check the name first
    return table;
  };
  /** The records of these transactions at these participants, one consistent batch read per participant table. */
  async function recordsOf(txnIds: readonly string[], names: ReadonlySet<string>): Promise<Map<string, Map<string, StoredRecord>>> {
    const byTxn = new Map<string, Map<string, StoredRecord>>(txnIds.map((t) => [t, new Map()]));
    const known = [...names].filter((name) => config.has(name) && tables.participants.has(name));
    await Promise.all(
      known.map(async (name) => {
        const found = await batchReadConsistent(client, participantTable(name), txnIds.map(recordKeyOf));
        for (const item of found) {
          const record = storedRecord(item);
          byTxn.get(String(item[PARTITION_KEY]).slice('TXN#'.length))?.set(name, record);
        }
      }),
    );
    return byTxn;
  }

  /** Log items with their status derived from the participants' records (transactionStatus.ts). */
  async function derived(items: readonly CoordinatorLogItem[]): Promise<CoordinatorLogItem[]> {
    const undecided = items.filter((i) => i.decision && !(i.status === 'COMMITTED' || i.status === 'ABORTED'));
    if (!undecided.length) return [...items];
    const names = new Set(undecided.flatMap((i) => i.participantsJson.map((p) => p.name)));
    const records = await recordsOf(
      undecided.map((i) => i.txnId),
      names,
    );
    return items.map((i) => withDerivedStatus(i, (records.get(i.txnId) ?? new Map()) as ReadonlyMap<string, ParticipantRecordFacts>));
  }

  async function readLog(txnId: string): Promise<CoordinatorLogItem | undefined> {
    const out = await client.send(new GetCommand({ TableName: tables.coordinatorLog, Key: { txnId }, ConsistentRead: true }));
    return out.Item ? parseCoordinatorLogItem(out.Item) : undefined;
  }

  return {
    readLog,
    async readTransaction(txnId) {
      const item = await readLog(txnId);
      return item && (await derived([item]))[0];
    },
    async readParticipantRecords(txnId, names) {
      return (await recordsOf([txnId], new Set(names))).get(txnId) ?? new Map();
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
    async listUndecided(limit) {
      // A transaction holds at most one record per participant: this many records cover `limit` transactions.
      const refs = await inDoubtIndex(client, tables.participants).preparedBefore(
        EVERY_RECORD,
        Math.min(limit * tables.participants.size, MAX_UNDECIDED_RECORDS),
      );
      const byTxn = new Map<string, { holders: string[]; since: string }>();
      for (const ref of refs) {
        const entry = byTxn.get(ref.txnId) ?? { holders: [], since: ref.inDoubtSince };
        entry.holders.push(ref.participant);
        byTxn.set(ref.txnId, entry);
      }
      // A record still PREPARED after its decision was logged belongs to a decided transaction (listed by its status).
      const decided = new Set(
        (
          await batchReadConsistent(
            client,
            tables.coordinatorLog,
            [...byTxn.keys()].map((txnId) => ({ txnId })),
          )
        ).map((i) => String(i.txnId)),
      );
      return [...byTxn]
        .filter(([txnId]) => !decided.has(txnId))
        .slice(0, limit)
        .map(([txnId, { holders, since }]) => ({ txnId, holders: holders.sort(), since }));
    },
    async readParticipantRecord(participant, txnId) {
      const out = await client.send(new GetCommand({ TableName: participantTable(participant), Key: recordKeyOf(txnId), ConsistentRead: true }));
      return out.Item ? storedRecord(out.Item) : undefined;
    },
    async readParticipantItem(participant, key) {
      return readItem(client, participantTable(participant), key, config.get(participant)?.shardedKeys.get(key));
    },
    async readItemHolds(participant, key) {
      return readHolds(client, participantTable(participant), key);
    },
  };
}
