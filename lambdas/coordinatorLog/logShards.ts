/**
 * The coordinator log's index partitions, spread over shards so that no index every transaction
 * writes has a constant or low-cardinality partition key (docs/design.md, "Recovery"). A transaction's
 * shard is a pure function of its txnId, so the state machine (given it in the execution input),
 * recovery and the API all compute the same one. Readers query every shard and merge by createdAt.
 */
import { createHash } from 'node:crypto';
import type { TxnStatus } from './coordinatorLog.js';

export const LOG_SHARDS = 16;
export const ALL_LOG_SHARDS: readonly number[] = Array.from({ length: LOG_SHARDS }, (_, i) => i);

export const logShardOf = (txnId: string): number => (createHash('sha256').update(txnId).digest()[0] ?? 0) % LOG_SHARDS;

export const openPartitionOf = (shard: number): string => `OPEN#${shard}`;
/**
 * The stored status whose byStatus partition a transaction is written under. An undecided one
 * (PREPARING) is written under COMMITTING, the decision most transactions get, so the commit decision
 * leaves the index key as it is: with a keys-only index that is no index write at all, where a key
 * change is a delete plus a put, 2 write units per committed transaction ("Global secondary indexes",
 * DynamoDB developer guide). An abort moves the key as before. A listing derives each item's status
 * and keeps only the ones its filter asks for (api/listing.ts), so the partition never decides what
 * is shown.
 */
const PARTITION_STATUS: Record<TxnStatus, TxnStatus> = {
  PREPARING: 'COMMITTING',
  COMMITTING: 'COMMITTING',
  COMMITTED: 'COMMITTED',
  ABORTING: 'ABORTING',
  ABORTED: 'ABORTED',
};
export const partitionStatusOf = (status: TxnStatus): TxnStatus => PARTITION_STATUS[status];

/** The byStatus partition a transaction of this status is written under. */
export const statusPartitionOf = (status: TxnStatus, shard: number): string => streamOf(partitionStatusOf(status), shard);

/** A partition of the byStatus index, by the status it is named after (what a listing queries). */
export const streamOf = (partitionStatus: TxnStatus, shard: number): string => `${partitionStatus}#${shard}`;

/** Every partition of the open index that may hold an open transaction: one a shard. */
export const OPEN_PARTITIONS: readonly string[] = ALL_LOG_SHARDS.map(openPartitionOf);
