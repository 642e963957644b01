/**
 * Pure arithmetic over request timestamps: how many DynamoDB round trips a transaction waited for
 * one after another, and how much of its wall time something other than the engine was busy.
 */

export interface Interval {
  start: number;
  end: number;
}

/**
 * The longest chain of intervals, each starting at or after the previous one ended: the number of
 * sequential round trips, however many ran in parallel beside them.
 */
export function longestSequentialChain(intervals: readonly Interval[]): number {
  const byEnd = [...intervals].sort((a, b) => a.end - b.end);
  const chain: number[] = [];
  let longest = 0;
  for (let i = 0; i < byEnd.length; i++) {
    const current = byEnd[i]!;
    let before = 0;
    for (let j = 0; j < i; j++) {
      if (byEnd[j]!.end <= current.start) before = Math.max(before, chain[j]!);
    }
    chain[i] = before + 1;
    longest = Math.max(longest, chain[i]!);
  }
  return longest;
}

/** The time covered by at least one interval, clipped to [from, to]. */
export function coveredTime(intervals: readonly Interval[], from = -Infinity, to = Infinity): number {
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let runStart = -Infinity;
  let runEnd = -Infinity;
  for (const i of clipped) {
    if (i.start > runEnd) {
      if (runEnd > runStart) total += runEnd - runStart;
      runStart = i.start;
      runEnd = i.end;
    } else {
      runEnd = Math.max(runEnd, i.end);
    }
  }
  if (runEnd > runStart) total += runEnd - runStart;
  return total;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (the value at rank ceil(p * n)), so every figure is a latency that occurred. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : Number.NaN;
  return {
    count: sorted.length,
    mean,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}
