/**
 * The metrics the alarms and the dashboard read, and the alarms' documented defaults: Pakka's own
 * metrics (namespace Pakka, as the Lambdas emit them in EMF) and the AWS ones beside them.
 */
import type { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { METRICS, METRIC_NAMESPACE, METRIC_SERVICE, type MetricName } from '../../lambdas/observability/metricNames.js';

/** The alarms' defaults, as docs/operations.md documents them. */
export const ALARM_DEFAULTS = {
  /** A participant's prepare p99, in one-minute periods, above this for `prepareLatencyMinutes` minutes in a row. */
  prepareLatencyP99Ms: 2000,
  prepareLatencyMinutes: 5,
  /** A participant function's failed invocations (its raised noes left out), in percent of its invocations over `failureRateMinutes`... */
  failureRatePercent: 5,
  failureRateMinutes: 5,
  /** ...counted only once it was invoked at least this often in that window, so a handful of calls never pages. */
  failureRateMinInvocations: 100,
  /** The oldest PREPARED record (a participant holding locks, waiting for the decision). */
  inDoubtSeconds: 300,
  /** Any heuristic hazard, any failed or timed-out execution, any outcome that could not be reported: one is too many. */
  anyCount: 1,
  /** The recovery sweeper failing this many one-minute sweeps in a row. */
  recoveryFailedSweeps: 3,
} as const;

/** A Pakka metric as CloudWatch holds it: namespace Pakka, the documented dimensions, plus service=pakka. */
export function pakkaMetric(name: MetricName, statistic: string, period: Duration, dimensions: Record<string, string> = {}, label?: string): Metric {
  return new Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRIC_SERVICE, ...dimensions },
    statistic,
    period,
    ...(label ? { label } : {}),
  });
}

/**
 * Failed invocations in percent of all, or 0 while the function was invoked fewer than the minimum
 * times. A no that Pakka's participant runtime raises (`Pakka.VoteAbort.<REASON>`, so that it ends
 * the prepare phase at once) is a Lambda error but no failure: the participant's own count of those
 * votes (`Votes` by reason, which it emits before raising) is taken off `Errors`. A team's own function
 * that emits no such count has nothing taken off. One metric per raised reason: with `Errors` and
 * `Invocations` that is the ten metrics an alarm may read.
 */
export function participantFailureRateMetric(participant: { name: string; function: IFunction }, period: Duration, idSuffix = ''): MathExpression {
  // Ids are per graph: several participants' expressions share one widget, so each gets its own suffix.
  const errors = `errors${idSuffix}`;
  const invocations = `invocations${idSuffix}`;
  const failed = `failed${idSuffix}`;
  const raised = `raised${idSuffix}`;
  return new MathExpression({
    // A vote and its Lambda error can fall into neighbouring periods: a difference below zero is none.
    expression: `IF(${invocations} >= ${ALARM_DEFAULTS.failureRateMinInvocations} AND ${failed} > 0, 100 * ${failed} / ${invocations}, 0)`,
    usingMetrics: {
      [failed]: new MathExpression({
        // One total of the raised noes, whatever their reasons: the alarm's metric count does not grow with the reason list.
        expression: `FILL(${errors}, 0) - FILL(${raised}, 0)`,
        usingMetrics: {
          [errors]: participant.function.metricErrors({ period, statistic: 'Sum' }),
          [raised]: pakkaMetric(METRICS.raisedNoes, 'Sum', period, { Participant: participant.name }),
        },
        period,
        label: 'failed invocations (raised noes left out)',
      }),
      [invocations]: participant.function.metricInvocations({ period, statistic: 'Sum' }),
    },
    period,
    label: 'failed invocations %',
  });
}
