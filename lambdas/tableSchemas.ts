/**
 * Key schemas and indexes of Pakka's tables, as plain data. The CDK constructs and local mode
 * both build their tables from these, so the deployed and the local tables cannot drift.
 */
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_SORT, PARTITION_KEY } from './participants/table.js';

export interface IndexSchema {
  indexName: string;
  partitionKey: string;
  sortKey: string;
  /**
   * What the index copies besides its keys. Every write to a projected attribute is a write to the
   * index too, so indexes that only locate work (recovery re-reads the item) project keys, not items.
   */
  projection: { type: 'ALL' } | { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: string[] };
}

export interface TableSchema {
  partitionKey: string;
  indexes: IndexSchema[];
}

/** Coordinator log: one item per transaction. */
export const COORDINATOR_LOG_SCHEMA: TableSchema = {
  partitionKey: 'txnId',
  indexes: [
    // Sparse: only non-final transactions carry openPartition (OPEN#<shard>), so recovery queries just those.
    { indexName: 'open', partitionKey: 'openPartition', sortKey: 'createdAt', projection: { type: 'KEYS_ONLY' } },
    // Listing by status, newest first, spread over <status>#<shard> partitions. Keys only: the listing
    // reads the items it shows, and the decision write pays one index unit instead of the item's size.
    // A new index (DynamoDB cannot change an index's projection): byStatusShard, which projected all, is dropped.
    { indexName: 'byStatusKeys', partitionKey: 'statusPartition', sortKey: 'createdAt', projection: { type: 'KEYS_ONLY' } },
  ],
};

/** A participant's table: business items and prepared-state records. */
export const PARTICIPANT_TABLE_SCHEMA: TableSchema = {
  partitionKey: PARTITION_KEY,
  indexes: [{ indexName: IN_DOUBT_INDEX, partitionKey: IN_DOUBT_PARTITION, sortKey: IN_DOUBT_SORT, projection: { type: 'INCLUDE', attributes: ['txnId'] } }],
};

export const OPEN_INDEX = 'open';
export const BY_STATUS_INDEX = 'byStatusKeys';
