/**
 * Step Functions Standard bills per state transition. The README's cost per million transactions
 * is computed from the transitions of a committed transaction; this runs the deployed ASL (on the
 * local engine) and counts them, so the README's formula fails here the day the ASL changes.
 */
import { describe, expect, it } from 'vitest';
import type { EventLog } from '../../local/stateMachine.js';
import { testPakka, uniqueId } from '../support/pakka.js';

/**
 * The formula: PrepareAll, PhaseTwoNeeded, LogCommitDecision, CommitAll (4), plus per participant
 * Prepare and Commit (2); one participant commits in one phase: PrepareAll, Prepare, PhaseTwoNeeded,
 * LogOnePhaseCommit.
 */
const committedTransitions = (n: number) => (n === 1 ? 4 : 4 + 2 * n);

const WORK = [
  { name: 'payer-bank', operations: [{ op: 'credit', key: 'cost-a', amount: 100 }] },
  { name: 'payee-bank', operations: [{ op: 'credit', key: 'cost-b', amount: 100 }] },
  { name: 'upi-switch', operations: [{ op: 'credit', key: 'cost-fees', amount: 1 }] },
  { name: 'warehouse', operations: [{ op: 'restock', key: 'cost-sku', quantity: 1 }] },
];

describe('state transitions of a committed transaction (the unit Step Functions bills)', () => {
  it.each([1, 2, 4])('N=%i participants: 4 + 2N transitions (4 in one phase), no retries', async (n) => {
    const pakka = await testPakka({ variant: 'standard' });
    const validated = pakka.validate({ txnId: uniqueId('cost'), participants: WORK.slice(0, n) });
    if (!validated.ok) throw new Error(validated.error.message);
    const started = pakka.start(validated.value);
    const events: EventLog[] = [];
    for await (const event of started.execution.eventLogs) events.push(event);
    const outcome = await started.done;
    expect(outcome.ok).toBe(true);
    expect((await pakka.getTransaction(started.txnId))?.status).toBe('COMMITTED');
    expect(events.filter((e) => e.type === 'StateRetried')).toEqual([]);
    const entered = events.filter((e) => e.type === 'StateEntered').map((e) => ('state' in e ? e.state.name : ''));
    expect(entered.filter((name) => name === 'Commit')).toHaveLength(n === 1 ? 0 : n);
    expect(entered).toHaveLength(committedTransitions(n));
  });
});
