/** Write units by AWS's published rules: item sizes, standard and transactional writes, index entries. */
import { describe, expect, it } from 'vitest';
import { INDEX_ENTRY_OVERHEAD, awsWriteUnits, indexEntrySize, indexWriteUnits } from '../../bench/awsWriteUnits.js';
import type { AttributeMap } from '../../bench/capacity.js';
import { COORDINATOR_LOG_SCHEMA, type IndexSchema, PARTICIPANT_TABLE_SCHEMA, type TableSchema } from '../../lambdas/tableSchemas.js';

/** An item of exactly `bytes` bytes by AWS's rules: pk 'p' (3 bytes: name 2 + value 1), then a string attribute 'x'. */
function itemOf(bytes: number, extra: AttributeMap = {}): AttributeMap {
  const base: AttributeMap = { pk: { S: 'p' }, ...extra };
  const used = Object.entries(base).reduce((s, [k, v]) => s + k.length + (v.S?.length ?? 0), 0);
  return { ...base, x: { S: 'a'.repeat(bytes - used - 1) } };
}

const table: TableSchema = { partitionKey: 'pk', indexes: [] };
const byState: IndexSchema = { indexName: 'byState', partitionKey: 'gp', sortKey: 'gs', projection: { type: 'KEYS_ONLY' } };
const indexed: TableSchema = { partitionKey: 'pk', indexes: [byState] };

describe('table writes', () => {
  it('a standard write costs 1 unit per KB of the larger of the item before and after, rounded up', () => {
    expect(awsWriteUnits({ before: undefined, after: itemOf(1024), transactional: false }, table).table).toBe(1);
    expect(awsWriteUnits({ before: undefined, after: itemOf(1025), transactional: false }, table).table).toBe(2);
    expect(awsWriteUnits({ before: itemOf(2100), after: itemOf(900), transactional: false }, table).table).toBe(3);
    // Deleting or writing nothing still costs the minimum of one unit.
    expect(awsWriteUnits({ before: undefined, after: undefined, transactional: false }, table).table).toBe(1);
  });

  it('a transactional write costs 2 units per KB per item', () => {
    expect(awsWriteUnits({ before: itemOf(300), after: itemOf(500), transactional: true }, table).table).toBe(2);
    expect(awsWriteUnits({ before: undefined, after: itemOf(1434), transactional: true }, table).table).toBe(4);
    // A ConditionCheck leaves the item as it was, and is still two underlying operations.
    const item = itemOf(200);
    expect(awsWriteUnits({ before: item, after: item, transactional: true }, table)).toEqual({ table: 2, indexes: 0 });
  });

  it('counts attribute names as well as values (Item sizes and formats)', () => {
    const short = { pk: { S: 'p' }, a: { S: 'x'.repeat(1020) } }; // 2 + 1 + 1 + 1020 = 1024
    const long = { pk: { S: 'p' }, amount: { S: 'x'.repeat(1020) } }; // 6 bytes of name: 1029
    expect(awsWriteUnits({ before: undefined, after: short, transactional: false }, table).table).toBe(1);
    expect(awsWriteUnits({ before: undefined, after: long, transactional: false }, table).table).toBe(2);
  });
});

