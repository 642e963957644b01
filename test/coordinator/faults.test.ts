/**
 * Participant faults injected between the real ASL and the participant handlers, on DynamoDB Local:
 * crashes before and after the prepare write, commits that fail K times, answers after the timeout,
 * duplicate deliveries. Each case asserts the fault fired and the outcome docs/design.md requires, then
 * that recovery leaves every transaction final with no lock (I1-I5 on the tables).
 */
import { describe, expect, it } from 'vitest';
import { CRASH_ERROR, FaultInjector, faultSpec, faultsFromEnvironment } from '../../local/faults.js';
import type { LedgerWorld, Transfer } from '../chaos/ledgerWorld.js';
import { statusAt } from '../support/participantTable.js';
import { COMMITTED_BALANCES, LEDGERS, overdraft, transfer, UNTOUCHED_BALANCES, fundedWorlds, transferBalances } from '../support/transferFixtures.js';

/** The ASL's Commit/Abort Retry: MaxAttempts 6 after the first try. */
const PHASE_TWO_ATTEMPTS = 7;

const world = fundedWorlds();

async function runTransfer(w: LedgerWorld, txnId: string, t: Transfer = transfer) {
  const outcome = await w.start(txnId, t).done;
  await w.injector.settled();
  return outcome;
}

/** Each ledger's own status of the transaction: a hold that lives in its item has no record until the decision reaches it. */
const states = (w: LedgerWorld, txnId: string) => Promise.all(LEDGERS.map(async (p) => (await statusAt(w.pakka, p, txnId)).state));
const firedCount = (w: LedgerWorld, fault: string) => w.injector.fired.filter((f) => f.spec.fault === fault).length;

/** After the coordinator and recovery: all final, nothing locked, I1-I5 hold. */
async function expectSettled(w: LedgerWorld) {
  await w.recovery().sweepUntilQuiet();
  await w.injector.settled();
  expect(await w.invariantViolations()).toEqual([]);
}

