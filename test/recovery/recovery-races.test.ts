/**
 * Recovery racing itself and a live coordinator, hazards and strays, on DynamoDB Local and the real
 * ASL. The conditional decision write is the only arbiter: whoever writes first, every party obeys
 * it, the decision is written exactly once (observed on the wire), and I1-I5 hold afterwards.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../../lambdas/config/participantConfig.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import type { FaultSpec } from '../../local/faults.js';
import { type Account, type LedgerWorld, ledgerConfig } from '../chaos/ledgerWorld.js';
import {
  alice,
  transferBalances,
  bob,
  COMMITTED_BALANCES,
  entryStates,
  LEDGERS,
  transfer,
  UNTOUCHED_BALANCES,
  fundedWorlds,
} from '../support/transferFixtures.js';

/**
 * The participants' default timeouts, not the fault worlds' one-second prepare: no test here is about a late
 * answer, and on a loaded machine a prepare can take longer than a second, which aborted (TIMEOUT) transfers
 * these tests need prepared, committed or paused at a later state.
 */
const UNHURRIED = ledgerConfig(DEFAULT_TIMEOUTS.prepareTimeoutSeconds, DEFAULT_TIMEOUTS.commitTimeoutSeconds);
const fundedWorld = fundedWorlds();
const world = (faults?: FaultSpec[]) => fundedWorld(faults, undefined, UNHURRIED);

const states = (w: LedgerWorld, txnId: string) => Promise.all(LEDGERS.map((p) => w.recordState(p, txnId)));
const decisionWrites = (w: LedgerWorld, txnId: string) => w.decisionWrites.filter((d) => d.txnId === txnId).map((d) => d.decision);

describe('two sweepers at once', () => {
  it('share the stuck transactions: each decided once, driven to the end, nothing left', async () => {
    const w = await world([
      { fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 'a1' },
      { fault: 'stopCoordinator', at: 'Prepare', occurrence: 2, txnId: 'a2' },
      { fault: 'stopCoordinator', at: 'Commit', occurrence: 2, txnId: 'c1' },
      { fault: 'stopCoordinator', at: 'CommitLeftToRecovery', txnId: 'c2' },
      { fault: 'fail', participant: 'payee-bank', action: 'commit', times: 7, txnId: 'c2' },
    ]);
    // Four transfers that touch no common item, so they run side by side without lock conflicts.
    const ids = ['a1', 'a2', 'c1', 'c2'];
    const payers = ids.map((id): Account => ({ participant: 'payer-bank', key: `payer-${id}` }));
    await w.fund(payers.map((p) => ({ ...p, balance: 5000 })));
    await Promise.all(
      ids.map(
        (id, i) =>
          w.start(id, { from: payers[i] as Account, to: { participant: 'payee-bank', key: `payee-${id}` }, amount: 1000, fee: 10, feeAccount: `fees-${id}` })
            .done,
      ),
    );
    await w.injector.settled();
    const [one, two] = await Promise.all([w.recovery().sweep(), w.recovery().sweep()]);
    expect([...(one?.errors ?? []), ...(two?.errors ?? [])]).toEqual([]);
    // Only the two undecided ones needed a decision, and only one sweeper's write of each won.
    expect((one?.decided ?? 0) + (two?.decided ?? 0)).toBe(2);
    for (const id of ['a1', 'a2']) expect(decisionWrites(w, id)).toEqual(['ABORT']);
    for (const id of ['c1', 'c2']) expect(decisionWrites(w, id)).toEqual(['COMMIT']);
    for (const id of ['a1', 'a2']) expect(await w.logItem(id)).toMatchObject({ status: 'ABORTED' });
    for (const id of ['c1', 'c2']) expect(await w.logItem(id)).toMatchObject({ status: 'COMMITTED' });
    expect(await Promise.all(payers.map((p) => w.balance(p)))).toEqual([5000, 5000, 4000, 4000]);
    expect((await w.recovery().sweep()).quiet).toBe(true);
    expect(await w.invariantViolations()).toEqual([]);
  });
});

