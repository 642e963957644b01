/**
 * The participant's prepared-state record and its legal transitions, as plain data.
 * The DynamoDB adapter enforces the same rules with condition expressions; this module
 * decides what a repeated or late message means once the stored state is known.
 */
import { PAKKA_ERROR } from './errorNames.js';
import type { AbortReason, VoteAnswer } from './vote.js';

export const RECORD_STATES = ['PREPARED', 'COMMITTED', 'ABORTED'] as const;
export type RecordState = (typeof RECORD_STATES)[number];

/**
 * A barrier participant (its business state lives outside DynamoDB) also writes a PREPARING intent
 * record before the team's own prepare runs, so an abort that finds it knows an external hold may
 * exist. Its transitions live in ./barrierState.ts; the built-in runtime never writes it.
 */
export const BARRIER_RECORD_STATES = ['PREPARING', ...RECORD_STATES] as const;
export type BarrierRecordState = (typeof BARRIER_RECORD_STATES)[number];

/** The part of the prepared-state record the transitions depend on. */
export interface RecordFacts {
  state: RecordState;
  /** Digest of the redo list this record was prepared with. */
  digest?: string;
  /** Set when the participant itself voted VOTE_ABORT (a unilateral abort), so a repeat answers the same. */
  voteReason?: AbortReason;
  /** Written by a one-phase commit: the record is the transaction's decision, not a vote awaiting one. */
  onePhase?: boolean;
}

/** What a participant does with a phase-2 message, given the record it holds. */
export type PhaseTwoStep =
  | { kind: 'apply' } // first delivery: perform the transition
  | { kind: 'repeat' } // already in the target state: answer the same, change nothing
  | { kind: 'nullAbort' } // abort before any prepare: write a tombstone (anti-hanging)
  | { kind: 'readOnlyCommit' } // commit of a transaction this participant only read
  | { kind: 'committedInOnePhase' } // abort of a transaction this participant committed alone: the outcome, not a violation
  | { kind: 'violation'; code: ProtocolViolationCode };

export type ProtocolViolationCode = 'COMMIT_AFTER_ABORT' | 'ABORT_AFTER_COMMIT' | 'COMMIT_WITHOUT_PREPARE' | 'OPERATIONS_MISMATCH';

/**
 * A record answers only for the request it was written for (issue 21): one whose redo list differs
 * from the message's belongs to another request under the same txnId, whatever its state, and no
 * path (prepare, commitOnePhase, commit, abort, the abort that learns a one-phase outcome) may
 * answer for it. A message without operations (recovery's abort of an orphan) or a record without
 * a digest has nothing to compare.
 */
export const isAnotherRequest = (record: Pick<RecordFacts, 'digest'> | undefined, digest: string | undefined): boolean =>
  record !== undefined && digest !== undefined && record.digest !== undefined && record.digest !== digest;

/**
 * The digest an abort compares when the participant refuses its operations as invalid: no record was
 * prepared with them, so any record with a digest belongs to another request, and only a missing
 * record (a null abort) or a tombstone without a digest is this request's.
 */
export const REFUSED_OPERATIONS_DIGEST = 'refused-as-invalid';

export function onCommit(record: RecordFacts | undefined, digest: string | undefined, readOnly: boolean): PhaseTwoStep {
  if (isAnotherRequest(record, digest)) return { kind: 'violation', code: 'OPERATIONS_MISMATCH' };
  switch (record?.state) {
    case 'PREPARED':
      return { kind: 'apply' };
    case 'COMMITTED':
      return { kind: 'repeat' };
    case 'ABORTED':
      return { kind: 'violation', code: 'COMMIT_AFTER_ABORT' };
    case undefined:
      return readOnly ? { kind: 'readOnlyCommit' } : { kind: 'violation', code: 'COMMIT_WITHOUT_PREPARE' };
  }
}

export function onAbort(record: RecordFacts | undefined, digest: string | undefined): PhaseTwoStep {
  // A one-phase COMMITTED record of another request must not answer Pakka.CommittedInOnePhase (D7).
  if (isAnotherRequest(record, digest)) return { kind: 'violation', code: 'OPERATIONS_MISMATCH' };
  switch (record?.state) {
    case 'PREPARED':
      return { kind: 'apply' };
    case 'ABORTED':
      return { kind: 'repeat' };
    case 'COMMITTED':
      // The coordinator of a one-phase commit that lost its answer aborts to learn the outcome (and to
      // stop a late one): the record is the decision, so the abort is told COMMITTED, never obeyed.
      return record.onePhase ? { kind: 'committedInOnePhase' } : { kind: 'violation', code: 'ABORT_AFTER_COMMIT' };
    case undefined:
      return { kind: 'nullAbort' };
  }
}

/**
 * What a prepare answer carries when the participant committed the transaction alone, in one phase.
 * A token no other answer holds, so the state machine can find it in any answer (`$..*`).
 */
export const ONE_PHASE_COMMITTED = 'IN_ONE_PHASE';

export type RepeatedVote = VoteAnswer & { committed?: typeof ONE_PHASE_COMMITTED };

/**
 * A prepare that finds a record already there answers what the record says:
 * an idempotent repeat gets the same vote, and a prepare overtaken by an abort
 * votes VOTE_ABORT (anti-hanging: it must never lock after the abort passed).
 */
export function onRepeatedPrepare(record: RecordFacts, digest: string): RepeatedVote | { violation: ProtocolViolationCode } {
  if (isAnotherRequest(record, digest)) return { violation: 'OPERATIONS_MISMATCH' };
  switch (record.state) {
    case 'PREPARED':
      return { vote: 'VOTE_COMMIT', reason: null };
    case 'COMMITTED':
      return record.onePhase ? { vote: 'VOTE_COMMIT', reason: null, committed: ONE_PHASE_COMMITTED } : { vote: 'VOTE_COMMIT', reason: null };
    case 'ABORTED':
      return { vote: 'VOTE_ABORT', reason: record.voteReason ?? 'ABORTED_BEFORE_PREPARE' };
  }
}

export class ProtocolViolation extends Error {
  override readonly name = PAKKA_ERROR.protocolViolation;
  constructor(
    readonly code: ProtocolViolationCode,
    readonly txnId: string,
    readonly participant: string,
  ) {
    super(`${code}: participant ${participant} refused ${txnId}; nothing was changed`);
  }
}

/**
 * An abort reached a transaction this participant committed in one phase. Not a violation: the abort
 * was how its coordinator (or recovery) asked for the outcome. Nothing was changed.
 */
export class CommittedInOnePhase extends Error {
  override readonly name = PAKKA_ERROR.committedInOnePhase;
  constructor(
    readonly txnId: string,
    readonly participant: string,
  ) {
    super(`participant ${participant} committed ${txnId} in one phase; the abort changed nothing`);
  }
}

/** Raised for failures worth retrying (throttling, a DynamoDB hiccup); the state machine retries it. */
export class TransientFailure extends Error {
  override readonly name = PAKKA_ERROR.transient;
}
