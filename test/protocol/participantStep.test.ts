/** The one participant step shared by Pakka's runtime and the barrier, tested without DynamoDB. */
import { describe, expect, it } from 'vitest';
import { ONE_PHASE_COMMITTED } from '../../lambdas/protocol/participantState.js';
import { type Holder, type PrepareMessage, participantStep } from '../../lambdas/protocol/participantStep.js';

const prepare: PrepareMessage = { action: 'prepare', digest: 'd', onePhase: false, readOnly: false };
const onePhase: PrepareMessage = { ...prepare, onePhase: true };
const commit = { action: 'commit', digest: 'd', readOnly: false } as const;
const abort = { action: 'abort', digest: 'd' } as const;
const HOLDERS: Holder[] = ['items', 'team'];

describe('items held by Pakka', () => {
  it('prepare with no record writes record and holds in one write, and leaves it PREPARED', () => {
    expect(participantStep('items', undefined, prepare)).toEqual({
      effects: [{ write: 'prepare', onePhase: false }],
      answer: { kind: 'vote', vote: { vote: 'VOTE_COMMIT', reason: null } },
      next: { state: 'PREPARED', digest: 'd', redo: true },
    });
  });

  it('commitOnePhase is the same write, COMMITTED from the start, and its yes carries the one-phase token', () => {
    const step = participantStep('items', undefined, onePhase);
    expect(step.effects).toEqual([{ write: 'prepare', onePhase: true }]);
    expect(step.answer).toEqual({ kind: 'vote', vote: { vote: 'VOTE_COMMIT', reason: null, committed: ONE_PHASE_COMMITTED } });
    expect(step.next).toEqual({ state: 'COMMITTED', digest: 'd', onePhase: true });
  });

  it('a check-only prepare writes nothing but its checks and votes READ_ONLY', () => {
    expect(participantStep('items', undefined, { ...prepare, readOnly: true })).toEqual({
      effects: [{ write: 'check' }],
      answer: { kind: 'vote', vote: { vote: 'READ_ONLY', reason: null } },
    });
  });

  it('a refusal records a final no (one-phase too), but neither a lock conflict nor a check-only no', () => {
    expect(participantStep('items', undefined, { action: 'refused', prepare, reason: 'INSUFFICIENT_FUNDS' }).effects).toEqual([
      { write: 'aborted', reason: 'INSUFFICIENT_FUNDS', onePhase: false },
    ]);
    expect(participantStep('items', undefined, { action: 'refused', prepare: onePhase, reason: 'OUT_OF_STOCK' }).effects).toEqual([
      { write: 'aborted', reason: 'OUT_OF_STOCK', onePhase: true },
    ]);
    const lock = participantStep('items', undefined, { action: 'refused', prepare, reason: 'LOCK_CONFLICT' });
    expect(lock).toEqual({ effects: [], answer: { kind: 'vote', vote: { vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' } } });
    expect(participantStep('items', undefined, { action: 'refused', prepare: { ...prepare, readOnly: true }, reason: 'CHECK_FAILED' }).effects).toEqual([]);
  });

  it('a refusal whose record write lost to another delivery answers from that record', () => {
    expect(participantStep('items', { state: 'ABORTED' }, { action: 'refused', prepare, reason: 'INSUFFICIENT_FUNDS' }).answer).toEqual({
      kind: 'vote',
      vote: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' },
    });
  });

  it('abort releases, then removes what its prepare created; a repeat finishes a clean-up that died, a vote-abort record has none', () => {
    expect(participantStep('items', { state: 'PREPARED', digest: 'd', redo: true }, abort).effects).toEqual([
      { write: 'decide', outcome: 'ABORTED' },
      { write: 'releaseProvisional' },
    ]);
    expect(participantStep('items', { state: 'ABORTED', digest: 'd', redo: true }, abort)).toEqual({
      effects: [{ write: 'releaseProvisional' }],
      answer: { kind: 'outcome', outcome: 'ABORTED', repeated: true },
    });
    expect(participantStep('items', { state: 'ABORTED', digest: 'd', voteReason: 'INSUFFICIENT_FUNDS', redo: true }, abort).effects).toEqual([]);
    expect(participantStep('items', { state: 'ABORTED' }, abort).effects).toEqual([]);
  });

  it('an abort of a one-phase commit is told the outcome; a commit of a check-only participant without a record is READ_ONLY', () => {
    expect(participantStep('items', { state: 'COMMITTED', digest: 'd', onePhase: true }, abort).answer).toEqual({ kind: 'committedInOnePhase' });
    expect(participantStep('items', undefined, { ...commit, readOnly: true }).answer).toEqual({ kind: 'outcome', outcome: 'READ_ONLY', repeated: false });
  });

  it('a PREPARING record is never in a table of Pakka-held items', () => {
    expect(() => participantStep('items', { state: 'PREPARING', digest: 'd' }, commit)).toThrow(/only a barrier/);
  });
});

describe('holds kept by a team (the barrier)', () => {
  it("prepare writes the intent before the team's prepare, and the answer waits for the team's vote", () => {
    expect(participantStep('team', undefined, prepare)).toEqual({
      effects: [{ write: 'intent' }, { call: 'prepare' }],
      answer: { kind: 'pending' },
      next: { state: 'PREPARING', digest: 'd' },
    });
    // An earlier delivery died after its intent: the team's prepare runs again, no second intent.
    expect(participantStep('team', { state: 'PREPARING', digest: 'd' }, prepare).effects).toEqual([{ call: 'prepare' }]);
  });

  it("the team's vote moves its own intent: yes prepared, a no undone before it is recorded, READ_ONLY gone", () => {
    const intent = { state: 'PREPARING', digest: 'd' } as const;
    expect(participantStep('team', intent, { action: 'teamVoted', digest: 'd', vote: { vote: 'VOTE_COMMIT' } })).toEqual({
      effects: [{ write: 'preparedFromIntent' }],
      answer: { kind: 'vote', vote: { vote: 'VOTE_COMMIT', reason: null } },
    });
    expect(participantStep('team', intent, { action: 'teamVoted', digest: 'd', vote: { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' } }).effects).toEqual([
      { call: 'abort', hold: 'none' },
      { write: 'abortedFromIntent', reason: 'INSUFFICIENT_FUNDS' },
    ]);
    expect(participantStep('team', intent, { action: 'teamVoted', digest: 'd', vote: { vote: 'READ_ONLY' } }).effects).toEqual([{ write: 'dropIntent' }]);
  });

  it('an abort that overtook a yes makes the team undo the hold it voted with; a vanished intent is retried', () => {
    expect(participantStep('team', { state: 'ABORTED', digest: 'd' }, { action: 'teamVoted', digest: 'd', vote: { vote: 'VOTE_COMMIT' } })).toEqual({
      effects: [{ call: 'abort', hold: 'voted' }],
      answer: { kind: 'vote', vote: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' } },
    });
    expect(participantStep('team', undefined, { action: 'teamVoted', digest: 'd', vote: { vote: 'VOTE_COMMIT' } }).answer.kind).toBe('transient');
  });

  it("commit and abort call the team's code before the write that records them; an abort of an intent cancels what may exist", () => {
    const prepared = { state: 'PREPARED', digest: 'd' } as const;
    expect(participantStep('team', prepared, commit).effects).toEqual([{ call: 'commit' }, { write: 'decide', outcome: 'COMMITTED' }]);
    expect(participantStep('team', prepared, abort).effects).toEqual([
      { call: 'abort', hold: 'stored' },
      { write: 'decide', outcome: 'ABORTED' },
    ]);
    expect(participantStep('team', { state: 'PREPARING', digest: 'd' }, abort).effects).toEqual([
      { call: 'abort', hold: 'none' },
      { write: 'abortedFromIntent', reason: undefined },
    ]);
    expect(participantStep('team', { state: 'PREPARING', digest: 'd' }, commit).answer).toEqual({ kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' });
  });
});

describe('one set of rules for every holder', () => {
  it.each(HOLDERS)('%s: a null abort leaves a tombstone, and a late prepare then votes no without holding anything', (holder) => {
    expect(participantStep(holder, undefined, abort)).toEqual({
      effects: [{ write: 'aborted', reason: undefined, onePhase: false }],
      answer: { kind: 'outcome', outcome: 'ABORTED', repeated: false },
    });
    expect(participantStep(holder, { state: 'ABORTED' }, prepare)).toEqual({
      effects: [],
      answer: { kind: 'vote', vote: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' } },
    });
  });

  it.each(HOLDERS)('%s: repeats answer the same and change nothing; violations change nothing', (holder) => {
    expect(participantStep(holder, { state: 'PREPARED', digest: 'd' }, prepare)).toEqual({
      effects: [],
      answer: { kind: 'vote', vote: { vote: 'VOTE_COMMIT', reason: null } },
    });
    expect(participantStep(holder, { state: 'COMMITTED', digest: 'd' }, commit)).toEqual({
      effects: [],
      answer: { kind: 'outcome', outcome: 'COMMITTED', repeated: true },
    });
    expect(participantStep(holder, { state: 'ABORTED', digest: 'd' }, commit)).toEqual({
      effects: [],
      answer: { kind: 'violation', code: 'COMMIT_AFTER_ABORT' },
    });
    expect(participantStep(holder, { state: 'COMMITTED', digest: 'd' }, abort)).toEqual({
      effects: [],
      answer: { kind: 'violation', code: 'ABORT_AFTER_COMMIT' },
    });
    expect(participantStep(holder, undefined, commit)).toEqual({ effects: [], answer: { kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' } });
    expect(participantStep(holder, { state: 'PREPARED', digest: 'other' }, prepare)).toEqual({
      effects: [],
      answer: { kind: 'violation', code: 'OPERATIONS_MISMATCH' },
    });
    expect(participantStep(holder, { state: 'PREPARED', digest: 'other' }, commit)).toEqual({
      effects: [],
      answer: { kind: 'violation', code: 'OPERATIONS_MISMATCH' },
    });
  });
});
