/** What the console tells an operator about an open transaction: recovery's action, and when a resolve is allowed. */
import { describe, expect, it } from 'vitest';
import type { ParticipantStatus, TransactionList, TransactionView } from '../../console/src/apiTypes.js';
import { allPages, pagesOfPath } from '../../console/src/allPages.js';
import { assess, consequence, unconfirmedVoters } from '../../console/src/stuck.js';
import { transactionViewOf } from '../support/transactionViews.js';

const at = Date.parse('2026-01-01T00:00:00.000Z');
const view = (v: Partial<TransactionView>): TransactionView => transactionViewOf(v);
const p = (name: string, v: Partial<ParticipantStatus> = {}): ParticipantStatus => ({ name, vote: null, reason: null, phaseTwo: null, state: 'UNKNOWN', ...v });

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

  it('is confirmed by naming the transaction; a heuristic (forced) commit is no longer offered', () => {
    const participants = [p('a', { vote: 'VOTE_COMMIT' }), p('b', { vote: 'VOTE_COMMIT' })];
    expect(consequence('t1', 'ABORT', participants)).toMatch(/^Transaction t1 will be ABORTED: a, b release/);
    expect(consequence('t1', 'ABORT', participants)).toContain('a coordinator still running obeys it');
    expect(consequence('t1', 'COMMIT', participants)).not.toContain('FORCED');
  });
});

describe('the live Stuck view reads every page of the open listing', () => {
  it('follows nextCursor to the end, so a stuck transaction beyond the first page is shown', async () => {
    const pages: Record<string, TransactionList> = {
      '/transactions?status=COMMITTING&limit=2': { transactions: [view({ txnId: 'a' }), view({ txnId: 'b' })], nextCursor: 'c1' },
      '/transactions?status=COMMITTING&limit=2&cursor=c1': { transactions: [view({ txnId: 'c' }), view({ txnId: 'd' })], nextCursor: 'c/2' },
      '/transactions?status=COMMITTING&limit=2&cursor=c%2F2': { transactions: [view({ txnId: 'e' })], nextCursor: null },
    };
    const asked: string[] = [];
    const get = async (path: string) => {
      asked.push(path);
      const page = pages[path];
      if (!page) throw new Error(`unexpected ${path}`);
      return page;
    };
    const all = await allPages(pagesOfPath(get, '/transactions?status=COMMITTING&limit=2'));
    expect(all.transactions.map((t) => t.txnId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.capped).toBe(false);
    expect(asked).toHaveLength(3);
    // A runaway listing is bounded, and says so.
    const endless = await allPages(async () => ({ transactions: [view({})], nextCursor: 'again' }), 3);
    expect(endless).toMatchObject({ capped: true });
    expect(endless.transactions).toHaveLength(3);
  });
});
