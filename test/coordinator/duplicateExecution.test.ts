/**
 * An asynchronous Express start is at least once: the same execution (same name, ARN and input) may
 * run twice, at the same time. Nothing is logged before the decision, so both run the protocol; what
 * keeps the twin harmless is the protocol itself: the decision is written exactly once and both
 * executions obey it, and every participant action is idempotent. Runs on both variants.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerWorld } from '../chaos/ledgerWorld.js';
import { COMMITTED_BALANCES, LEDGERS, overdraft, transfer, UNTOUCHED_BALANCES, fundedWorlds, transferBalances } from '../support/transferFixtures.js';

const world = fundedWorlds();
const states = (w: LedgerWorld, txnId: string) => Promise.all(LEDGERS.map((p) => w.recordState(p, txnId)));
/** Successful decision writes only (the observer sees what DynamoDB accepted). */
const decisionWrites = (w: LedgerWorld, txnId: string) => w.decisionWrites.filter((d) => d.txnId === txnId);

describe('two executions of one transaction at once', () => {
  it('commit once: one decision write wins, the twin follows it, every commit is applied once', async () => {
    const w = await world();
    const first = w.start('t1', transfer);
    const twin = w.pakka.redeliver(first);
    const outcomes = await Promise.all([first.done, twin.done]);
    await w.injector.settled();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT' });
    expect(decisionWrites(w, 't1').map((d) => d.decision)).toEqual(['COMMIT']);
    expect(await states(w, 't1')).toEqual(['COMMITTED', 'COMMITTED', 'COMMITTED']);
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    await w.recovery().sweepUntilQuiet();
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('abort once when a participant votes no: nothing moves, whichever twin decides', async () => {
    const w = await world();
    const first = w.start('t1', overdraft);
    const twin = w.pakka.redeliver(first);
    await Promise.all([first.done, twin.done]);
    await w.injector.settled();
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(decisionWrites(w, 't1').map((d) => d.decision)).toEqual(['ABORT']);
    expect(await transferBalances(w)).toEqual(UNTOUCHED_BALANCES);
    await w.recovery().sweepUntilQuiet();
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('a twin delivered after the transaction finished changes nothing', async () => {
    const w = await world();
    const first = w.start('t1', transfer);
    await first.done;
    const late = await w.pakka.redeliver(first).done;
    await w.injector.settled();
    // It prepares again (each record answers with the vote it holds), fails the decision's condition and follows the logged COMMIT.
    expect(late).toMatchObject({ ok: true, output: { decision: 'COMMIT', status: 'COMMITTED' } });
    expect(decisionWrites(w, 't1')).toHaveLength(1);
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });
});
