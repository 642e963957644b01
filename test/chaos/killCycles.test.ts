/**
 * The short kill -9 chaos run of `npm test` (killCycles.ts): the service is SIGKILLed with transfers in
 * flight, its clients retry, recovery runs, and I1–I5 hold. `npm run chaos:kill` runs 10,000 transfers.
 */
import { describe, expect, inject, it } from 'vitest';
import { testSeed } from '../support/seed.js';
import { runKillCycles } from './killCycles.js';

const seed = testSeed('kill -9 chaos');

describe('chaos with kill -9 cycles', () => {
  it(`SIGKILLs of the service mid-flight keep I1-I5 (seed ${seed})`, async () => {
    const result = await runKillCycles({
      endpoint: inject('dynamoEndpoint'),
      seed,
      transactions: 48,
      batch: 24,
      concurrency: 8,
      accounts: 4,
      maxKills: 2,
      killChance: 1,
    });
    expect(result.problems).toEqual([]);
    // The faults must have happened: lives killed with transfers in flight, cut-off transfers retried.
    expect(result.kills).toBeGreaterThan(0);
    expect(result.interrupted).toBeGreaterThan(0);
    expect(result.committed + result.aborted).toBe(result.transactions);
    expect(result.committed).toBeGreaterThan(0);
  }, 300_000);
});
