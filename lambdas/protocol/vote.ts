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

/** The reasons only the coordinator records, for a prepare that gave no valid vote; a participant never gives them. */
export const COORDINATOR_ABORT_REASONS = ['INVALID_ANSWER', 'ERROR', 'TIMEOUT'] as const satisfies readonly AbortReason[];
export type CoordinatorAbortReason = (typeof COORDINATOR_ABORT_REASONS)[number];
export const isCoordinatorAbortReason = (reason: string): reason is CoordinatorAbortReason => (COORDINATOR_ABORT_REASONS as readonly string[]).includes(reason);

/** The reasons a participant may give with VOTE_ABORT. */
export const PARTICIPANT_ABORT_REASONS: readonly AbortReason[] = ABORT_REASONS.filter((reason) => !isCoordinatorAbortReason(reason));

export interface VoteAnswer {
  vote: Vote;
  /** Set only with VOTE_ABORT. */
  reason: AbortReason | null;
}
