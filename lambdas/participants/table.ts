/**
 * How a participant lays out its own DynamoDB table. Business items and prepared-state records
 * share one table so that prepare and commit are each a single TransactWriteItems.
 */
import { createHash } from 'node:crypto';

export const PARTITION_KEY = 'pk';

export const itemKeyOf = (key: string) => ({ [PARTITION_KEY]: `ITEM#${key}` });
export const recordKeyOf = (txnId: string) => ({ [PARTITION_KEY]: `TXN#${txnId}` });
export const keyFromItemPk = (pk: string) => pk.slice('ITEM#'.length);

/**
 * One shard of a hot item (see hotItems.ts). `#` cannot occur in an item key, so a shard's key never
 * collides with another item's.
 */
export const shardKeyOf = (key: string, shard: number) => ({ [PARTITION_KEY]: `ITEM#${key}#${String(shard).padStart(2, '0')}` });

/**
 * Sparse index of PREPARED records (attributes removed at commit or abort), so recovery finds
 * in-doubt work with a Query instead of scanning the table.
 */
export const IN_DOUBT_INDEX = 'inDoubt';
export const IN_DOUBT_PARTITION = 'inDoubtPartition';
export const IN_DOUBT_SORT = 'inDoubtSince';

/**
 * Every PREPARED record writes the index, so its partition key is spread over this many values:
 * one index partition takes about 1,000 writes a second on AWS, and 16 carry a participant far past
 * what one Lambda participant serves. Readers query every shard and merge.
 */
export const IN_DOUBT_SHARDS = 16;

/** A stable, evenly spread number in [0, n) for a string: picks index shards and hot-item shards. */
export function spreadOf(value: string, n: number): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0) % n;
}

export const inDoubtPartitionOf = (txnId: string) => `PREPARED#${spreadOf(txnId, IN_DOUBT_SHARDS)}`;

/** Every partition value a reader must query to see all PREPARED records. */
export const IN_DOUBT_PARTITIONS: readonly string[] = Array.from({ length: IN_DOUBT_SHARDS }, (_, i) => `PREPARED#${i}`);
