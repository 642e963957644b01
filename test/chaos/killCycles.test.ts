/**
 * The short kill -9 chaos run of `npm test` (killCycles.ts): the service is SIGKILLed with transfers in
 * flight, its clients retry, recovery runs, and I1–I5 hold. One transaction in eight is a deposit or withdrawal at the
 * payee's bank alone, which the coordinator sends commitOnePhase and the bank commits claim first. `npm run chaos:kill`
 * runs 10,000 transactions.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { claimRecordPut } from '../../lambdas/participants/itemIntents.js';
import { testSeed } from '../support/seed.js';
import { runKillCycles } from './killCycles.js';
import { killCyclesConfig } from './killCyclesConfig.js';
import { LedgerWorld } from './ledgerWorld.js';

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
    // The deposits and withdrawals took the claim-first path: their records are layout 3, onePhase.
    expect(result.outsideMoves).toBe(6);
    expect(result.claimFirstRecords).toBeGreaterThan(0);
  }, 300_000);

  it('its checker counts committed deposits and withdrawals, and reports a one-phase claim left PREPARED', async () => {
    const world = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), config: killCyclesConfig() });
    try {
      const account = { participant: 'payee-bank' as const, key: 'b0' };
      await world.fund([{ ...account, balance: 1_000 }]);
      expect(await world.submit('deposit-1', { account, direction: 'deposit', amount: 70 })).toBe('started');
      expect(await world.submit('withdrawal-1', { account, direction: 'withdrawal', amount: 30 })).toBe('started');
      expect(await world.submit('withdrawal-2', { account, direction: 'withdrawal', amount: 5_000 })).toBe('started');
      expect(await world.balance(account)).toBe(1_040);
      // As at the end of the run: an aborted transaction leaves the open index by recovery's sweep.
      await world.settle();
      expect((await world.recovery().sweepUntilQuiet(10)).at(-1)?.quiet).toBe(true);
      expect(await world.invariantViolations()).toEqual([]);

      // Without the deposit in what the run knows, the balances no longer add up.
      const deposit = world.outsideMoves.get('deposit-1')!;
      world.outsideMoves.delete('deposit-1');
      expect(await world.invariantViolations()).toEqual([expect.stringMatching(/^I4 the balances sum to 1040, not the 1000 funded - 30 moved/)]);
      world.outsideMoves.set('deposit-1', deposit);

      // A claim nobody resolved, as a commitOnePhase killed right after its claim leaves it before recovery runs.
      const table = world.pakka.tables.participants.get('payee-bank')!;
      const claim = claimRecordPut(table, { txnId: 'claimed-1', digest: 'd', operations: [], now: new Date().toISOString(), holdId: 'h' });
      await world.doc.send(new PutCommand(claim));
      expect(await world.invariantViolations()).toEqual(['I5 payee-bank: claimed-1 still PREPARED (a one-phase claim nobody resolved)']);
    } finally {
      await world.destroy();
    }
  });
});
