/** Words of the two-phase commit protocol, shared by coordinator, participants and tools. */

export const VOTES = ['VOTE_COMMIT', 'VOTE_ABORT', 'READ_ONLY'] as const;
export type Vote = (typeof VOTES)[number];

export const DECISIONS = ['COMMIT', 'ABORT'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Why a participant voted VOTE_ABORT, or why the coordinator turned a prepare into one. */
export const ABORT_REASONS = [
  'INSUFFICIENT_FUNDS',
  /** A credit or restock that could take the item past the largest quantity Pakka holds exactly. */
  'LIMIT_EXCEEDED',
  'LOCK_CONFLICT',
  'OUT_OF_STOCK',
  'ALREADY_HELD',
  'NOT_HOLDER',
  'DUPLICATE_MESSAGE',
  'ABORTED_BEFORE_PREPARE',
  'CHECK_FAILED',
  'TIMEOUT',
  'ERROR',
  /** The coordinator's: the participant's answer broke the wire contract (wrong shape, unknown vote or reason, another txnId). */
  'INVALID_ANSWER',
] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

export interface VoteAnswer {
  vote: Vote;
  /** Set only with VOTE_ABORT. */
  reason: AbortReason | null;
}
