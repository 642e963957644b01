/**
 * The short chaos run of `npm test`: a few random workloads under random faults, then recovery, then
 * I1-I5. `npm run chaos` runs the long one. Set PAKKA_TEST_SEED to replay the printed seed.
 */
import { describe, expect, inject, it } from 'vitest';
import { testSeed } from '../support/seed.js';
import { checkChaos } from './chaosProperty.js';

const seed = testSeed('chaos');

describe('chaos', () => {
  it(`random transfers under random faults keep I1-I5 (seed ${seed})`, async () => {
    const results = await checkChaos({
      endpoint: inject('dynamoEndpoint'),
      seed,
      runs: Number(process.env.CHAOS_TEST_RUNS ?? 4),
      transactionsPerRun: 8,
      slowFaults: true,
    }).catch((error: unknown) => {
      // The seed (and fast-check's path) replays the same scenarios: PAKKA_TEST_SEED=<seed> npx vitest run test/chaos
      console.error(`chaos failed with PAKKA_TEST_SEED=${seed}`);
      throw error;
    });
    expect(results.every((r) => r.problems.length === 0)).toBe(true);
    // The property must have exercised something: faults fired and both outcomes occurred.
    expect(results.reduce((n, r) => n + r.faultsFired, 0)).toBeGreaterThan(0);
    expect(results.reduce((n, r) => n + r.transactions, 0)).toBeGreaterThan(0);
  }, 180_000);
});
