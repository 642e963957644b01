/**
 * The recovery sweeper's decisions, as plain functions over plain data (docs/design.md,
 * "Recovery"): when a transaction counts as in doubt, which decision recovery may log, who
 * must hear it, and what the transaction's log item says once the deliveries are back. No I/O here.
 */
import { type CoordinatorLogItem, isFinal, type PhaseTwoOutcome, type TxnStatus } from '../coordinatorLog/coordinatorLog.js';
import { phaseTwoTargets } from '../protocol/decision.js';
import type { Decision, Vote } from '../protocol/vote.js';
import type { RecoveryConfig } from './recoveryConfig.js';

const SECOND = 1000;

/** The transaction's own deadline: the request's timeoutSeconds from when the coordinator began. */
export const deadlineOf = (item: Pick<CoordinatorLogItem, 'createdAt' | 'timeoutSeconds'>): number => Date.parse(item.createdAt) + item.timeoutSeconds * SECOND;

/** From when recovery may take a transaction over from its coordinator. */
export const recoveryDueAt = (item: Pick<CoordinatorLogItem, 'createdAt' | 'timeoutSeconds'>, config: RecoveryConfig): number =>
  deadlineOf(item) + config.deadlineGraceSeconds * SECOND;

/**
 * The open index is ordered by createdAt; nothing created after this instant can be due yet, since
 * the shortest deadline is LIMITS.minTimeoutSeconds.
 */
export const openCreatedBefore = (now: number, config: RecoveryConfig, minTimeoutSeconds: number): string =>
  new Date(now - (config.deadlineGraceSeconds + minTimeoutSeconds) * SECOND).toISOString();

/** PREPARED records younger than this are left alone. */
export const preparedBefore = (now: number, config: RecoveryConfig): string => new Date(now - config.preparedRecordAgeSeconds * SECOND).toISOString();

export type Assessment =
  /** Final already (the index lags): nothing to do for the transaction as a whole. */
  | { kind: 'final' }
  /** Its coordinator still has time. */
  | { kind: 'notDue'; dueAt: string }
  /** Past deadline and grace: recovery takes over once it knows the execution has stopped. */
  | { kind: 'due' };

export function assess(item: CoordinatorLogItem, now: number, config: RecoveryConfig): Assessment {
  if (isFinal(item)) return { kind: 'final' };
  const dueAt = recoveryDueAt(item, config);
  return now >= dueAt ? { kind: 'due' } : { kind: 'notDue', dueAt: new Date(dueAt).toISOString() };
}

/**
 * The decision recovery logs when none is logged: always ABORT (presumed abort). A missing decision
 * means the coordinator never reached the commit point, so no participant can have committed.
 */
export const PRESUMED_DECISION: Decision = 'ABORT';

export interface PhaseTwoTarget {
  name: string;
  /** The redo list the coordinator sent at prepare; the participant checks it against its record. */
  operations: Array<Record<string, unknown>>;
}

export interface PhaseTwoPlan {
  decision: Decision;
  /** Every participant of the transaction, in log order; `target` says whether it must hear the decision. */
  participants: Array<PhaseTwoTarget & { target: boolean; vote: Vote | null }>;
}

/**
 * Who must hear the decision. COMMIT: the participants that voted VOTE_COMMIT; when the votes were
 * never logged (an operator's decision), every participant, and those whose work is check-only answer
 * READ_ONLY and change nothing. ABORT: every participant, since one that timed out may still have
 * prepared.
 */
export function phaseTwoPlan(item: CoordinatorLogItem, decision: Decision): PhaseTwoPlan {
  const votes = new Map((item.votesJson ?? []).map((v) => [v.name, v.vote]));
  const all = item.participantsJson.map((p) => ({ name: p.name, operations: p.operations, vote: votes.get(p.name) ?? null }));
  const targets = new Set(phaseTwoTargets(decision, all).map((p) => p.name));
  return { decision, participants: all.map((p) => ({ ...p, target: targets.has(p.name) })) };
}

/** What one delivery of the decision came back with. */
export type Delivery =
  | { participant: string; kind: 'acknowledged'; outcome: 'COMMITTED' | 'ABORTED' | 'READ_ONLY' }
  /** The participant refused as a protocol violation: a heuristic hazard, final for this participant. */
  | { participant: string; kind: 'violation'; code: string }
  /** Anything else (a crash, a timeout, throttling): delivered again on the next sweep. */
  | { participant: string; kind: 'failed'; error: string };

export interface PhaseTwoResult {
  /** Aligned with the log's participants, as the state machine writes phase2Json. */
  outcomes: PhaseTwoOutcome[];
  violations: string[];
  /** True when every participant that must hear the decision has answered (acknowledged or refused). */
  complete: boolean;
  errors: string[];
}

/**
 * Folds the deliveries into the log's phase-2 outcomes. An earlier HEURISTIC_HAZARD (recorded by the
 * coordinator or by a previous sweep) is kept: a hazard is never hidden.
 */
export function phaseTwoResult(plan: PhaseTwoPlan, deliveries: readonly Delivery[], previous: readonly PhaseTwoOutcome[] | undefined): PhaseTwoResult {
  const byName = new Map(deliveries.map((d) => [d.participant, d]));
  const violations: string[] = [];
  const errors: string[] = [];
  const outcomes = plan.participants.map((p, i): PhaseTwoOutcome => {
    const before = previous?.[i];
    if (!p.target) return before === 'HEURISTIC_HAZARD' ? before : 'SKIPPED';
    const delivery = byName.get(p.name);
    if (!delivery) return before === 'HEURISTIC_HAZARD' ? before : 'PENDING';
    switch (delivery.kind) {
      case 'violation':
        violations.push(`${p.name}:${delivery.code}`);
        return 'HEURISTIC_HAZARD';
      case 'failed':
        errors.push(`${p.name}: ${delivery.error}`);
        return before === 'HEURISTIC_HAZARD' ? before : 'PENDING';
      case 'acknowledged':
        if (before === 'HEURISTIC_HAZARD') return before;
        return delivery.outcome === 'READ_ONLY' ? 'SKIPPED' : 'ACKED';
    }
  });
  return { outcomes, violations, complete: !outcomes.includes('PENDING'), errors };
}

export const finalStatusOf = (decision: Decision): TxnStatus => (decision === 'COMMIT' ? 'COMMITTED' : 'ABORTED');
export const phaseTwoStatusOf = (decision: Decision): TxnStatus => (decision === 'COMMIT' ? 'COMMITTING' : 'ABORTING');
