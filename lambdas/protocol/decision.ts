import type { Decision, Vote } from './vote.js';

/**
 * The commit rule (invariant I3): commit only if every participant that was asked
 * voted VOTE_COMMIT or READ_ONLY. A missing vote (timeout, crash) counts as abort:
 * that is what makes presumed abort safe. Production decides in the state machine's JSONPath (its
 * Choice rules); this function is the oracle that test/coordinator/coordinator.test.ts holds that ASL to,
 * over every combination of votes of one to three participants, on both workflows.
 */
export function decide(votes: ReadonlyArray<Vote | undefined>): Decision {
  if (votes.length === 0) return 'ABORT';
  return votes.every((v) => v === 'VOTE_COMMIT' || v === 'READ_ONLY') ? 'COMMIT' : 'ABORT';
}

/** Participants that must hear the decision in phase 2. READ_ONLY voters forgot the transaction at prepare. */
export function phaseTwoTargets<T extends { vote?: Vote | null }>(decision: Decision, participants: readonly T[]): T[] {
  if (decision === 'ABORT') return [...participants]; // one that timed out may still have prepared
  return participants.filter((p) => p.vote !== 'READ_ONLY');
}
