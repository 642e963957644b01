/**
 * The overview's time series. GET /metrics gives totals since the service started; the browser
 * keeps a rolling window of scrapes and derives rates (between two scrapes) and latency percentiles
 * (over the last `QUANTILE_WINDOW` scrapes, from histogram bucket differences). Pure.
 */
import { type Buckets, type Sample, bucketsBetween, bucketsOf, labelValues, observations, quantile, sumOf } from '../../cli/prometheusText.js';
import { LABELS, METRICS, type MetricName, counterName, gaugeName, histogramName } from './metricNames.js';
import { THRESHOLDS } from './thresholds.js';

export interface Reading {
  at: number;
  samples: Sample[];
}

/** How many scrapes the window keeps (at one scrape per 2 s: 6 minutes). */
export const WINDOW_READINGS = 180;
/** Percentiles are taken over this many scrape intervals, so a quiet few seconds still shows a line. */
export const QUANTILE_WINDOW = 15;

export function keep(readings: readonly Reading[], next: Reading): Reading[] {
  const last = readings.at(-1);
  // A restarted service starts its counters again: the old window no longer compares.
  const restarted = last !== undefined && total(next.samples, METRICS.transactionsStarted) < total(last.samples, METRICS.transactionsStarted);
  return [...(restarted ? [] : readings), next].slice(-WINDOW_READINGS);
}

const total = (samples: readonly Sample[], name: MetricName, where: Record<string, string> = {}) => sumOf(samples, counterName(name), where);

function buckets(samples: readonly Sample[], name: MetricName, where: Record<string, string> = {}): Buckets {
  const h = histogramName(samples, name);
  if (!h) return { bounds: [], counts: [] };
  const b = bucketsOf(samples, h.name, where);
  return { bounds: b.bounds.map((x) => x * h.toMs), counts: b.counts };
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

function percentiles(before: readonly Sample[] | undefined, after: readonly Sample[], name: MetricName, where: Record<string, string> = {}): Percentiles {
  const window = before ? bucketsBetween(buckets(before, name, where), buckets(after, name, where)) : buckets(after, name, where);
  const q = (p: number) => quantile(p, window) ?? null;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), count: observations(window) };
}

export const PHASES: ReadonlyArray<{ phase: string; metric: MetricName }> = [
  { phase: 'prepare', metric: METRICS.preparePhaseLatency },
  { phase: 'decision', metric: METRICS.decisionLatency },
  { phase: 'commit', metric: METRICS.commitLatency },
  { phase: 'abort', metric: METRICS.abortLatency },
  { phase: 'end to end', metric: METRICS.endToEndLatency },
];

export interface Series {
  /** Seconds since the epoch, as the chart library wants them. */
  times: number[];
  started: number[];
  committed: number[];
  aborted: number[];
  /** Committed of decided per interval, 0..100; null in an interval with no outcome. */
  successRate: Array<number | null>;
  phases: Record<string, { p50: Array<number | null>; p95: Array<number | null>; p99: Array<number | null> }>;
}

export function series(readings: readonly Reading[]): Series {
  const out: Series = { times: [], started: [], committed: [], aborted: [], successRate: [], phases: {} };
  for (const { phase } of PHASES) out.phases[phase] = { p50: [], p95: [], p99: [] };
  for (let i = 1; i < readings.length; i++) {
    const previous = readings[i - 1] as Reading;
    const current = readings[i] as Reading;
    const seconds = Math.max(0.001, (current.at - previous.at) / 1000);
    const delta = (m: MetricName) => Math.max(0, total(current.samples, m) - total(previous.samples, m));
    const committed = delta(METRICS.transactionsCommitted);
    const aborted = delta(METRICS.transactionsAborted);
    out.times.push(current.at / 1000);
    out.started.push(delta(METRICS.transactionsStarted) / seconds);
    out.committed.push(committed / seconds);
    out.aborted.push(aborted / seconds);
    out.successRate.push(committed + aborted > 0 ? (100 * committed) / (committed + aborted) : null);
    const base = readings[Math.max(0, i - QUANTILE_WINDOW)] as Reading;
    for (const { phase, metric } of PHASES) {
      const p = percentiles(base.samples, current.samples, metric);
      const line = out.phases[phase];
      line?.p50.push(p.p50);
      line?.p95.push(p.p95);
      line?.p99.push(p.p99);
    }
  }
  return out;
}

