/** The barrier's rules for participants whose state lives outside DynamoDB, tested without DynamoDB. */
import { describe, expect, it } from 'vitest';
import { afterLostIntent, afterTeamPrepare, onBarrierAbort, onBarrierCommit, onBarrierPrepare } from '../../lambdas/protocol/barrierState.js';

describe('barrier prepare', () => {
  it("runs the team's prepare only with no record or its own intent", () => {
    expect(onBarrierPrepare(undefined, 'd')).toEqual({ kind: 'writeIntent' });
    expect(onBarrierPrepare({ state: 'PREPARING', digest: 'd' }, 'd')).toEqual({ kind: 'resumeIntent' });
  });

  it('a decided record answers without calling the team: repeats, and a prepare after a null abort votes no', () => {
    expect(onBarrierPrepare({ state: 'PREPARED', digest: 'd' }, 'd')).toEqual({ kind: 'answer', answer: { vote: 'VOTE_COMMIT', reason: null } });
    expect(onBarrierPrepare({ state: 'COMMITTED', digest: 'd' }, 'd')).toEqual({ kind: 'answer', answer: { vote: 'VOTE_COMMIT', reason: null } });
    expect(onBarrierPrepare({ state: 'ABORTED' }, 'd')).toEqual({ kind: 'answer', answer: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' } });
    expect(onBarrierPrepare({ state: 'ABORTED', digest: 'd', voteReason: 'INSUFFICIENT_FUNDS' }, 'd')).toEqual({
      kind: 'answer',
      answer: { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' },
    });
  });

  it('refuses other operations under the same txnId, intent or not', () => {
    expect(onBarrierPrepare({ state: 'PREPARING', digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
    expect(onBarrierPrepare({ state: 'PREPARED', digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
  });

  it("a team's no is undone before it is recorded, and READ_ONLY leaves no record", () => {
    expect(afterTeamPrepare({ vote: 'VOTE_COMMIT' })).toEqual({ kind: 'prepared' });
    expect(afterTeamPrepare({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' })).toEqual({ kind: 'undoThenAbort', reason: 'INSUFFICIENT_FUNDS' });
    expect(afterTeamPrepare({ vote: 'READ_ONLY' })).toEqual({ kind: 'dropIntent' });
  });

  it('an abort that overtook a yes makes the team undo the late hold; a concurrent duplicate yes is simply answered', () => {
    expect(afterLostIntent({ state: 'ABORTED' }, 'd', { vote: 'VOTE_COMMIT' })).toEqual({
      answer: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' },
      undo: true,
    });
    expect(afterLostIntent({ state: 'ABORTED' }, 'd', { vote: 'READ_ONLY' })).toEqual({
      answer: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' },
      undo: false,
    });
    expect(afterLostIntent({ state: 'PREPARED', digest: 'd' }, 'd', { vote: 'VOTE_COMMIT' })).toEqual({
      answer: { vote: 'VOTE_COMMIT', reason: null },
      undo: false,
    });
    expect(afterLostIntent(undefined, 'd', { vote: 'VOTE_COMMIT' })).toEqual({ retry: true });
    expect(afterLostIntent({ state: 'PREPARING', digest: 'd' }, 'd', { vote: 'VOTE_COMMIT' })).toEqual({ retry: true });
  });
});

describe('barrier commit and abort', () => {
  it('commit applies on PREPARED, repeats on COMMITTED, and is refused on an intent, after abort, or without a record', () => {
    expect(onBarrierCommit({ state: 'PREPARED', digest: 'd' }, 'd')).toEqual({ kind: 'apply' });
    expect(onBarrierCommit({ state: 'PREPARED', digest: 'd' }, undefined)).toEqual({ kind: 'apply' });
    expect(onBarrierCommit({ state: 'COMMITTED', digest: 'd' }, 'd')).toEqual({ kind: 'repeat' });
    expect(onBarrierCommit({ state: 'PREPARING', digest: 'd' }, 'd')).toEqual({ kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' });
    expect(onBarrierCommit({ state: 'ABORTED' }, 'd')).toEqual({ kind: 'violation', code: 'COMMIT_AFTER_ABORT' });
    expect(onBarrierCommit(undefined, 'd')).toEqual({ kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' });
    expect(onBarrierCommit({ state: 'PREPARED', digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
  });

  it("abort on an intent runs the team's abort (never a null abort); with no record it leaves a tombstone", () => {
    expect(onBarrierAbort({ state: 'PREPARING', digest: 'd' }, 'd')).toEqual({ kind: 'undoIntent' });
    expect(onBarrierAbort({ state: 'PREPARING', digest: 'd' }, undefined)).toEqual({ kind: 'undoIntent' });
    expect(onBarrierAbort({ state: 'PREPARING', digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
    expect(onBarrierAbort(undefined, 'd')).toEqual({ kind: 'nullAbort' });
    expect(onBarrierAbort({ state: 'PREPARED', digest: 'd' }, 'd')).toEqual({ kind: 'apply' });
    expect(onBarrierAbort({ state: 'ABORTED' }, 'd')).toEqual({ kind: 'repeat' });
    expect(onBarrierAbort({ state: 'COMMITTED', digest: 'd' }, 'd')).toEqual({ kind: 'violation', code: 'ABORT_AFTER_COMMIT' });
    // Another request's record under the same txnId is never answered for (issue 21 D7).
    for (const state of ['PREPARED', 'COMMITTED', 'ABORTED'] as const) {
      expect(onBarrierAbort({ state, digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
      expect(onBarrierCommit({ state, digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
      expect(onBarrierPrepare({ state, digest: 'x' }, 'd')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
    }
  });
});
