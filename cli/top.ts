/**
 * `pakka top`: what the local service is doing now, from two readings of GET /metrics a few seconds
 * apart (rates and percentiles over that window; totals since the service started) and the listing
 * of transactions not yet final (active ones, and those past their deadline: in doubt). Pure: the
 * command takes the readings, this turns them into the view and the text.
 */
import { METRICS, type MetricName } from '../lambdas/observability/metricNames.js';
import { prometheusName } from '../lambdas/observability/prometheusNames.js';
import { table } from './format.js';
import { type Buckets, type Sample, bucketsBetween, bucketsOf, labelValues, observations, quantile, sumOf } from './prometheusText.js';

export interface OpenTransaction {
  txnId: string;
  status: string;
  createdAt: string;
  deadline: string;
}

export interface TopReading {
  /** When the reading was taken, ms since the epoch. */
  at: number;
  samples: Sample[];
  /** Transactions not final yet (PREPARING, COMMITTING, ABORTING). */
  open: OpenTransaction[];
  /** The listing stopped at its limit: there may be more open transactions than `open` holds. */
  openCapped: boolean;
}

/** In milliseconds (the exposition has seconds). */
export interface Percentiles {
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
  count: number;
  /** True when taken over the window; false when the window saw none and these are since the start. */
  window: boolean;
}

export interface TopView {
  url: string;
  at: string;
  windowSeconds: number;
  totals: { started: number; committed: number; aborted: number };
  perSecond: { started: number; committed: number; aborted: number };
  successRate: { window: number | null; overall: number | null };
  phases: Array<{ phase: string } & Percentiles>;
  active: { total: number; byStatus: Record<string, number>; capped: boolean };
  inDoubt: { count: number; oldest: { txnId: string; pastDeadlineSeconds: number } | null; oldestPreparedSeconds: number | null };
  participants: Array<{ name: string; prepare: Percentiles; calls: number; errors: number; errorRate: number | null }>;
  aborts: Array<{ reason: string; count: number }>;
  hazards: number;
  violations: number;
  retries: number;
}

const counter = (m: MetricName) => prometheusName(m);
const histogram = (m: MetricName) => prometheusName(m);

export const TOP_PHASES: ReadonlyArray<[string, MetricName]> = [
  ['prepare', METRICS.preparePhaseLatency],
  ['decision to phase 2', METRICS.decisionLatency],
  ['commit', METRICS.commitLatency],
  ['abort', METRICS.abortLatency],
  ['end to end', METRICS.endToEndLatency],
];

