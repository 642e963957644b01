/**
 * How large a hot business item grows, and what that size costs each write to it. An item carries an entry per
 * transaction in flight on it, and the finished entries the protocol keeps (lambdas/protocol/heldIntent.ts): a
 * two-phase commit or abort removes its entry at once, but a one-phase commit's `C` entry stays until its record
 * is RECORD_AGE_TO_FORGET_MS old, so an item committed in one phase R times a second carries about R × that age (in s)
 * of them. AWS bills every write to it on its whole size: "DynamoDB
 * considers the size of the item as it appears before and after the update. The provisioned throughput
 * consumed reflects the larger of these item sizes", and "Item sizes for writes are rounded up to the next
 * 1 KB multiple" (DynamoDB developer guide, "DynamoDB read and write operations", "Capacity unit consumption
 * for write operations"). The units a write costs at a size are awsWriteUnits.ts's; a participant writes its
 * item with a standard UpdateItem, 1 unit per KB.
 */
import { kilobytesOf } from './awsWriteUnits.js';
import { writtenKind } from './awsUnitsBreakdown.js';
import { type AttributeMap, itemSize, valueSize } from './capacity.js';
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

/** One read of a hot item: its size, and the entries of its `intents` map (lambdas/participants/itemIntents.ts). */
export interface ItemSample {
  bytes: number;
  entries: number;
  /** Bytes of those entries by AWS's rules, each with its txnId and the map's byte for it (the map's own 3 left out). */
  entryBytes: number;
  /** How long before the read the oldest entry last changed (its `at`): how long entries stay; 0 with none. */
  oldestEntryAgeMs: number;
}

/** Pure. An item without the map has no entries; `readAt` is when it was read (ms since the epoch). */
export function itemSampleOf(item: AttributeMap, readAt: number): ItemSample {
  const intents = item.intents;
  const entries = Object.values(intents?.M ?? {});
  const times = entries.flatMap((entry) => (entry.M?.at?.S ? [Date.parse(entry.M.at.S)] : []));
  return {
    bytes: itemSize(item),
    entries: entries.length,
    entryBytes: intents && entries.length ? valueSize(intents) - 3 : 0,
    oldestEntryAgeMs: times.length ? readAt - Math.min(...times) : 0,
  };
}

/** A hot item's sizes as read beside a run, with how many entries it carried and what one weighs. */
export interface ItemSampleSummary extends ItemSizeSummary {
  maxEntries: number;
  meanEntries: number;
  /** Mean bytes of one entry over every entry read (0 when none was). */
  bytesPerEntry: number;
  /** The oldest entry's age, the largest and the mean over the reads. */
  maxEntryAgeMs: number;
  meanOldestEntryAgeMs: number;
}

/** Pure. */
export function itemSampleSummary(samples: readonly ItemSample[]): ItemSampleSummary {
  const entries = samples.reduce((sum, s) => sum + s.entries, 0);
  return {
    ...itemSizeSummary(samples.map((s) => s.bytes)),
    maxEntries: samples.length ? Math.max(...samples.map((s) => s.entries)) : 0,
    meanEntries: samples.length ? entries / samples.length : 0,
    bytesPerEntry: entries ? samples.reduce((sum, s) => sum + s.entryBytes, 0) / entries : 0,
    maxEntryAgeMs: samples.length ? Math.max(...samples.map((s) => s.oldestEntryAgeMs)) : 0,
    meanOldestEntryAgeMs: samples.length ? samples.reduce((sum, s) => sum + s.oldestEntryAgeMs, 0) / samples.length : 0,
  };
}

/**
 * Reads one item every `everyMs` until stopped, then once more: the item while a load runs on it, read by
 * the caller's `read` (a consistent GetItem outside the measured transactions). A read that finds no item
 * gives no sample.
 */
export function sampleItem<T>(read: () => Promise<T | undefined>, everyMs: number): { stop(): Promise<T[]> } {
  const samples: T[] = [];
  let running = true;
  let wake: (() => void) | undefined;
  const take = async () => {
    const sample = await read();
    if (sample !== undefined) samples.push(sample);
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
      return samples;
    },
  };
}
