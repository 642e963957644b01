/**
 * `pakka resolve`: an operator's manual decision for a stuck transaction, on DynamoDB Local and the
 * real ASL. ABORT is allowed at any moment while no decision is logged, even beside a running
 * coordinator (it loses the write-once decision and obeys); COMMIT only when every yes vote is
 * established. Recorded with who and why, then driven.
 */
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../local/faults.js';
import type { LedgerWorld } from '../chaos/ledgerWorld.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import {
  transferBalances,
  COMMITTED_BALANCES,
  entryStates,
  LEDGERS,
  recordStates,
  transfer,
  UNTOUCHED_BALANCES,
  fundedWorlds,
} from '../support/transferFixtures.js';

const world = fundedWorlds();

async function stuck(faults: FaultSpec[]): Promise<LedgerWorld> {
  const w = await world(faults);
  await w.start('t1', transfer).done;
  await w.injector.settled();
  return w;
}

const stopBeforeDeciding: FaultSpec = { fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' };
/** An operator acts at the real time: no deadline has to pass for a manual decision, on either workflow. */
const operator = (w: LedgerWorld) => w.recovery({ now: Date.now });

describe('resolve a stuck transaction', () => {
  it('commit refused when no decision was ever logged: the participants are not known, so only ABORT can be decided', async () => {
    const w = await stuck([stopBeforeDeciding]);
    // Nothing is logged before the decision: a participant that was never asked would hold nothing and never hear a commit.
    const refused = await operator(w).resolve('t1', { decision: 'COMMIT', operator: 'asha', reason: 'coordinator lost' });
    expect(refused).toMatchObject({ ok: false, status: 409, code: 'VOTES_UNKNOWN', field: 'decision' });
    // A heuristic commit is no longer offered: `force` is not a field of a resolve request.
    const forced = await operator(w).resolve('t1', { decision: 'COMMIT', operator: 'asha', reason: 'coordinator lost', force: true });
    expect(forced).toMatchObject({ ok: false, status: 400, code: 'INVALID_REQUEST', field: 'force' });
    expect(await w.logItem('t1')).toBeUndefined();
    expect(await entryStates(w, 't1')).toEqual({ 'payer-bank': 'P', 'payee-bank': 'P', 'upi-switch': 'P' });
  });

  it('abort: logged and driven to ABORTED, every lock released', async () => {
    const w = await stuck([stopBeforeDeciding]);
    const result = await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'customer cancelled' });
    expect(result).toMatchObject({ ok: true, decision: 'ABORT' });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'operator:asha', decisionNote: 'customer cancelled' });
    // Each abort removed its entry at once (the record, written first, answers).
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await recordStates(w, 't1')).toEqual({ 'payer-bank': 'ABORTED', 'payee-bank': 'ABORTED', 'upi-switch': 'ABORTED' });
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
    // Counted under its own reason, and as found as well as resolved.
    const metrics = w.pakka.metrics;
    expect(metrics.total(METRICS.transactionsAborted, { Reason: 'OPERATOR' })).toBe(1);
    expect(metrics.total(METRICS.transactionsAborted, { Reason: 'ERROR' })).toBe(0);
    expect(metrics.total(METRICS.inDoubtFound)).toBe(1);
    expect(metrics.total(METRICS.inDoubtResolved)).toBe(1);
  });

  it('abort of a transaction stopped in the middle of prepare: the item names the participants that held it; the rest hold nothing', async () => {
    const w = await stuck([{ fault: 'stopCoordinator', at: 'Prepare', occurrence: 3, txnId: 't1' }]);
    const before = await entryStates(w, 't1');
    const holders = LEDGERS.filter((p) => before[p] === 'P');
    expect(await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'votes missing' })).toMatchObject({ ok: true });
    expect((await w.logItem('t1'))?.participantsJson.map((p) => p.name)).toEqual(holders);
    // The holders' aborts removed their entries at once; only they hold a record, ABORTED.
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await recordStates(w, 't1')).toEqual(Object.fromEntries(LEDGERS.map((p) => [p, holders.includes(p) ? 'ABORTED' : undefined])));
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('refused once a decision is logged, showing the logged one; nothing changes', async () => {
    const w = await stuck([{ fault: 'stopCoordinator', at: 'Commit', txnId: 't1' }]);
    const refused = await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'try to undo' });
    expect(refused).toMatchObject({
      ok: false,
      status: 409,
      code: 'DECISION_ALREADY_LOGGED',
      logged: { decision: 'COMMIT', decidedBy: 'coordinator' },
    });
    expect(await w.logItem('t1')).toMatchObject({ decision: 'COMMIT', status: 'COMMITTING' });
    expect(w.decisionWrites.filter((d) => d.txnId === 't1')).toEqual([{ txnId: 't1', decision: 'COMMIT' }]);
  });

  it('abort at any moment, the coordinator still running: it loses the decision write and obeys', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    expect(w.pakka.isRunning('t1')).toBe(true);
    expect(await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'customer cancelled' })).toMatchObject({
      ok: true,
      decision: 'ABORT',
    });
    w.injector.resume('t1');
    expect((await started.done).ok).toBe(true);
    await w.injector.settled();
    // The coordinator read the operator's ABORT and went through the abort phase, never the commit phase.
    const tasks = w.injector.tasks.filter((t) => t.txnId === 't1').map((t) => t.state);
    expect(tasks).toContain('ReadLoggedDecision');
    expect(tasks).not.toContain('Commit');
    expect(w.decisionWrites.filter((d) => d.txnId === 't1')).toEqual([{ txnId: 't1', decision: 'ABORT' }]);
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'operator:asha' });
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('commit refused beside a running coordinator before its decision (participants unknown); the coordinator then decides itself', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    // No log item yet, so the participants are not known for certain: only ABORT, even though all hold prepared entries.
    expect(await operator(w).resolve('t1', { decision: 'COMMIT', operator: 'asha', reason: 'all voted' })).toMatchObject({ ok: false, code: 'VOTES_UNKNOWN' });
    w.injector.resume('t1');
    await started.done;
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED', decidedBy: 'coordinator' });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
  });

  it('bad input is a 400 naming the field, an unknown transaction a 404; neither changes anything', async () => {
    const w = await stuck([stopBeforeDeciding]);
    const r = operator(w);
    const cases: Array<[string, unknown, string]> = [
      ['t1', { decision: 'MAYBE', operator: 'asha', reason: 'why not' }, 'decision'],
      ['t1', { decision: 'ABORT', reason: 'no name' }, 'operator'],
      ['t1', { decision: 'ABORT', operator: 'asha smith', reason: 'space in name' }, 'operator'],
      ['t1', { decision: 'ABORT', operator: 'asha' }, 'reason'],
      ['t1', { decision: 'ABORT', operator: 'asha', reason: 'x' }, 'reason'],
      ['t1', { decision: 'ABORT', operator: 'asha', reason: 'fine', force: 'yes' }, 'force'],
      ['t1', { decision: 'ABORT', operator: 'asha', reason: 'fine', sneaky: 1 }, 'sneaky'],
      ['t1', 'not an object', 'body'],
      ['bad id!', { decision: 'ABORT', operator: 'asha', reason: 'fine' }, 'txnId'],
    ];
    for (const [txnId, body, field] of cases) {
      expect(await r.resolve(txnId, body), JSON.stringify(body)).toMatchObject({ ok: false, status: 400, code: 'INVALID_REQUEST', field });
    }
    expect(await r.resolve('nope', { decision: 'ABORT', operator: 'asha', reason: 'fine' })).toMatchObject({ ok: false, status: 404, code: 'NOT_FOUND' });
    expect((await w.logItem('t1'))?.decision).toBeUndefined();
  });
});
