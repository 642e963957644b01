/** Words of the two-phase commit protocol, shared by coordinator, participants and tools. */

export const VOTES = ['VOTE_COMMIT', 'VOTE_ABORT', 'READ_ONLY'] as const;
export type Vote = (typeof VOTES)[number];

export const DECISIONS = ['COMMIT', 'ABORT'] as const;
export type Decision = (typeof DECISIONS)[number];

/** The built-in reasons: why a participant voted VOTE_ABORT, or why the coordinator turned a prepare into one. */
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
export type BuiltInAbortReason = (typeof ABORT_REASONS)[number];

/**
 * A team's own reason (contract 1.3): declared by its kind (`defineKind({ abortReasons })`) or answered by
 * its own function participant, so a no says what happened in the team's words (NO_SUCH_VOUCHER) instead
 * of the nearest built-in one. Upper-case words, 3 to 40 characters, so it reads like the built-in ones
 * and stays a short, safe metric dimension value.
 */
export const TEAM_ABORT_REASON_PATTERN = /^[A-Z][A-Z0-9_]{2,39}$/;
/** Written as `string & {}` so that editors still offer the built-in reasons. */
export type TeamAbortReason = string & {};
export type AbortReason = BuiltInAbortReason | TeamAbortReason;

/**
 * The reason an operator's ABORT (`pakka resolve`) is counted under: it has no vote behind it. Never
 * logged as a vote's reason, but reserved, so a team's reason cannot be mistaken for it on a chart.
 */
export const OPERATOR_ABORT_REASON = 'OPERATOR';

/** The reasons only the coordinator records, for a prepare that gave no valid vote; a participant never gives them. */
export const COORDINATOR_ABORT_REASONS = ['INVALID_ANSWER', 'ERROR', 'TIMEOUT'] as const satisfies readonly BuiltInAbortReason[];
export type CoordinatorAbortReason = (typeof COORDINATOR_ABORT_REASONS)[number];
export const isCoordinatorAbortReason = (reason: string): reason is CoordinatorAbortReason => (COORDINATOR_ABORT_REASONS as readonly string[]).includes(reason);

/** The reasons a participant may never answer: the coordinator's own, and the operator's. */
export const RESERVED_ABORT_REASONS: readonly string[] = [...COORDINATOR_ABORT_REASONS, OPERATOR_ABORT_REASON];

/** The built-in reasons a participant may give with VOTE_ABORT (besides its team's own). */
export const PARTICIPANT_ABORT_REASONS: readonly BuiltInAbortReason[] = ABORT_REASONS.filter((reason) => !isCoordinatorAbortReason(reason));

export const isBuiltInAbortReason = (reason: unknown): reason is BuiltInAbortReason => (ABORT_REASONS as readonly unknown[]).includes(reason);

/** Why a team's reason is refused, or undefined when it is a valid one: the pattern, and no clash with a built-in or reserved reason. */
export function teamAbortReasonProblem(reason: unknown): string | undefined {
  if (typeof reason !== 'string' || !TEAM_ABORT_REASON_PATTERN.test(reason))
    return `a team's abort reason must match ${TEAM_ABORT_REASON_PATTERN.source} (upper-case letters, digits and _, 3-40 characters, starting with a letter); got ${JSON.stringify(reason)}`;
  if (isBuiltInAbortReason(reason) || RESERVED_ABORT_REASONS.includes(reason))
    return `${reason} is one of Pakka's own reasons (${[...ABORT_REASONS, OPERATOR_ABORT_REASON].join(', ')}); a team's reason needs a name of its own`;
  return undefined;
}
/** Why a participant may not give this reason with VOTE_ABORT, or undefined when it may (a built-in participant reason or a team's own). */
export function participantAbortReasonProblem(reason: unknown): string | undefined {
  return (PARTICIPANT_ABORT_REASONS as readonly unknown[]).includes(reason) ? undefined : teamAbortReasonProblem(reason);
}
export const isTeamAbortReason = (reason: unknown): reason is TeamAbortReason => teamAbortReasonProblem(reason) === undefined;

/** A reason as it may appear on the wire or in a record: a built-in one or a team's own. */
export const isAbortReason = (reason: unknown): reason is AbortReason => isBuiltInAbortReason(reason) || isTeamAbortReason(reason);

export interface VoteAnswer {
  vote: Vote;
  /** Set only with VOTE_ABORT. */
  reason: AbortReason | null;
}
