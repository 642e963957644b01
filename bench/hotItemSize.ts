/**
 * How large a hot business item grows, and what that size costs each write to it. A finished intent entry
 * stays in its item for INTENT_HORIZON_MS (lambdas/protocol/heldIntent.ts), so an item used R times a second
 * carries about R × the horizon of them, and AWS bills every write to it on its whole size: "DynamoDB
 * considers the size of the item as it appears before and after the update. The provisioned throughput
 * consumed reflects the larger of these item sizes", and "Item sizes for writes are rounded up to the next
 * 1 KB multiple" (DynamoDB developer guide, "DynamoDB read and write operations", "Capacity unit consumption
 * for write operations"). The units a write costs at a size are awsWriteUnits.ts's; a participant writes its
 * item with a standard UpdateItem, 1 unit per KB.
 */
import { kilobytesOf } from './awsWriteUnits.js';
import { writtenKind } from './awsUnitsBreakdown.js';
import type { TxnMeasurement } from './measurement.js';

export interface ItemSizeSummary {
  /** How many sizes were seen (samples of the item, or writes to items). */
  samples: number;
  maxBytes: number;
  meanBytes: number;
  /** Write units of one standard write billed on the largest size. */
  writeUnitsAtMax: number;
  /** Write units of one standard write at each size seen, averaged. */
  meanWriteUnits: number;
}

/** Pure. Sizes of nothing summarize to zeros, not NaN, so a JSON result stays a number. */
export function itemSizeSummary(sizes: readonly number[]): ItemSizeSummary {
  if (sizes.length === 0) return { samples: 0, maxBytes: 0, meanBytes: 0, writeUnitsAtMax: 0, meanWriteUnits: 0 };
  const maxBytes = Math.max(...sizes);
  return {
    samples: sizes.length,
    maxBytes,
    meanBytes: Math.round(sizes.reduce((sum, s) => sum + s, 0) / sizes.length),
    writeUnitsAtMax: kilobytesOf(maxBytes),
    meanWriteUnits: sizes.reduce((sum, s) => sum + kilobytesOf(s), 0) / sizes.length,
  };
}

/** The size each write to a business item (not the log, not a record) was billed on: the larger of before and after. Pure. */
export function businessItemBilledSizes(transactions: readonly TxnMeasurement[], logTable: string): number[] {
  return transactions.flatMap((txn) =>
    txn.awsItemWrites.filter((w) => writtenKind(w.table, w.key, logTable) === 'item').map((w) => Math.max(w.bytesBefore, w.bytesAfter)),
  );
}

/**
 * Reads one item's size every `everyMs` until stopped, then once more: the item while a load runs on it,
 * read by the caller's `read` (a consistent GetItem outside the measured transactions). A read that finds no
 * item gives no sample.
 */
export function sampleItemSize(read: () => Promise<number | undefined>, everyMs: number): { stop(): Promise<number[]> } {
  const sizes: number[] = [];
  let running = true;
  let wake: (() => void) | undefined;
  const take = async () => {
    const size = await read();
    if (size !== undefined) sizes.push(size);
  };
  const loop = (async () => {
    while (running) {
      await take();
      if (!running) break;
      // The pause between samples; stop() cuts it short.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
      await take();
      return sizes;
    },
  };
}
