/**
 * Write units of one item write as AWS bills them, from the item as it was before and after the write.
 * DynamoDB Local reports units that are not AWS's (a transactional write at half AWS's rate, an index write
 * inside a transaction at 2), so the benchmark counts by AWS's published rules (DynamoDB developer guide):
 * - item size: attribute names plus values ("Item sizes and formats"; `itemSize` in capacity.ts);
 * - a PutItem, UpdateItem or DeleteItem costs 1 write unit per KB, rounded up, of the larger of the item
 *   before and after the write ("Read/write capacity mode": UpdateItem "reflects the larger of these item
 *   sizes"; a Put that replaces an item likewise);
 * - each item of a TransactWriteItems costs 2 per KB, because "DynamoDB performs two underlying reads or
 *   writes of every item in the transaction: one to prepare the transaction and one to commit" ("Amazon
 *   DynamoDB Transactions: How it works", section "Capacity management for transactions"); a
 *   ConditionCheck is such an item too;
 * - each global secondary index costs 1 per KB of its entry (table key, index key and projected
 *   attributes, plus 100 bytes of overhead: "Storage considerations" of global secondary indexes): one
 *   write when the item enters or leaves the index or only its projected attributes change, two (a delete
 *   and a put) when an index key changes, none when the item is in the index neither before nor after
 *   ("Provisioned throughput considerations for Global Secondary Indexes", "Write capacity units").
 * Pure.
 */
import type { IndexSchema, TableSchema } from '../lambdas/tableSchemas.js';
import { type AttributeMap, itemSize, valueSize } from './capacity.js';

const KB = 1024;
/** Bytes AWS adds to every index entry. */
export const INDEX_ENTRY_OVERHEAD = 100;

/** Kilobytes a write is billed on: every write costs at least one, and a part of a KB counts as a whole. */
export const kilobytesOf = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

export interface ItemWrite {
  /** The item before the write (undefined: it did not exist). */
  before: AttributeMap | undefined;
  /** The item after the write (undefined: deleted, or never created). */
  after: AttributeMap | undefined;
  /** A TransactWriteItems item (Put, Update, Delete or ConditionCheck). */
  transactional: boolean;
}

export interface WriteUnits {
  table: number;
  indexes: number;
}

function attributesSize(item: AttributeMap, names: Iterable<string>): number {
  let size = 0;
  for (const name of new Set(names)) {
    const value = item[name];
    if (value !== undefined) size += utf8(name) + valueSize(value);
  }
  return size;
}

const indexKeys = (index: IndexSchema) => [index.partitionKey, index.sortKey];
const inIndex = (item: AttributeMap | undefined, index: IndexSchema): item is AttributeMap => !!item && indexKeys(index).every((k) => item[k] !== undefined);

function projectedNames(item: AttributeMap, index: IndexSchema): string[] {
  switch (index.projection.type) {
    case 'ALL':
      return Object.keys(item);
    case 'KEYS_ONLY':
      return [];
    case 'INCLUDE':
      return index.projection.attributes;
  }
}

/** Bytes of an item's entry in an index: the table's key, the index's key, the projected attributes, and the overhead. */
export function indexEntrySize(item: AttributeMap, table: TableSchema, index: IndexSchema): number {
  return attributesSize(item, [table.partitionKey, ...indexKeys(index), ...projectedNames(item, index)]) + INDEX_ENTRY_OVERHEAD;
}

const sameValue = (a: AttributeMap, b: AttributeMap, name: string) => JSON.stringify(a[name]) === JSON.stringify(b[name]);

/** Index writes one item write causes in one index. */
export function indexWriteUnits(write: ItemWrite, table: TableSchema, index: IndexSchema): number {
  const { before, after } = write;
  const wasIn = inIndex(before, index);
  const isIn = inIndex(after, index);
  if (!wasIn && !isIn) return 0;
  if (!wasIn) return kilobytesOf(indexEntrySize(after as AttributeMap, table, index));
  if (!isIn) return kilobytesOf(indexEntrySize(before, table, index));
  const old = before;
  const now = after as AttributeMap;
  if (!indexKeys(index).every((k) => sameValue(old, now, k))) {
    return kilobytesOf(indexEntrySize(old, table, index)) + kilobytesOf(indexEntrySize(now, table, index));
  }
  const projected = new Set([...projectedNames(old, index), ...projectedNames(now, index)]);
  return [...projected].some((name) => !sameValue(old, now, name)) ? kilobytesOf(indexEntrySize(now, table, index)) : 0;
}

/** Units of one item write, the table's and its indexes'. */
export function awsWriteUnits(write: ItemWrite, table: TableSchema): WriteUnits {
  const size = Math.max(itemSize(write.before), itemSize(write.after));
  return {
    table: kilobytesOf(size) * (write.transactional ? 2 : 1),
    indexes: table.indexes.reduce((sum, index) => sum + indexWriteUnits(write, table, index), 0),
  };
}
