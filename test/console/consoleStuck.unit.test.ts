/** What the console tells an operator about an open transaction: recovery's action, and when a resolve is allowed. */
import { describe, expect, it } from 'vitest';
import type { ParticipantView, TransactionView } from '../../console/src/apiTypes.js';
import { assess, consequence, unconfirmedVoters } from '../../console/src/stuck.js';

const at = Date.parse('2026-01-01T00:00:00.000Z');
const view = (v: Partial<TransactionView>): TransactionView => ({
  txnId: 't1',
  status: 'PREPARING',
  decision: null,
  reason: null,
  participants: [],
  heuristicHazard: false,
  createdAt: new Date(at).toISOString(),
  decidedAt: null,
  finishedAt: null,
  deadline: new Date(at + 30_000).toISOString(),
  timings: { prepareMs: null, decideMs: null, totalMs: null },
  ...v,
});
const p = (name: string, v: Partial<ParticipantView> = {}): ParticipantView => ({ name, vote: null, reason: null, phaseTwo: null, ...v });

describe('an open transaction', () => {
  it('with no decision: recovery presumes abort, an operator may decide, the 5-minute threshold marks it stuck', () => {
    expect(assess(view({}), at + 10_000)).toMatchObject({ pastDeadline: false, overThreshold: false, resolvable: true });
    const late = assess(view({}), at + 301_000);
    expect(late).toMatchObject({ pastDeadline: true, overThreshold: true, resolvable: true });
    expect(late.recoveryAction).toContain('presumed abort');
  });

  it('with a logged decision: recovery delivers it to those that have not acknowledged, and nobody may change it', () => {
    const a = assess(
      view({ status: 'COMMITTING', decision: 'COMMIT', participants: [p('a', { phaseTwo: 'ACKED' }), p('b', { phaseTwo: 'PENDING' })] }),
      at + 60_000,
    );
    expect(a.resolvable).toBe(false);
    expect(a.recoveryAction).toBe('deliver the logged COMMIT to b until each acknowledges; the decision cannot change');
  });

  it('final: nothing to do', () => {
    expect(assess(view({ status: 'ABORTED', decision: 'ABORT' }), at + 999_000)).toMatchObject({ overThreshold: false, resolvable: false });
  });
});

describe('a commit by hand', () => {
  it('needs every yes vote, from the log or from a PREPARED record', () => {
    const participants = [
      p('logged', { vote: 'VOTE_COMMIT' }),
      p('recorded', { state: 'PREPARED' }),
      p('unknown', { state: 'UNKNOWN' }),
      p('readonly', { vote: 'READ_ONLY' }),
    ];
    expect(unconfirmedVoters(participants)).toEqual(['unknown']);
  });

  it('is confirmed by naming the transaction and, when forced, the hazard', () => {
    const participants = [p('a', { vote: 'VOTE_COMMIT' }), p('b')];
    expect(consequence('t1', 'ABORT', participants, false)).toMatch(/^Transaction t1 will be ABORTED: a, b release/);
    expect(consequence('t1', 'COMMIT', participants, true)).toContain('FORCED: b did not vote yes');
  });
});
