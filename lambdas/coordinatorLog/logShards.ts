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
export const statusPartitionOf = (status: TxnStatus, shard: number): string => `${status}#${shard}`;

/** Every partition of the open index that may hold an open transaction: one a shard. */
export const OPEN_PARTITIONS: readonly string[] = ALL_LOG_SHARDS.map(openPartitionOf);