describe('a participant that crashes during prepare', () => {
  it('before its prepare write: the coordinator counts it as a no vote and aborts; the participant keeps a tombstone', async () => {
    const w = await world([{ fault: 'crash', participant: 'payee-bank', action: 'prepare', when: 'beforeWrite', txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(firedCount(w, 'crash')).toBe(1);
    const view = await w.pakka.getTransaction('t1');
    expect(view).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'ERROR' });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });

  it('after its prepare write, before answering: the abort reaches its prepared record and releases the locks', async () => {
    const w = await world([{ fault: 'crash', participant: 'payee-bank', action: 'prepare', when: 'afterWrite', txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(firedCount(w, 'crash')).toBe(1);
    expect(w.injector.deliveries.find((d) => d.participant === 'payee-bank' && d.action === 'prepare')?.error).toContain(CRASH_ERROR);
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT' });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });

  it('after its prepare write, and the coordinator dies before deciding: recovery aborts and releases the locks', async () => {
    const w = await world([
      { fault: 'crash', participant: 'payee-bank', action: 'prepare', when: 'afterWrite', txnId: 't1' },
      { fault: 'stopCoordinator', at: 'LogAbortDecision', txnId: 't1' },
    ]);
    await runTransfer(w, 't1');
    expect(w.injector.wasStopped('t1')).toBe(true);
    expect((await statusAt(w.pakka, 'payee-bank', 't1')).state).toBe('PREPARED');
    // The payee's promised credit is held (incoming) until the decision reaches it.
    expect((await w.scanParticipants()).some(({ item }) => typeof item.incoming === 'number' && item.incoming > 0)).toBe(true);
    const [report] = await w.recovery().sweepUntilQuiet();
    expect(report).toMatchObject({ decided: 1, finalized: 1 });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery' });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });
});

describe('a commit that fails', () => {
  it('K times, fewer than the retries: the state machine retries with backoff and commits', async () => {
    const w = await world([{ fault: 'fail', participant: 'payee-bank', action: 'commit', times: 3, txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(firedCount(w, 'fail')).toBe(3);
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT' });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await expectSettled(w);
  });

  it('K times, more than the retries: never rolled back, left to recovery (the open index), recovery commits', async () => {
    const K = PHASE_TWO_ATTEMPTS + 3;
    const w = await world([{ fault: 'fail', participant: 'payee-bank', action: 'commit', times: K, txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(firedCount(w, 'fail')).toBe(PHASE_TWO_ATTEMPTS);
    // The delivery that gave up writes the log again, off the happy path: the item joins the open index for recovery.
    expect(w.injector.tasks.filter((t) => t.txnId === 't1' && t.state === 'CommitLeftToRecovery')).toHaveLength(1);
    const item = await w.logItem('t1');
    expect(item).toMatchObject({ status: 'COMMITTING', decision: 'COMMIT', phase2Json: ['ACKED', 'PENDING', 'ACKED'] });
    expect(item?.leftToRecoveryAt).toBeDefined();
    // The others committed; the payee still holds its hold until the commit reaches it.
    expect(await states(w, 't1')).toEqual(['COMMITTED', 'PREPARED', 'COMMITTED']);

    // The fault also reaches recovery's deliveries: three more failures, three pending sweeps, then the commit.
    const reports = await w.recovery().sweepUntilQuiet();
    expect(reports.map((r) => [r.pending, r.finalized])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(firedCount(w, 'fail')).toBe(K);
    const done = await w.logItem('t1');
    expect(done).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', recoveryAttempts: 4, phase2Json: ['ACKED', 'ACKED', 'ACKED'] });
    expect(done?.decidedBy).toBeUndefined(); // the coordinator's decision, delivered by recovery
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await expectSettled(w);
  });

  it('an abort that fails more than the retries is left to recovery too, which aborts', async () => {
    const w = await world([{ fault: 'crash', participant: 'payee-bank', action: 'abort', when: 'beforeWrite', times: PHASE_TWO_ATTEMPTS, txnId: 't1' }]);
    await runTransfer(w, 't1', overdraft);
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTING', decision: 'ABORT' });
    await w.recovery().sweep();
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED' });
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });
});

describe('an answer after the timeout (prepare timeout 1 s)', () => {
  it('a prepare held back past the timeout: the coordinator aborts first, and the late prepare finds the tombstone and votes no', async () => {
    const w = await world([{ fault: 'late', participant: 'payee-bank', action: 'prepare', when: 'beforeWrite', delayMs: 1500, txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'TIMEOUT' });
    const late = w.injector.deliveries.find((d) => d.participant === 'payee-bank' && d.action === 'prepare');
    // A no leaves the participant function raised as an error named after its reason.
    expect(late?.error).toContain('Pakka.VoteAbort.ABORTED_BEFORE_PREPARE');
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });

  it('a prepare done at once whose answer comes too late: counted as a no, and the abort releases what it locked', async () => {
    const w = await world([{ fault: 'late', participant: 'payee-bank', action: 'prepare', when: 'afterWrite', delayMs: 1500, txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', reason: 'TIMEOUT' });
    expect(w.injector.deliveries.find((d) => d.participant === 'payee-bank' && d.action === 'prepare')?.answer).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });

  it('a commit acknowledged too late (commit timeout 2 s): retried, the repeat is idempotent, committed once', async () => {
    const w = await world([{ fault: 'late', participant: 'payee-bank', action: 'commit', when: 'afterWrite', delayMs: 2500, txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED' });
    const commits = w.injector.deliveries.filter((d) => d.participant === 'payee-bank' && d.action === 'commit');
    expect(commits.map((c) => (c.answer as { repeated?: boolean }).repeated).sort()).toEqual([false, true]);
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await expectSettled(w);
  });
});

describe('a message delivered twice', () => {
  it.each(['prepare', 'commit'] as const)('%s, side by side: applied once, both deliveries answer the same', async (action) => {
    const w = await world([{ fault: 'duplicate', participant: 'payee-bank', action, txnId: 't1' }]);
    await runTransfer(w, 't1');
    const fired = w.injector.fired.find((f) => f.spec.fault === 'duplicate');
    expect(fired?.duplicateAnswer).toMatchObject(action === 'prepare' ? { vote: 'VOTE_COMMIT' } : { outcome: 'COMMITTED' });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED' });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await expectSettled(w);
  });

  it('a duplicate prepare that arrives after the commit: answers from the record, locks nothing, changes nothing', async () => {
    const w = await world([{ fault: 'duplicate', participant: 'payee-bank', action: 'prepare', after: 'commit', txnId: 't1' }]);
    const outcome = await w.start('t1', transfer).done;
    expect(outcome.ok).toBe(true);
    await w.injector.settled();
    expect(w.injector.fired.find((f) => f.spec.fault === 'duplicate')?.duplicateAnswer).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await w.recordState('payee-bank', 't1')).toBe('COMMITTED');
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await expectSettled(w);
  });

  it('a duplicate prepare that arrives after the abort: votes no and locks nothing (anti-hanging)', async () => {
    const w = await world([{ fault: 'duplicate', participant: 'payee-bank', action: 'prepare', after: 'abort', txnId: 't1' }]);
    await runTransfer(w, 't1', overdraft);
    expect(w.injector.fired.find((f) => f.spec.fault === 'duplicate')?.duplicateAnswer).toMatchObject({
      error: expect.stringContaining('Pakka.VoteAbort.ABORTED_BEFORE_PREPARE'),
    });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await expectSettled(w);
  });

  it('abort, side by side: released once, both answer ABORTED', async () => {
    const w = await world([{ fault: 'duplicate', participant: 'payee-bank', action: 'abort', txnId: 't1' }]);
    await runTransfer(w, 't1', overdraft);
    expect(w.injector.fired.find((f) => f.spec.fault === 'duplicate')?.duplicateAnswer).toMatchObject({ outcome: 'ABORTED' });
    await expectSettled(w);
  });
});

describe('fault specs are plain data, checked', () => {
  it('accepts every kind and fills defaults', () => {
    expect(faultSpec.parse({ fault: 'crash', participant: 'p', action: 'prepare', when: 'afterWrite' })).toMatchObject({ times: 1 });
    expect(faultSpec.parse({ fault: 'stopCoordinator', at: 'Commit' })).toMatchObject({ occurrence: 1 });
    expect(faultSpec.parse({ fault: 'duplicate', participant: 'p', action: 'commit' })).toMatchObject({ delayMs: 0 });
  });

  it('rejects a state that is not a Task of the ASL, an unknown fault and unknown fields', () => {
    expect(() => new FaultInjector([{ fault: 'stopCoordinator', at: 'JudgeAnswer' }])).toThrow(/Task state/);
    expect(() => faultSpec.parse({ fault: 'meteor', participant: 'p' })).toThrow();
    expect(() => faultSpec.parse({ fault: 'fail', participant: 'p', action: 'commit', times: 2, extra: 1 })).toThrow();
    expect(() => faultSpec.parse({ fault: 'fail', participant: 'p', action: 'commit', times: 0 })).toThrow();
  });

  it('come from PAKKA_FAULTS for the local demo, checked the same way; unset means none', () => {
    expect(faultsFromEnvironment({})).toBeUndefined();
    expect(faultsFromEnvironment({ PAKKA_FAULTS: '[{"fault":"stopCoordinator","at":"LogCommitDecision"}]' })?.specs).toEqual([
      { fault: 'stopCoordinator', at: 'LogCommitDecision', occurrence: 1 },
    ]);
    expect(() => faultsFromEnvironment({ PAKKA_FAULTS: 'stop it' })).toThrow(/JSON list/);
    expect(() => faultsFromEnvironment({ PAKKA_FAULTS: '[{"fault":"stopCoordinator","at":"Nowhere"}]' })).toThrow(/PAKKA_FAULTS\[0.at\]/);
  });

  it('refuses to stop a coordinator it cannot reach rather than failing silently', async () => {
    const injector = new FaultInjector([{ fault: 'stopCoordinator', at: 'Commit' }]);
    await expect(injector.beforeTask('Commit', { Payload: { txnId: 'x' } })).rejects.toThrow(/attach/);
  });
});