describe('index writes', () => {
  const outside = itemOf(500);
  const inA = itemOf(500, { gp: { S: 'A' }, gs: { S: 't' } });
  const inB = itemOf(500, { gp: { S: 'B' }, gs: { S: 't' } });

  it('an entry holds the table key, the index key, the projected attributes and 100 bytes', () => {
    expect(indexEntrySize(inA, indexed, byState)).toBe(3 + 3 + 3 + INDEX_ENTRY_OVERHEAD);
    const all: IndexSchema = { ...byState, projection: { type: 'ALL' } };
    expect(indexEntrySize(inA, indexed, all)).toBe(500 + INDEX_ENTRY_OVERHEAD);
    const include: IndexSchema = { ...byState, projection: { type: 'INCLUDE', attributes: ['x'] } };
    expect(indexEntrySize(inA, indexed, include)).toBe(500 + INDEX_ENTRY_OVERHEAD); // every attribute of inA is key or x
    expect(indexEntrySize(itemOf(500, { gp: { S: 'A' }, gs: { S: 't' }, y: { S: 'yy' } }), indexed, include)).toBe(500 - 3 + INDEX_ENTRY_OVERHEAD);
  });

  it('entering or leaving the index is one write, an index key change a delete plus a put, no entry before or after none', () => {
    expect(indexWriteUnits({ before: outside, after: inA, transactional: true }, indexed, byState)).toBe(1);
    expect(indexWriteUnits({ before: inA, after: outside, transactional: false }, indexed, byState)).toBe(1);
    expect(indexWriteUnits({ before: inA, after: inB, transactional: false }, indexed, byState)).toBe(2);
    expect(indexWriteUnits({ before: outside, after: itemOf(700), transactional: false }, indexed, byState)).toBe(0);
  });

  it('index writes cost 1 per KB of the entry, even inside a transaction, the 100 bytes included', () => {
    const all: IndexSchema = { ...byState, projection: { type: 'ALL' } };
    const schema: TableSchema = { partitionKey: 'pk', indexes: [all] };
    const fits = itemOf(924, { gp: { S: 'A' }, gs: { S: 't' } }); // 924 bytes; 1024 with the overhead
    const over = itemOf(930, { gp: { S: 'A' }, gs: { S: 't' } }); // 930 bytes; 1030 with the overhead
    expect(indexWriteUnits({ before: undefined, after: fits, transactional: true }, schema, all)).toBe(1);
    expect(indexWriteUnits({ before: undefined, after: over, transactional: true }, schema, all)).toBe(2);
    expect(awsWriteUnits({ before: undefined, after: over, transactional: true }, schema)).toEqual({ table: 2, indexes: 2 });
  });

  it('a change of a projected attribute alone is one write; of an unprojected one, none', () => {
    const include: IndexSchema = { ...byState, projection: { type: 'INCLUDE', attributes: ['txnId'] } };
    const before = itemOf(400, { gp: { S: 'A' }, gs: { S: 't' }, txnId: { S: 't1' } });
    expect(indexWriteUnits({ before, after: { ...before, txnId: { S: 't2' } }, transactional: false }, indexed, include)).toBe(1);
    expect(indexWriteUnits({ before, after: { ...before, x: { S: 'other' } }, transactional: false }, indexed, include)).toBe(0);
  });
});

describe("Pakka's own tables", () => {
  it('a prepared-state record entering the inDoubt index costs 2 (transactional) + 1; its commit, which takes it out, 2 + 1', () => {
    const prepared: AttributeMap = {
      pk: { S: 'TXN#t-1' },
      state: { S: 'PREPARED' },
      txnId: { S: 't-1' },
      inDoubtPartition: { S: 'PREPARED#3' },
      preparedAt: { S: '2026-12-07T08:00:00.000Z' },
    };
    const [index] = PARTICIPANT_TABLE_SCHEMA.indexes;
    if (!index) throw new Error('the participant table has an index');
    const withKeys: AttributeMap = { ...prepared, [index.partitionKey]: { S: 'PREPARED#3' }, [index.sortKey]: { S: '2026-12-07T08:00:00.000Z' } };
    const committed: AttributeMap = Object.fromEntries(
      Object.entries({ ...withKeys, state: { S: 'COMMITTED' } }).filter(([name]) => name !== index.partitionKey),
    );
    expect(awsWriteUnits({ before: undefined, after: withKeys, transactional: true }, PARTICIPANT_TABLE_SCHEMA)).toEqual({ table: 2, indexes: 1 });
    expect(awsWriteUnits({ before: withKeys, after: committed, transactional: true }, PARTICIPANT_TABLE_SCHEMA)).toEqual({ table: 2, indexes: 1 });
  });

  it('a 1.4 KB coordinator log item costs 2 units as a standard write', () => {
    const log = itemOf(1434);
    const schema = { ...COORDINATOR_LOG_SCHEMA, partitionKey: 'pk' };
    expect(awsWriteUnits({ before: undefined, after: log, transactional: false }, schema).table).toBe(2);
  });
});
