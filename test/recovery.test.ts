/**
 * Recovery after a coordinator that stopped at each Task state of the real ASL, on DynamoDB Local:
 * presumed abort before the commit point, commit everywhere after it, and always final and unlocked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { FaultSpec } from '../local/faults.js';
import { type Account, LedgerWorld, type Transfer } from './chaos/ledgerWorld.js';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

const alice: Account = { participant: 'payer-bank', key: 'alice' };
const bob: Account = { participant: 'payee-bank', key: 'bob' };
const fees: Account = { participant: 'upi-switch', key: 'fees' };
const transfer: Transfer = { from: alice, to: bob, amount: 1000, fee: 10 };

async function world(faults: FaultSpec[] = [], options: { faultsReachRecovery?: boolean } = {}): Promise<LedgerWorld> {
  const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults, ...options });
  worlds.push(w);
  await w.fund([{ ...alice, balance: 5000 }]);
  return w;
}

/** Runs one transfer to its end (or to where a fault stops it) and waits for every participant call. */
async function runTransfer(w: LedgerWorld, txnId: string, t: Transfer = transfer) {
  const started = w.start(txnId, t);
  const outcome = await started.done;
  await w.injector.settled();
  return outcome;
}

async function balances(w: LedgerWorld) {
  return { alice: await w.balance(alice), bob: await w.balance(bob), fees: await w.balance(fees) };
}

const COMMITTED_BALANCES = { alice: 4000, bob: 990, fees: 10 };
// An aborted credit to an account it created leaves no account behind.
const UNTOUCHED_BALANCES = { alice: 5000, bob: undefined, fees: undefined };

describe('a coordinator that stops before the commit point: recovery aborts (presumed abort)', () => {
  it('stopped at LogCommitDecision with every participant prepared: waits for the deadline, then aborts and releases every lock', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const outcome = await runTransfer(w, 't1');
    expect(outcome.ok).toBe(false);
    expect(w.injector.wasStopped('t1')).toBe(true);
    expect((await w.logItem('t1'))?.status).toBe('PREPARING');
    expect(await w.recordState('payer-bank', 't1')).toBe('PREPARED');
    expect(await w.recordState('payee-bank', 't1')).toBe('PREPARED');

    // Before the deadline (and grace) the sweeper leaves it to its coordinator.
    const early = await w.recovery({ now: Date.now }).sweep();
    expect(early.transactions.find((t) => t.txnId === 't1')?.kind ?? 'notFound').toMatch(/notDue|notFound/);
    expect((await w.logItem('t1'))?.decision).toBeUndefined();

    const report = await w.recovery().sweep();
    expect(report).toMatchObject({ finalized: 1, decided: 1, pending: 0, hazards: 0 });
    const item = await w.logItem('t1');
    expect(item).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery', abortReason: 'TIMEOUT' });
    expect(item?.finishedAt).toBeDefined();
    for (const p of ['payer-bank', 'payee-bank', 'upi-switch']) expect(await w.recordState(p, 't1')).toBe('ABORTED');
    expect(await balances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
    expect((await w.recovery().sweep()).quiet).toBe(true);
  });
});
