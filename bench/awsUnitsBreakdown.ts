/**
 * Where a committed transaction's write units go by AWS's rules: its item writes grouped by sender, request
 * and kind of item (the coordinator log, a participant's record `TXN#…`, a business item), with the sizes
 * AWS bills on (the larger of before and after). Pure; the units bench prints it and BENCHMARKS.md quotes it.
 */
import type { TxnMeasurement } from './measurement.js';

export type WrittenKind = 'log' | 'record' | 'item';

export interface BreakdownRow {
  source: string;
  /** The request, marked `(refused)` for writes whose condition failed. */
  operation: string;
  kind: WrittenKind;
  /** Per committed transaction, averaged over the transactions counted. */
  writes: number;
  tableUnits: number;
  indexUnits: number;
  /** Mean bytes of the item before and after each write, and the largest size any of them was billed on. */
  meanBytesBefore: number;
  meanBytesAfter: number;
  maxBilledBytes: number;
}

export function writtenKind(table: string, key: string, logTable: string): WrittenKind {
  if (table === logTable) return 'log';
  return key.startsWith('TXN#') ? 'record' : 'item';
}

export function awsUnitsBreakdown(transactions: readonly TxnMeasurement[], logTable: string): BreakdownRow[] {
  const rows = new Map<string, BreakdownRow & { before: number; after: number }>();
  for (const txn of transactions) {
    for (const w of txn.awsItemWrites) {
      const kind = writtenKind(w.table, w.key, logTable);
      const operation = w.refused ? `${w.operation} (refused)` : w.operation;
      const id = `${w.source}|${operation}|${kind}`;
      const row = rows.get(id) ?? {
        source: w.source,
        operation,
        kind,
        writes: 0,
        tableUnits: 0,
        indexUnits: 0,
        meanBytesBefore: 0,
        meanBytesAfter: 0,
        maxBilledBytes: 0,
        before: 0,
        after: 0,
      };
      row.writes++;
      row.tableUnits += w.tableUnits;
      row.indexUnits += w.indexUnits;
      row.before += w.bytesBefore;
      row.after += w.bytesAfter;
      row.maxBilledBytes = Math.max(row.maxBilledBytes, w.bytesBefore, w.bytesAfter);
      rows.set(id, row);
    }
  }
  const count = Math.max(1, transactions.length);
  return [...rows.values()].map(({ before, after, ...row }) => ({
    ...row,
    writes: row.writes / count,
    tableUnits: row.tableUnits / count,
    indexUnits: row.indexUnits / count,
    meanBytesBefore: Math.round(before / row.writes),
    meanBytesAfter: Math.round(after / row.writes),
  }));
}

/** One line per row, for the log and for BENCHMARKS.md. */
export function renderBreakdown(rows: readonly BreakdownRow[]): string[] {
  const f = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
  return rows.map(
    (r) =>
      `  ${r.source} ${r.operation} ${r.kind}: ${f(r.writes)} writes, ${f(r.tableUnits)} table + ${f(r.indexUnits)} index units; bytes ${r.meanBytesBefore} → ${r.meanBytesAfter} (billed on up to ${r.maxBilledBytes})`,
  );
}
