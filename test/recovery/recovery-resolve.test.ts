/**
 * `pakka resolve`: an operator's manual decision for a stuck transaction, on DynamoDB Local and the
 * real ASL. Allowed only while no decision is logged, recorded with who and why, then driven; a
 * commit needs every yes vote established unless forced (a heuristic decision).
 */
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../local/faults.js';
import type { LedgerWorld } from '../chaos/ledgerWorld.js';
import { alice, bob, fees, transfer, UNTOUCHED_BALANCES, fundedWorlds } from '../support/transferFixtures.js';

const world = fundedWorlds();

async function stuck(faults: FaultSpec[]): Promise<LedgerWorld> {
  const w = await world(faults);
  await w.start('t1', transfer).done;
  await w.injector.settled();
  return w;
}

const balances = async (w: LedgerWorld) => ({ alice: await w.balance(alice), bob: await w.balance(bob), fees: await w.balance(fees) });
const stopBeforeDeciding: FaultSpec = { fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' };
/** An operator acts at the real time: no deadline has to pass for a manual decision. */
// The local engine knows when its executions stopped; on AWS an Express execution cannot be asked, so an
// operator's resolve there waits out the workflow's five-minute maximum (see maxDurationExecutions.ts).
const operator = (w: LedgerWorld) => w.recovery({ now: Date.now, isRunning: (txnId) => w.pakka.isRunning(txnId) });

describe('resolve a stuck transaction', () => {
  it('commit refused, even forced, when no decision was ever logged: the participants are not known, so only ABORT can be decided', async () => {
    const w = await stuck([stopBeforeDeciding]);
    // Nothing is logged before the decision: a participant that was never asked would hold nothing and never hear a commit.
    for (const force of [false, true]) {
      const refused = await operator(w).resolve('t1', { decision: 'COMMIT', operator: 'asha', reason: 'coordinator lost', force });
      expect(refused).toMatchObject({ ok: false, status: 409, code: 'VOTES_UNKNOWN', field: 'decision' });
    }
    expect(await w.logItem('t1')).toBeUndefined();
    expect(await w.recordState('payer-bank', 't1')).toBe('PREPARED');
  });

  it('abort: logged and driven to ABORTED, every lock released', async () => {
    const w = await stuck([stopBeforeDeciding]);
    const result = await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'customer cancelled' });
    expect(result).toMatchObject({ ok: true, decision: 'ABORT' });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'operator:asha', decisionNote: 'customer cancelled' });
    expect(await balances(w)).toEqual(UNTOUCHED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('abort of a transaction stopped in the middle of prepare: the item names the participants that held it; the rest hold nothing', async () => {
    const w = await stuck([{ fault: 'stopCoordinator', at: 'Prepare', occurrence: 3, txnId: 't1' }]);
    const before = await Promise.all(['payer-bank', 'payee-bank', 'upi-switch'].map((p) => w.recordState(p, 't1')));
    expect(await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'votes missing' })).toMatchObject({ ok: true });
    const holders = ['payer-bank', 'payee-bank', 'upi-switch'].filter((_, i) => before[i] === 'PREPARED');
    expect((await w.logItem('t1'))?.participantsJson.map((p) => p.name)).toEqual(holders);
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

  it('refused while the coordinator still runs', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const started = w.start('t1', transfer);
    await w.injector.paused('t1');
    expect(await operator(w).resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'impatient' })).toMatchObject({
      ok: false,
      status: 409,
      code: 'COORDINATOR_RUNNING',
    });
    w.injector.resume('t1');
    await started.done;
    const item = await w.logItem('t1');
    expect(item).toMatchObject({ status: 'COMMITTED' });
    expect(item?.decidedBy).toBeUndefined();
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
