/**
 * The barrier of a participant whose business state lives outside DynamoDB (a card gateway, a REST
 * service): which of the team's own prepare, commit and abort may run, given the prepared-state record.
 * Plain functions over plain data; lambdas/participants/barrier is the DynamoDB edge that obeys them.
 *
 * The record adds one state to the built-in ones: PREPARING, written before the team's prepare runs.
 * Unlike a SQL barrier (dtm, Seata's TCC fence), the external call and the record write cannot share one
 * local transaction, so the record must say "an external hold may exist" before the call is made.
 */
import {
  type BarrierRecordState,
  type PhaseTwoStep,
  type ProtocolViolationCode,
  type RecordFacts,
  isAnotherRequest,
  onAbort,
  onCommit,
  onRepeatedPrepare,
} from './participantState.js';
import type { AbortReason, VoteAnswer } from './vote.js';

export interface BarrierFacts {
  state: BarrierRecordState;
  digest?: string;
  voteReason?: AbortReason;
}

type Decided = RecordFacts & { state: Exclude<BarrierRecordState, 'PREPARING'> };
const decided = (record: BarrierFacts): record is Decided => record.state !== 'PREPARING';
const sameOperations = (record: BarrierFacts, digest: string | undefined) => !isAnotherRequest(record, digest);

export type BarrierPrepareStep =
  | { kind: 'writeIntent' } // no record: write PREPARING, then run the team's prepare
  | { kind: 'resumeIntent' } // PREPARING, same operations: an earlier delivery died after writing it; run the team's (idempotent) prepare again
  | { kind: 'answer'; answer: VoteAnswer } // a decided record answers; the team's prepare is not called
  | { kind: 'violation'; code: ProtocolViolationCode };

export function onBarrierPrepare(record: BarrierFacts | undefined, digest: string): BarrierPrepareStep {
  if (!record) return { kind: 'writeIntent' };
  if (!sameOperations(record, digest)) return { kind: 'violation', code: 'OPERATIONS_MISMATCH' };
  if (!decided(record)) return { kind: 'resumeIntent' };
  const answer = onRepeatedPrepare(record, digest);
  return 'violation' in answer ? { kind: 'violation', code: answer.violation } : { kind: 'answer', answer };
}

/** What the team's prepare answered, in the terms the barrier stores. */
export type TeamVote = { vote: 'VOTE_COMMIT' } | { vote: 'VOTE_ABORT'; reason: AbortReason } | { vote: 'READ_ONLY' };

export type IntentOutcome =
  | { kind: 'prepared' } // PREPARING -> PREPARED, the vote is VOTE_COMMIT
  | { kind: 'undoThenAbort'; reason: AbortReason } // run the team's abort (a partial hold may exist), then PREPARING -> ABORTED with the reason
  | { kind: 'dropIntent' }; // READ_ONLY: nothing is held, so the intent is removed and nothing stays

export function afterTeamPrepare(vote: TeamVote): IntentOutcome {
  switch (vote.vote) {
    case 'VOTE_COMMIT':
      return { kind: 'prepared' };
    case 'VOTE_ABORT':
      return { kind: 'undoThenAbort', reason: vote.reason };
    case 'READ_ONLY':
      return { kind: 'dropIntent' };
  }
}

/**
 * The intent was gone when the team's prepare came back (its conditional write failed): someone else
 * moved the record. If an abort overtook a prepare that did hold something, the hold came after the
 * abort's own undo, so the team's abort runs once more (`undo`).
 */
export function afterLostIntent(
  record: BarrierFacts | undefined,
  digest: string,
  vote: TeamVote,
): { answer: VoteAnswer; undo: boolean } | { retry: true } | { violation: ProtocolViolationCode } {
  if (!record || !decided(record)) return { retry: true };
  const answer = onRepeatedPrepare(record, digest);
  if ('violation' in answer) return answer;
  return { answer, undo: record.state === 'ABORTED' && vote.vote === 'VOTE_COMMIT' };
}

/** A commit needs a PREPARED record: PREPARING means this participant never voted, so it is refused. */
export function onBarrierCommit(record: BarrierFacts | undefined, digest: string | undefined): PhaseTwoStep {
  if (record && !decided(record))
    return sameOperations(record, digest) ? { kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' } : { kind: 'violation', code: 'OPERATIONS_MISMATCH' };
  // A barrier participant cannot know an operation is read-only without running the team's code; READ_ONLY left no record.
  return onCommit(record, digest, false);
}

export type BarrierAbortStep = PhaseTwoStep | { kind: 'undoIntent' };

/**
 * An abort that finds PREPARING must not be a null abort: the team's prepare may have reached the external
 * system before its delivery died, so the team's abort runs (it cancels what may exist) before ABORTED is written.
 */
export function onBarrierAbort(record: BarrierFacts | undefined, digest: string | undefined): BarrierAbortStep {
  if (record && !decided(record)) return sameOperations(record, digest) ? { kind: 'undoIntent' } : { kind: 'violation', code: 'OPERATIONS_MISMATCH' };
  return onAbort(record, digest);
}