describe('a sweeper beside a live coordinator', () => {
  it('recovery logs ABORT past the deadline without waiting for the coordinator (either workflow): the coordinator loses the decision write, reads ABORT and obeys it', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    expect(await w.recovery().sweep()).toMatchObject({ decided: 1, finalized: 1 });
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    // Each abort removed its entry at once (the record, written first, answers).
    expect(await entryStates(w, 't1')).toEqual({});
    w.injector.resume('t1');
    expect((await started.done).ok).toBe(true);
    await w.injector.settled();
    // The coordinator went through ReadLoggedDecision and the abort phase, not the commit phase.
    const tasks = w.injector.tasks.filter((t) => t.txnId === 't1').map((t) => t.state);
    expect(tasks).toContain('ReadLoggedDecision');
    expect(tasks).not.toContain('Commit');
    expect(decisionWrites(w, 't1')).toEqual(['ABORT']);
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery' });
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('the coordinator logged COMMIT first: recovery commits beside it, every commit applied once', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'Commit', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    // The participants' commits not paused may already be applied (then nothing is held and recovery has nothing to do): never a new decision.
    expect(await w.recovery().sweep()).toMatchObject({ decided: 0, errors: [] });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    w.injector.resume('t1');
    expect((await started.done).ok).toBe(true);
    expect(decisionWrites(w, 't1')).toEqual(['COMMIT']);
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED' });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('both write the decision at the same moment: one write wins, and both follow it', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    const sweep = w.recovery().sweep();
    w.injector.resume('t1');
    await Promise.all([sweep, started.done]);
    await w.injector.settled();
    await w.recovery().sweepUntilQuiet();
    const written = decisionWrites(w, 't1');
    expect(written).toHaveLength(1);
    const item = await w.logItem('t1');
    expect(item?.decision).toBe(written[0]);
    expect(await transferBalances(w)).toEqual(written[0] === 'COMMIT' ? COMMITTED_BALANCES : UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('stopped at ReadLoggedDecision after losing the race, with recovery unable to deliver yet: the next sweep finishes', async () => {
    const w = await world([
      { fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' },
      { fault: 'stopCoordinator', at: 'ReadLoggedDecision', txnId: 't1' },
      // Recovery's first abort to the payee fails, so the transaction stays open after the first sweep.
      { fault: 'crash', participant: 'payee-bank', action: 'abort', when: 'beforeWrite', txnId: 't1' },
    ]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    expect(await w.recovery().sweep()).toMatchObject({ decided: 1, pending: 1, finalized: 0 });
    w.injector.resume('t1');
    await started.done;
    await w.injector.settled();
    expect(w.injector.wasStopped('t1')).toBe(true);
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTING', decision: 'ABORT', phase2Json: ['ACKED', 'PENDING', 'ACKED'] });
    // The crash came before the abort's first write (the record), so the payee's entry is still prepared.
    expect(await w.recordState('payee-bank', 't1')).toBeUndefined();
    // The payer's and the switch's aborts removed their entries at once.
    expect(await entryStates(w, 't1')).toEqual({ 'payee-bank': 'P' });
    expect(await states(w, 't1')).toEqual(['ABORTED', undefined, 'ABORTED']);
    expect(await w.recovery().sweep()).toMatchObject({ decided: 0, finalized: 1 });
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', phase2Json: ['ACKED', 'ACKED', 'ACKED'] });
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await states(w, 't1')).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });
});

describe('heuristic hazards are recorded, counted and shown, never hidden', () => {
  it("a participant that refuses the logged COMMIT (its record was aborted behind the protocol's back)", async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'Commit', txnId: 't1' }]);
    await w.start('t1', transfer).done;
    await w.injector.settled();
    // Someone aborts the payee's prepared entry directly: the protocol forbids it, the participant cannot tell
    // (an abort without operations finds the entry through heldItems).
    expect(await entryStates(w, 't1')).toMatchObject({ 'payee-bank': 'P' });
    await w.direct('payee-bank', { action: 'abort', txnId: 't1' });
    // The abort removed the entry at once; its record says ABORTED.
    expect((await entryStates(w, 't1'))['payee-bank']).toBeUndefined();
    expect(await w.recordState('payee-bank', 't1')).toBe('ABORTED');
    expect(w.pakka.metrics.total(METRICS.heuristicHazards)).toBe(0);
    const report = await w.recovery().sweep();
    expect(report).toMatchObject({ finalized: 1, hazards: 1 });
    // Counted once as a hazardous transaction, and once as a violation where the participant refused.
    expect(w.pakka.metrics.total(METRICS.heuristicHazards)).toBe(1);
    expect(w.pakka.metrics.total(METRICS.protocolViolations, { Participant: 'payee-bank', Code: 'COMMIT_AFTER_ABORT' })).toBe(1);
    const view = await w.pakka.getTransaction('t1');
    expect(view).toMatchObject({
      status: 'COMMITTED',
      heuristicHazard: true,
      violations: ['payee-bank:COMMIT_AFTER_ABORT'],
      participants: [{ phaseTwo: 'ACKED' }, { phaseTwo: 'HEURISTIC_HAZARD' }, { phaseTwo: 'ACKED' }],
    });
    // The hazard is real: the payer paid and the payee was never credited. I1 says so too.
    expect(await transferBalances(w)).toEqual({ alice: 4000, bob: undefined, fees: 10 });
    expect((await w.invariantViolations()).some((p) => p.startsWith('I1 t1'))).toBe(true);
  });
});

