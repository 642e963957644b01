/**
 * Every error name Pakka gives or catches, defined once: the participants raise them, the state
 * machine's Retry and Catch lists and recovery match on them, the contract documents them. A Lambda
 * reports a thrown error's `name` as its `errorType`, and Step Functions matches that string, so a
 * name typed anywhere else could drift without a compiler noticing.
 */
export const PAKKA_ERROR = {
  /** A participant refused a request that would break the protocol (commit after abort, ...). */
  protocolViolation: 'Pakka.ProtocolViolation',
  /** A participant's failure worth retrying. */
  transient: 'Pakka.Transient',
  /** A request outside the participant contract. */
  invalidRequest: 'Pakka.InvalidRequest',
  /** An abort reached a transaction the participant committed in one phase: the outcome, not a failure. */
  committedInOnePhase: 'Pakka.CommittedInOnePhase',
  /** The prefix of a raised no, `Pakka.VoteAbort.<REASON>`, and the coordinator's own failure that carries an abort vote. */
  voteAbort: 'Pakka.VoteAbort',
  /** A raised no with a team's own reason (contract 1.3): one name for every team reason, the reason itself as the message. */
  teamVoteAbort: 'Pakka.VoteAbort.TEAM',
  /** The coordinator's: the only writing participant's one-phase outcome could not be learnt. */
  onePhaseInDoubt: 'Pakka.OnePhaseInDoubt',
  /** The coordinator's: a logged decision it read back was neither COMMIT nor ABORT. */
  decisionUnreadable: 'Pakka.DecisionUnreadable',
  /** Recovery's: a participant without a function to invoke. */
  unknownParticipant: 'Pakka.UnknownParticipant',
  /** Local mode's fault seam: the coordinator stopped at a Task state on purpose. */
  coordinatorStopped: 'Pakka.CoordinatorStopped',
  /** Local mode's start: another request already holds the txnId (the API answers 409), nothing started. */
  idempotencyConflict: 'Pakka.IdempotencyConflict',
  /**
   * A participant's own, never thrown out of it: a write sent once whose outcome is unknown (a 5xx, no answer), which
   * the SDK must not retry (participants/sendOnce.ts).
   */
  unknownWriteOutcome: 'Pakka.UnknownWriteOutcome',
  /** A SQL participant's database cannot prepare transactions as configured (the message names the setting). */
  sqlParticipantNotReady: 'Pakka.SqlParticipantNotReady',
} as const;

export type PakkaErrorName = (typeof PAKKA_ERROR)[keyof typeof PAKKA_ERROR];
