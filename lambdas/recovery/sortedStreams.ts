/**
 * Merging several index queries that are each sorted by time into one list, oldest first, without
 * reading any of them to its end. A stream that came back full may hold more beyond its last entry,
 * so only entries up to the earliest such last entry (the horizon) are certain to be in order; the
 * caller continues from there. Pure.
 */
import type { InDoubtRead } from './ports.js';

/** One query's answer: its entries, oldest first, and whether it stopped at its limit (more may follow). */
export interface StreamRead<T> {
  entries: readonly T[];
  full: boolean;
}

export interface MergedRead<T> {
  /** Every entry up to the horizon, oldest first (ties by `tieBreak`). */
  entries: T[];
  /** No stream has anything beyond what was returned. */
  exhausted: boolean;
}

export function mergeOldestFirst<T>(reads: readonly StreamRead<T>[], at: (entry: T) => string, tieBreak: (a: T, b: T) => number): MergedRead<T> {
  const horizons = reads.flatMap((r) => {
    const last = r.entries.at(-1);
    return r.full && last !== undefined ? [at(last)] : [];
  });
  const horizon = horizons.sort()[0];
  const entries = reads
    .flatMap((r) => r.entries)
    .filter((e) => horizon === undefined || at(e) <= horizon)
    .sort((a, b) => at(a).localeCompare(at(b)) || tieBreak(a, b));
  return { entries, exhausted: horizon === undefined };
}

/** Several reads as one: the oldest `limit` refs of all, and the oldest record of all. */
export function mergedReads(reads: readonly InDoubtRead[], limit: number): InDoubtRead {
  const refs = reads
    .flatMap((r) => r.refs)
    .sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince))
    .slice(0, limit);
  const oldestSince = reads
    .map((r) => r.oldestSince)
    .filter((s): s is string => s !== undefined)
    .sort()[0];
  return oldestSince === undefined ? { refs } : { refs, oldestSince };
}