/** A prepare no coordinator sent: one escrow holds in its item; two items are held in a record (both layouts). */
const orphanPrepares = [
  { held: 'in its item, found through heldItems', operations: [{ op: 'debit', key: 'alice', amount: 100 }] },
  {
    held: 'in a PREPARED record, found through inDoubt',
    operations: [
      { op: 'debit', key: 'alice', amount: 100 },
      { op: 'credit', key: 'carol', amount: 100 },
    ],
  },
];

describe('prepared holds found through the indexes', () => {
  it.each(orphanPrepares)(
    'held $held, with no coordinator log item at all: aborted after the age threshold (presumed abort), not before',
    async ({ held, operations }) => {
      const w = await world();
      const answer = await w.direct('payer-bank', { action: 'prepare', txnId: 'orphan', operations });
      expect(answer).toMatchObject({ vote: 'VOTE_COMMIT' });
      const young = await w.recovery({ now: Date.now }).sweep();
      expect(young.orphansAborted).toBe(0);
      const inItem = held.startsWith('in its item');
      expect(await w.recordState('payer-bank', 'orphan')).toBe(inItem ? undefined : 'PREPARED');
      expect(await entryStates(w, 'orphan')).toEqual(inItem ? { 'payer-bank': 'P' } : {});
      const report = await w.recovery().sweep();
      expect(report).toMatchObject({ orphansAborted: 1, decided: 1, finalized: 1 });
      // The log item is created by recovery's conditional ABORT, naming the participant that held the record.
      expect(report.transactions).toContainEqual(
        expect.objectContaining({ kind: 'driven', txnId: 'orphan', orphan: true, decidedNow: true, decision: 'ABORT', outcomes: ['ACKED'] }),
      );
      expect(await w.logItem('orphan')).toMatchObject({
        status: 'ABORTED',
        decision: 'ABORT',
        decidedBy: 'recovery',
        participantsJson: [{ name: 'payer-bank' }],
      });
      expect(await w.recordState('payer-bank', 'orphan')).toBe('ABORTED');
      // Held in the item, the abort removed the entry at once: the record answers.
      expect(await entryStates(w, 'orphan')).toEqual({});
      expect(await w.balance(alice)).toBe(5000);
      expect(await w.balance({ participant: 'payer-bank', key: 'carol' })).toBeUndefined();
      expect((await w.recovery().sweep()).quiet).toBe(true);
      expect(await w.invariantViolations()).toEqual([]);
    },
  );

  it('of a final transaction that never asked this participant: aborted, the transaction left as it was', async () => {
    const w = await world();
    // A final, aborted two-party transfer (no fee, so the switch is not part of it)...
    await w.start('t1', { from: alice, to: bob, amount: 9000, fee: 0 }).done;
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED' });
    // ...and a stray prepared hold of the same txnId at the switch (one from another deployment), in its item.
    await w.direct('upi-switch', { action: 'prepare', txnId: 't1', operations: [{ op: 'credit', key: 'fees', amount: 5 }] });
    expect(await entryStates(w, 't1')).toMatchObject({ 'upi-switch': 'P' });
    const report = await w.recovery().sweep();
    // The stored item still says ABORTING (nothing is written after the decision), so recovery drives the logged ABORT again (idempotent) and aborts the stray.
    expect(report.transactions).toContainEqual(expect.objectContaining({ kind: 'driven', txnId: 't1', decidedNow: false, decision: 'ABORT' }));
    expect(await w.recordState('upi-switch', 't1')).toBe('ABORTED');
    // The stray's abort removed its entry at once; what stays is the payer's own no (INSUFFICIENT_FUNDS), until the horizon.
    expect(await entryStates(w, 't1')).toEqual({ 'payer-bank': 'A' });
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED' });
    expect(await w.invariantViolations()).toEqual([]);
  });
});
