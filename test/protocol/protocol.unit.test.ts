/** Pure protocol rules, tested without DynamoDB. */
import { describe, expect, it } from 'vitest';
import { decide, phaseTwoTargets } from '../../lambdas/protocol/decision.js';
import { onAbort, onCommit, onRepeatedPrepare } from '../../lambdas/protocol/participantState.js';
import { targetsOf } from '../../lambdas/participants/hotItems.js';
import { readCancellation } from '../../lambdas/participants/cancellation.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { booking } from '../../lambdas/participants/kinds/booking.js';
import { VOTES, type Vote } from '../../lambdas/protocol/vote.js';

describe('decide', () => {
  it('commits only when every vote is VOTE_COMMIT or READ_ONLY', () => {
    expect(decide(['VOTE_COMMIT', 'VOTE_COMMIT'])).toBe('COMMIT');
    expect(decide(['VOTE_COMMIT', 'READ_ONLY'])).toBe('COMMIT');
    expect(decide(['READ_ONLY'])).toBe('COMMIT');
    expect(decide(['VOTE_COMMIT', 'VOTE_ABORT'])).toBe('ABORT');
  });

  it('treats a missing vote (timeout, crash) as abort, and no participants as abort', () => {
    expect(decide(['VOTE_COMMIT', undefined])).toBe('ABORT');
    expect(decide([])).toBe('ABORT');
  });

  it('agrees with the rule for every combination of up to three votes', () => {
    const options: Array<Vote | undefined> = [...VOTES, undefined];
    for (const a of options)
      for (const b of options)
        for (const c of options) {
          const votes = [a, b, c];
          const expected = votes.every((v) => v === 'VOTE_COMMIT' || v === 'READ_ONLY') ? 'COMMIT' : 'ABORT';
          expect(decide(votes)).toBe(expected);
        }
  });

  it('leaves READ_ONLY voters out of commit but sends abort to everyone', () => {
    const ps = [{ name: 'a', vote: 'VOTE_COMMIT' as const }, { name: 'b', vote: 'READ_ONLY' as const }, { name: 'c' }];
    expect(phaseTwoTargets('COMMIT', ps).map((p) => p.name)).toEqual(['a', 'c']);
    expect(phaseTwoTargets('ABORT', ps).map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('participant state transitions', () => {
  it('commit applies once, repeats idempotently, and refuses after abort or without prepare', () => {
    expect(onCommit({ state: 'PREPARED', digest: 'd' }, 'd', false)).toEqual({ kind: 'apply' });
    expect(onCommit({ state: 'COMMITTED', digest: 'd' }, 'd', false)).toEqual({ kind: 'repeat' });
    expect(onCommit({ state: 'ABORTED' }, 'd', false)).toEqual({ kind: 'violation', code: 'COMMIT_AFTER_ABORT' });
    expect(onCommit(undefined, 'd', false)).toEqual({ kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' });
    expect(onCommit(undefined, 'd', true)).toEqual({ kind: 'readOnlyCommit' });
    expect(onCommit({ state: 'PREPARED', digest: 'other' }, 'd', false)).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
  });

  it('abort applies once, repeats idempotently, writes a tombstone when nothing was prepared, refuses after commit', () => {
    expect(onAbort({ state: 'PREPARED', digest: 'd' }, 'd')).toEqual({ kind: 'apply' });
    expect(onAbort({ state: 'PREPARED', digest: 'd' }, undefined)).toEqual({ kind: 'apply' });
    expect(onAbort({ state: 'ABORTED' }, 'd')).toEqual({ kind: 'repeat' });
    expect(onAbort(undefined, 'd')).toEqual({ kind: 'nullAbort' });
    expect(onAbort({ state: 'COMMITTED', digest: 'd' }, 'd')).toEqual({ kind: 'violation', code: 'ABORT_AFTER_COMMIT' });
  });

  it('no path answers for the record of another request under the same txnId, whatever its state (issue 21 D7)', () => {
    const records = [
      { state: 'PREPARED', digest: 'a' },
      { state: 'COMMITTED', digest: 'a' },
      { state: 'COMMITTED', digest: 'a', onePhase: true },
      { state: 'ABORTED', digest: 'a' },
      { state: 'ABORTED', digest: 'a', voteReason: 'INSUFFICIENT_FUNDS', onePhase: true },
    ] as const;
    for (const record of records) {
      // prepare and commitOnePhase meet a record through the repeated prepare; commit, abort and the learning abort through phase two.
      expect(onRepeatedPrepare(record, 'b')).toEqual({ violation: 'OPERATIONS_MISMATCH' });
      expect(onCommit(record, 'b', false)).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
      expect(onAbort(record, 'b')).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
    }
    // An abort without operations (recovery's abort of an orphan) has nothing to compare.
    expect(onAbort({ state: 'COMMITTED', digest: 'a', onePhase: true }, undefined)).toEqual({ kind: 'committedInOnePhase' });
  });

  it('a repeated prepare answers what the record says', () => {
    expect(onRepeatedPrepare({ state: 'PREPARED', digest: 'd' }, 'd')).toEqual({ vote: 'VOTE_COMMIT', reason: null });
    expect(onRepeatedPrepare({ state: 'ABORTED', digest: 'd', voteReason: 'INSUFFICIENT_FUNDS' }, 'd')).toEqual({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
    expect(onRepeatedPrepare({ state: 'ABORTED' }, 'd')).toEqual({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(onRepeatedPrepare({ state: 'PREPARED', digest: 'x' }, 'd')).toEqual({ violation: 'OPERATIONS_MISMATCH' });
  });

  it('a record written by a one-phase commit is the decision: a repeat says so, an abort learns it, a commit repeats', () => {
    const committedAlone = { state: 'COMMITTED', digest: 'd', onePhase: true } as const;
    expect(onRepeatedPrepare(committedAlone, 'd')).toEqual({ vote: 'VOTE_COMMIT', reason: null, committed: 'IN_ONE_PHASE' });
    expect(onRepeatedPrepare(committedAlone, 'other')).toEqual({ violation: 'OPERATIONS_MISMATCH' });
    expect(onAbort(committedAlone, 'd')).toEqual({ kind: 'committedInOnePhase' });
    expect(onAbort(committedAlone, undefined)).toEqual({ kind: 'committedInOnePhase' });
    expect(onCommit(committedAlone, 'd', false)).toEqual({ kind: 'repeat' });
    // A one-phase no is final like any other no.
    expect(onRepeatedPrepare({ state: 'ABORTED', digest: 'd', voteReason: 'INSUFFICIENT_FUNDS', onePhase: true }, 'd')).toEqual({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });
});

describe('reading a cancelled prepare', () => {
  const targets = targetsOf([ledger.plan({ op: 'debit', key: 'a', amount: 5 }), booking.plan({ op: 'hold', key: 's', holder: 'h' })], 't1', new Map());

  it('an existing record outranks every other reason', () => {
    const verdict = readCancellation(
      't1',
      [{ Code: 'ConditionalCheckFailed', Item: { state: 'ABORTED' } }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      targets,
    );
    expect(verdict).toEqual({ kind: 'recordExists', record: { state: 'ABORTED' } });
  });

  it("a lock held by another transaction is LOCK_CONFLICT, else the operation's own reason", () => {
    expect(
      readCancellation('t1', [{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { heldBy: 'x', lockedBy: 't2' } }], targets),
    ).toEqual({ kind: 'voteAbort', reason: 'LOCK_CONFLICT' });
    expect(
      readCancellation('t1', [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { balance: 1, available: 1 } }, { Code: 'None' }], targets),
    ).toEqual({ kind: 'voteAbort', reason: 'INSUFFICIENT_FUNDS' });
    expect(readCancellation('t1', [{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { heldBy: 'x' } }], targets)).toEqual({
      kind: 'voteAbort',
      reason: 'ALREADY_HELD',
    });
  });

  it('a business no outranks a lock that a retry might find released', () => {
    const reasons = [
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Item: { balance: 1, available: 1 } },
      { Code: 'ConditionalCheckFailed', Item: { lockedBy: 't2' } },
    ];
    expect(readCancellation('t1', reasons, targets)).toEqual({ kind: 'voteAbort', reason: 'INSUFFICIENT_FUNDS' });
  });

  it('an item without the escrow sums (as 0.1 wrote it) is not upgraded: its failed condition is the no, a lock on it a LOCK_CONFLICT', () => {
    expect(readCancellation('t1', [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { balance: 100 } }, { Code: 'None' }], targets)).toEqual({
      kind: 'voteAbort',
      reason: 'INSUFFICIENT_FUNDS',
    });
    expect(
      readCancellation('t1', [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { balance: 100, lockedBy: 'old' } }, { Code: 'None' }], targets),
    ).toEqual({ kind: 'voteAbort', reason: 'LOCK_CONFLICT' });
  });

  it('a drained shard of a split debit is split again, not a final no', () => {
    const split = targetsOf([ledger.plan({ op: 'debit', key: 'fees', amount: 5 })], 't1', new Map([['fees', 4]]), {
      fees: [{ pk: 'ITEM#fees#02', amount: 5 }],
    });
    expect(readCancellation('t1', [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { balance: 3, available: 3 } }], split)).toEqual({
      kind: 'resplit',
    });
  });

  it('a conflict with a concurrent transaction is transient, anything else unexpected', () => {
    expect(readCancellation('t1', [{ Code: 'TransactionConflict' }, { Code: 'None' }], targets)).toEqual({ kind: 'transient' });
    expect(readCancellation('t1', [{ Code: 'ValidationError' }], targets)).toEqual({ kind: 'unexpected', codes: ['ValidationError'] });
  });
});
