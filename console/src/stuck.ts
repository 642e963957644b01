/**
 * Which open transactions need a person, and what recovery will do with each: the protocol's rules
 * (presumed abort; a logged decision is delivered, never changed) as the console explains them. Pure.
 */
import type { ParticipantStatus, TransactionView } from './apiTypes.js';
import { THRESHOLDS } from './thresholds.js';

export interface StuckAssessment {
  txnId: string;
  /** Past its own deadline: recovery takes it over once its grace period has passed too. */
  pastDeadline: boolean;
  /** Older than the in-doubt alarm threshold (the seed's 5 minutes). */
  overThreshold: boolean;
  ageSeconds: number;
  /** What recovery will do, in words. */
  recoveryAction: string;
  /** An operator may decide: only while no decision is logged (the API refuses otherwise). */
  resolvable: boolean;
}

const isFinal = (t: TransactionView) => t.status === 'COMMITTED' || t.status === 'ABORTED';

export function assess(t: TransactionView, now: number): StuckAssessment {
  const ageSeconds = (now - Date.parse(t.createdAt)) / 1000;
  const pending = t.participants.filter((p) => p.phaseTwo !== 'ACKED' && p.phaseTwo !== 'SKIPPED').map((p) => p.name);
  const recoveryAction = isFinal(t)
    ? 'nothing: the transaction is final'
    : t.decision === null
      ? 'log ABORT (presumed abort: no decision was logged, so no participant can have committed) and tell every participant to abort'
      : `deliver the logged ${t.decision} to ${pending.length ? pending.join(', ') : 'every participant'} until each acknowledges; the decision cannot change`;
  return {
    txnId: t.txnId,
    pastDeadline: now > Date.parse(t.deadline),
    overThreshold: !isFinal(t) && ageSeconds > THRESHOLDS.inDoubtSeconds,
    ageSeconds,
    recoveryAction,
    resolvable: !isFinal(t) && t.decision === null,
  };
}

/** Participants whose yes vote is not established: a commit is refused while any remain. */
export function unconfirmedVoters(participants: readonly ParticipantStatus[]): string[] {
  return participants.filter((p) => p.vote !== 'VOTE_COMMIT' && p.vote !== 'READ_ONLY' && p.state !== 'PREPARED' && p.state !== 'COMMITTED').map((p) => p.name);
}

/** What the confirmation says will happen, naming the transaction. */
export function consequence(txnId: string, decision: 'COMMIT' | 'ABORT', participants: readonly ParticipantStatus[]): string {
  const names = participants.map((p) => p.name).join(', ');
  if (decision === 'ABORT') {
    return `Transaction ${txnId} will be ABORTED: ${names} release what they hold and apply nothing. This is logged as your decision and cannot be undone; a coordinator still running obeys it.`;
  }
  return `Transaction ${txnId} will be COMMITTED: ${names} apply their operations. This is logged as your decision and cannot be undone.`;
}
