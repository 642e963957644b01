/**
 * `pakka/protocol`: the words of the two-phase commit contract between the coordinator and a
 * participant: votes, decisions, abort reasons, the request a participant receives and the answers
 * it gives, and the errors it raises. Plain data and plain functions; no I/O.
 */
export {
  ABORT_REASONS,
  type AbortReason,
  type BuiltInAbortReason,
  DECISIONS,
  type Decision,
  TEAM_ABORT_REASON_PATTERN,
  type TeamAbortReason,
  VOTES,
  type Vote,
  type VoteAnswer,
  isAbortReason,
  teamAbortReasonProblem,
} from '../lambdas/protocol/vote.js';
export { decide, phaseTwoTargets } from '../lambdas/protocol/decision.js';
export {
  type PhaseTwoStep,
  ProtocolViolation,
  type ProtocolViolationCode,
  RECORD_STATES,
  type RecordFacts,
  type RecordState,
  TransientFailure,
} from '../lambdas/protocol/participantState.js';
export {
  type ParticipantAnswer,
  type ParticipantRequest,
  type PhaseTwoAnswer,
  type PrepareAnswer,
  type StatusAnswer,
  participantRequest,
} from '../lambdas/participants/message.js';
export { InvalidParticipantRequest } from '../lambdas/participants/errors.js';
export {
  RAISED_ABORT_REASONS,
  type RaisedAbortReason,
  TEAM_VOTE_ABORT_ERROR,
  VOTE_ABORT_ERROR_PREFIX,
  VOTE_ABORT_ERRORS,
  voteAbortErrorName,
} from '../lambdas/contract/participantProtocol.js';
export { VoteAbortRaised, raisingVoteAbort } from '../lambdas/participants/voteAbortRaised.js';
export {
  LIMITS,
  type ParticipantWork,
  TXN_ID_PATTERN,
  type TransactionRequest,
  type Validated,
  type ValidationError,
  validateTransactionRequest,
} from '../lambdas/request/transactionRequest.js';
export { type ParticipantView, TXN_STATUSES, type TransactionView, type TxnStatus } from '../lambdas/coordinatorLog/coordinatorLog.js';
