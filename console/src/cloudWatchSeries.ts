/**
 * The overview's charts on AWS, where there is no /metrics: the same figures asked of CloudWatch
 * with GetMetricData (namespace Pakka, the dimensions the functions emit them with), through
 * `pakka console`'s proxy, which signs the call. Rates are per-period sums over the period;
 * latencies CloudWatch's own percentiles. Pure, but for the one call.
 */
import type { MetricDataRequest, MetricDataResult } from '../../cli/cloudWatch.js';
import { METRIC_NAMESPACE, METRIC_SERVICE } from '../../lambdas/observability/metricNames.js';
import { postJson } from './api.js';
import { CLOUDWATCH_PATH } from './cloudWatchPath.js';
import { PHASES, type Series } from './liveMetrics.js';
import { METRICS, type MetricName } from './metricNames.js';

/** One point a minute (CloudWatch keeps minute points for 15 days), over the last three hours. */
export const CLOUDWATCH_PERIOD_SECONDS = 60;
export const CLOUDWATCH_WINDOW_SECONDS = 3 * 3600;

const PERCENTILES = ['p50', 'p95', 'p99'] as const;
/** Every point carries the service dimension (Powertools adds it); a metric is named by its full dimension set. */
const SERVICE = [{ Name: 'service', Value: METRIC_SERVICE }];

const stat = (Id: string, MetricName: MetricName, Stat: string) => ({
  Id,
  ReturnData: true,
  MetricStat: { Metric: { Namespace: METRIC_NAMESPACE, MetricName, Dimensions: SERVICE }, Period: CLOUDWATCH_PERIOD_SECONDS, Stat },
});

export function seriesRequest(now: number): MetricDataRequest {
  const end = Math.floor(now / 60_000) * 60_000;
  return {
    StartTime: new Date(end - CLOUDWATCH_WINDOW_SECONDS * 1000).toISOString(),
    EndTime: new Date(end).toISOString(),
    MetricDataQueries: [
      stat('started', METRICS.transactionsStarted, 'Sum'),
      stat('committed', METRICS.transactionsCommitted, 'Sum'),
      // Aborts carry a Reason: all of them, whatever the reason, summed.
      {
        Id: 'aborted',
        ReturnData: true,
        Expression: `SUM(SEARCH('{${METRIC_NAMESPACE},Reason,service} MetricName="${METRICS.transactionsAborted}"', 'Sum', ${CLOUDWATCH_PERIOD_SECONDS}))`,
        Period: CLOUDWATCH_PERIOD_SECONDS,
      },
      ...PHASES.flatMap(({ metric }, i) => PERCENTILES.map((p) => stat(`${p}_${i}`, metric, p))),
    ],
  };
}

/** The chart series from GetMetricData's results: one point per period that has any data. */
export function seriesFromResults(results: readonly MetricDataResult[]): Series {
  const byId = new Map(results.map((r) => [r.Id, new Map(r.Timestamps.map((t, i) => [Date.parse(t) / 1000, r.Values[i] ?? null]))]));
  const times = [...new Set(results.flatMap((r) => r.Timestamps.map((t) => Date.parse(t) / 1000)))].sort((a, b) => a - b);
  const valuesOf = (id: string) => times.map((t) => byId.get(id)?.get(t) ?? null);
  const perSecond = (id: string) => valuesOf(id).map((v) => (v ?? 0) / CLOUDWATCH_PERIOD_SECONDS);
  const committed = valuesOf('committed');
  const aborted = valuesOf('aborted');
  const phases: Series['phases'] = {};
  PHASES.forEach(({ phase }, i) => {
    phases[phase] = { p50: valuesOf(`p50_${i}`), p95: valuesOf(`p95_${i}`), p99: valuesOf(`p99_${i}`) };
  });
  return {
    times,
    started: perSecond('started'),
    committed: perSecond('committed'),
    aborted: perSecond('aborted'),
    successRate: times.map((_, i) => {
      const c = committed[i] ?? 0;
      const a = aborted[i] ?? 0;
      return c + a > 0 ? (100 * c) / (c + a) : null;
    }),
    phases,
  };
}

export async function cloudWatchSeries(now: number): Promise<Series> {
  const answer = await postJson<{ MetricDataResults: MetricDataResult[] }>(CLOUDWATCH_PATH, seriesRequest(now));
  return seriesFromResults(answer.MetricDataResults);
}
