/**
 * What the outside world learns when a transaction starts or becomes final: the coordinator-side
 * metrics and the `pakka` EventBridge event. Pure: fed from the coordinator log item, whoever wrote
 * it (the state machine, recovery or an operator), so every final outcome is reported the same way.
 */
import { type CoordinatorLogItem, isFinal, transactionView } from '../coordinatorLog/coordinatorLog.js';
import { ABORT_REASONS, type AbortReason, OPERATOR_ABORT_REASON, isAbortReason } from '../protocol/vote.js';
import { METRICS } from './metricNames.js';
import type { MetricsRecorder } from './recorder.js';

export const EVENT_SOURCE = 'pakka';
export type OutcomeDetailType = 'TransactionCommitted' | 'TransactionAborted';

export interface OutcomeEvent {
  source: typeof EVENT_SOURCE;
  detailType: OutcomeDetailType;
  detail: {
    txnId: string;
    status: 'COMMITTED' | 'ABORTED';
    reason: string | null;
    decidedBy: string;
    heuristicHazard: boolean;
    participants: Array<{ name: string; vote: string | null; phaseTwo: string | null }>;
    timings: Record<string, number | null | undefined>;
    createdAt: string;
    finishedAt: string | null;
  };
}

export function recordStarted(metrics: MetricsRecorder): void {
  metrics.count(METRICS.transactionsStarted);
}

/** The event for a final transaction, or undefined while it is still in flight. */
export function outcomeEvent(item: CoordinatorLogItem): OutcomeEvent | undefined {
  if (!isFinal(item)) return undefined;
  const view = transactionView(item);
  return {
    source: EVENT_SOURCE,
    detailType: view.status === 'COMMITTED' ? 'TransactionCommitted' : 'TransactionAborted',
    detail: {
      txnId: view.txnId,
      status: view.status as 'COMMITTED' | 'ABORTED',
      reason: view.reason,
      decidedBy: item.decidedBy ?? 'coordinator',
      heuristicHazard: view.heuristicHazard,
      participants: view.participants.map((p) => ({ name: p.name, vote: p.vote, phaseTwo: p.phaseTwo })),
      timings: view.timings,
      createdAt: view.createdAt,
      finishedAt: view.finishedAt,
    },
  };
}

/**
 * The abort's Reason dimension beside the participants' reasons (ABORT_REASONS): an operator's ABORT
 * (`pakka resolve`) has no vote behind it, so it is counted under its own name, never as ERROR. A
 * team's own reasons (contract 1.3) are counted under their names too; they are not known here, so
 * the dashboard finds them by search.
 */
export { OPERATOR_ABORT_REASON };
/** A metric's reason dimension: a reason of the contract (built in or a team's own), or the operator's. */
export type AbortMetricReason = AbortReason | typeof OPERATOR_ABORT_REASON;
export const ABORT_METRIC_REASONS: readonly AbortMetricReason[] = [...ABORT_REASONS, OPERATOR_ABORT_REASON];

/**
 * A logged reason outside the contract (only a team's own function participant can get one past the
 * state machine, which cannot test a pattern) is counted as INVALID_ANSWER: a dimension value stays
 * one of the contract's words.
 */
export const abortMetricReason = (detail: Pick<OutcomeEvent['detail'], 'reason' | 'decidedBy'>): AbortMetricReason => {
  if (detail.reason === null) return detail.decidedBy.startsWith('operator:') ? OPERATOR_ABORT_REASON : 'ERROR';
  return isAbortReason(detail.reason) ? detail.reason : 'INVALID_ANSWER';
};

/** Coordinator-side metrics of a final transaction: outcome by reason, phase latencies, hazards. */
export function recordOutcome(metrics: MetricsRecorder, event: OutcomeEvent): void {
  const { detail } = event;
  if (detail.status === 'COMMITTED') metrics.count(METRICS.transactionsCommitted);
  else metrics.count(METRICS.transactionsAborted, { Reason: abortMetricReason(detail) });
  const t = detail.timings;
  if (t.prepareMs != null) metrics.timing(METRICS.preparePhaseLatency, t.prepareMs);
  if (t.decideMs != null) metrics.timing(METRICS.decisionLatency, t.decideMs);
  if (t.commitMs != null) metrics.timing(METRICS.commitLatency, t.commitMs);
  if (t.abortMs != null) metrics.timing(METRICS.abortLatency, t.abortMs);
  if (t.totalMs != null) metrics.timing(METRICS.endToEndLatency, t.totalMs);
  if (detail.heuristicHazard) metrics.count(METRICS.heuristicHazards);
}

/**
 * Violations recorded on a transaction that was already final (recovery delivering the decision to
 * a straggler that refused it): each is a heuristic hazard of its own, counted when it appears.
 * A transaction that becomes final with a hazard is counted by `recordOutcome` instead.
 */
export function violationsAddedAfterFinal(before: CoordinatorLogItem | undefined, after: CoordinatorLogItem): string[] {
  if (!before || !isFinal(before) || !isFinal(after)) return [];
  const seen = new Set(before.violations ?? []);
  return (after.violations ?? []).filter((v) => !seen.has(v));
}

export function recordLateHazards(metrics: MetricsRecorder, violations: readonly string[]): void {
  if (violations.length) metrics.count(METRICS.heuristicHazards, undefined, violations.length);
}