export interface ParticipantHealth {
  name: string;
  prepare: Percentiles;
  calls: number;
  errors: number;
  /** Percent of calls that failed, null before any call. */
  errorPercent: number | null;
  prepareAlarm: boolean;
  failureAlarm: boolean;
}

export interface Figures {
  totals: { started: number; committed: number; aborted: number };
  /** Over the last interval and the quantile window. */
  successRate: { recent: number | null; overall: number | null };
  phases: Array<{ phase: string } & Percentiles>;
  participants: ParticipantHealth[];
  aborts: Array<{ reason: string; count: number }>;
  hazards: number;
  violations: number;
  retries: number;
  inDoubtFound: number;
  /** The oldest PREPARED record recovery saw at its last sweep, in seconds; null before a sweep. */
  oldestInDoubtSeconds: number | null;
}

export function figures(readings: readonly Reading[]): Figures | undefined {
  const current = readings.at(-1);
  if (!current) return undefined;
  const base = readings.length > 1 ? readings[Math.max(0, readings.length - 1 - QUANTILE_WINDOW)] : undefined;
  const samples = current.samples;
  const t = (m: MetricName, where: Record<string, string> = {}) => total(samples, m, where);
  const totals = { started: t(METRICS.transactionsStarted), committed: t(METRICS.transactionsCommitted), aborted: t(METRICS.transactionsAborted) };
  const recentCommitted = base ? totals.committed - total(base.samples, METRICS.transactionsCommitted) : totals.committed;
  const recentAborted = base ? totals.aborted - total(base.samples, METRICS.transactionsAborted) : totals.aborted;
  const rate = (c: number, a: number) => (c + a > 0 ? (100 * c) / (c + a) : null);
  const prepareHistogram = histogramName(samples, METRICS.prepareLatency);
  const names = [
    ...new Set([
      ...(prepareHistogram ? labelValues(samples, `${prepareHistogram.name}_bucket`, LABELS.participant) : []),
      ...labelValues(samples, counterName(METRICS.participantCalls), LABELS.participant),
    ]),
  ];
  const participants = names
    .map((name): ParticipantHealth => {
      const where = { [LABELS.participant]: name };
      const calls = t(METRICS.participantCalls, where);
      const errors = t(METRICS.participantErrors, where);
      const prepare = percentiles(base?.samples, samples, METRICS.prepareLatency, where);
      const errorPercent = calls + errors > 0 ? (100 * errors) / (calls + errors) : null;
      return {
        name,
        prepare,
        calls,
        errors,
        errorPercent,
        prepareAlarm: (prepare.p99 ?? 0) > THRESHOLDS.prepareLatencyP99Ms,
        failureAlarm: calls + errors >= THRESHOLDS.failureRateMinInvocations && (errorPercent ?? 0) > THRESHOLDS.failureRatePercent,
      };
    })
    .sort((a, b) => (b.prepare.p95 ?? -1) - (a.prepare.p95 ?? -1) || a.name.localeCompare(b.name));
  const oldest = samples.find((s) => s.name === gaugeName(METRICS.oldestInDoubtAgeSeconds));
  return {
    totals,
    successRate: { recent: rate(recentCommitted, recentAborted), overall: rate(totals.committed, totals.aborted) },
    phases: PHASES.map(({ phase, metric }) => ({ phase, ...percentiles(base?.samples, samples, metric) })),
    participants,
    aborts: labelValues(samples, counterName(METRICS.transactionsAborted), LABELS.reason)
      .map((reason) => ({ reason, count: t(METRICS.transactionsAborted, { [LABELS.reason]: reason }) }))
      .filter((a) => a.count > 0)
      .sort((a, b) => b.count - a.count),
    hazards: t(METRICS.heuristicHazards),
    violations: t(METRICS.protocolViolations),
    retries: t(METRICS.retries),
    inDoubtFound: t(METRICS.inDoubtFound),
    oldestInDoubtSeconds: oldest ? oldest.value : null,
  };
}