function percentiles(before: Buckets, after: Buckets): Percentiles {
  const window = bucketsBetween(before, after);
  const use = observations(window) > 0 ? window : after;
  const inMs = (q: number) => {
    const seconds = quantile(q, use);
    return seconds === undefined ? undefined : seconds * 1000;
  };
  return {
    p50: inMs(0.5),
    p95: inMs(0.95),
    p99: inMs(0.99),
    count: observations(use),
    window: use === window,
  };
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

export function topView(url: string, previous: TopReading, current: TopReading): TopView {
  const seconds = Math.max(0.001, (current.at - previous.at) / 1000);
  const total = (m: MetricName, where: Record<string, string> = {}) => sumOf(current.samples, counter(m), where);
  const delta = (m: MetricName, where: Record<string, string> = {}) => Math.max(0, total(m, where) - sumOf(previous.samples, counter(m), where));
  const totals = { started: total(METRICS.transactionsStarted), committed: total(METRICS.transactionsCommitted), aborted: total(METRICS.transactionsAborted) };
  const window = { started: delta(METRICS.transactionsStarted), committed: delta(METRICS.transactionsCommitted), aborted: delta(METRICS.transactionsAborted) };
  const byHistogram = (m: MetricName, where: Record<string, string> = {}) =>
    percentiles(bucketsOf(previous.samples, histogram(m), where), bucketsOf(current.samples, histogram(m), where));

  const byStatus: Record<string, number> = { PREPARING: 0, COMMITTING: 0, ABORTING: 0 };
  for (const t of current.open) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
  const pastDeadline = current.open
    .map((t) => ({ txnId: t.txnId, pastDeadlineSeconds: Math.round((current.at - Date.parse(t.deadline)) / 1000) }))
    .filter((t) => t.pastDeadlineSeconds > 0)
    .sort((a, b) => b.pastDeadlineSeconds - a.pastDeadlineSeconds);
  const oldestPrepared = current.samples.find((s) => s.name === prometheusName(METRICS.oldestInDoubtAgeSeconds));

  const participantNames = [
    ...new Set([
      ...labelValues(current.samples, `${histogram(METRICS.prepareLatency)}_bucket`, 'participant'),
      ...labelValues(current.samples, counter(METRICS.participantCalls), 'participant'),
    ]),
  ];
  const participants = participantNames
    .map((name) => {
      const calls = total(METRICS.participantCalls, { participant: name });
      const errors = total(METRICS.participantErrors, { participant: name });
      return { name, prepare: byHistogram(METRICS.prepareLatency, { participant: name }), calls, errors, errorRate: ratio(errors, calls + errors) };
    })
    // Every configured participant is exported at 0 from the start; list those that were called.
    .filter((p) => p.calls + p.errors + p.prepare.count > 0)
    .sort((a, b) => (b.prepare.p95 ?? -1) - (a.prepare.p95 ?? -1) || a.name.localeCompare(b.name));

  return {
    url,
    at: new Date(current.at).toISOString(),
    windowSeconds: seconds,
    totals,
    perSecond: { started: window.started / seconds, committed: window.committed / seconds, aborted: window.aborted / seconds },
    successRate: { window: ratio(window.committed, window.committed + window.aborted), overall: ratio(totals.committed, totals.committed + totals.aborted) },
    phases: TOP_PHASES.map(([phase, metric]) => ({ phase, ...byHistogram(metric) })),
    active: { total: current.open.length, byStatus, capped: current.openCapped },
    inDoubt: { count: pastDeadline.length, oldest: pastDeadline[0] ?? null, oldestPreparedSeconds: oldestPrepared ? oldestPrepared.value : null },
    participants,
    aborts: labelValues(current.samples, counter(METRICS.transactionsAborted), 'reason')
      .map((reason) => ({ reason, count: total(METRICS.transactionsAborted, { reason }) }))
      .filter((a) => a.count > 0)
      .sort((a, b) => b.count - a.count),
    hazards: total(METRICS.heuristicHazards),
    violations: total(METRICS.protocolViolations),
    retries: total(METRICS.retries),
  };
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
const rate = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)}/s`;

export function topText(view: TopView, options: { slowest?: number; live?: boolean } = {}): string {
  const slowest = options.slowest ?? 5;
  const w = `${view.windowSeconds.toFixed(1)} s`;
  const active = Object.entries(view.active.byStatus)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const lines = [
    `Pakka top  ${view.url}  ${view.at}${options.live ? '  (Ctrl-C to stop)' : ''}`,
    '',
    `rate (last ${w})   started ${rate(view.perSecond.started)}  committed ${rate(view.perSecond.committed)}  aborted ${rate(view.perSecond.aborted)}`,
    `success rate        ${pct(view.successRate.window)} (last ${w})   ${pct(view.successRate.overall)} overall: ${view.totals.committed} committed, ${view.totals.aborted} aborted of ${view.totals.started} started`,
    `active              ${view.active.total}${view.active.capped ? '+' : ''} (${active})`,
    `in doubt            ${view.inDoubt.count}${view.inDoubt.oldest ? `, oldest ${view.inDoubt.oldest.txnId} ${view.inDoubt.oldest.pastDeadlineSeconds} s past its deadline` : ''}   oldest PREPARED record at the last sweep: ${view.inDoubt.oldestPreparedSeconds === null ? '-' : `${view.inDoubt.oldestPreparedSeconds} s`}`,
    `hazards ${view.hazards}   protocol violations ${view.violations}   retries reaching participants ${view.retries}`,
    '',
    table(
      ['phase', 'p50', 'p95', 'p99', 'count', 'over'],
      view.phases.map((p) => [p.phase, ms(p.p50), ms(p.p95), ms(p.p99), p.count, p.count ? (p.window ? `last ${w}` : 'since start') : '-']),
    ),
    '',
    view.participants.length
      ? table(
          ['slowest participants', 'prepare p50', 'p95', 'p99', 'calls', 'errors', 'error %'],
          view.participants
            .slice(0, slowest)
            .map((p) => [p.name, ms(p.prepare.p50), ms(p.prepare.p95), ms(p.prepare.p99), p.calls, p.errors, pct(p.errorRate)]),
        )
      : 'no participant has been called yet',
  ];
  if (view.aborts.length) lines.push('', `aborts by reason    ${view.aborts.map((a) => `${a.reason} ${a.count}`).join(', ')}`);
  return lines.join('\n');
}
