/** Keeps a fixed number of transactions in flight for a while: closed-loop load, one worker per slot. */
import { performance } from 'node:perf_hooks';

export interface LoadShape {
  concurrency: number;
  /** Keep starting transactions until this long has passed... */
  seconds: number;
  /** ...and at least this many have started. */
  minTransactions: number;
}

export async function driveLoad<T>(shape: LoadShape, one: (worker: number, sequence: number) => Promise<T>): Promise<{ results: T[]; wallMs: number }> {
  const results: T[] = [];
  let started = 0;
  const begin = performance.now();
  const deadline = begin + shape.seconds * 1000;
  const worker = async (w: number) => {
    while (started < shape.minTransactions || performance.now() < deadline) {
      results.push(await one(w, started++));
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, (_, w) => worker(w)));
  return { results, wallMs: performance.now() - begin };
}

/** The promise's value, or undefined if it has not settled within `ms` (a watchdog, not a wait). */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A small seeded generator (mulberry32), so a contention run picks the same accounts every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
