/**
 * How GET /metrics spells Pakka's metrics, for the console: taken from the exposition's own naming
 * (prometheusNames.ts, the one the service's registry uses), so the console never guesses a name or
 * a unit. Latency histograms are exposed in seconds; the console shows milliseconds.
 */
import { METRICS, METRIC_DEFINITIONS, type MetricName } from '../../lambdas/observability/metricNames.js';
import { prometheusLabel, prometheusMetric } from '../../lambdas/observability/prometheusNames.js';
import type { Sample } from '../../cli/prometheusText.js';

export { METRICS, type MetricName };

export const counterName = (name: MetricName): string => prometheusMetric(name).name;

/** A gauge, e.g. OldestInDoubtAgeSeconds. */
export const gaugeName = (name: MetricName): string => prometheusMetric(name).name;

export interface HistogramName {
  /** The histogram's base name (without `_bucket`). */
  name: string;
  /** Multiply a bucket bound by this to get milliseconds. */
  toMs: number;
}

/** The histogram of a latency metric; undefined while this scrape has no samples of it yet. */
export function histogramName(samples: readonly Sample[], name: MetricName): HistogramName | undefined {
  const metric = prometheusMetric(name);
  const { unit } = METRIC_DEFINITIONS[name];
  // A bound is the recorded value times `scale`; recorded milliseconds are the console's unit.
  const toMs = unit === 'milliseconds' ? 1 / metric.scale : unit === 'seconds' ? 1000 / metric.scale : 1;
  return samples.some((s) => s.name === `${metric.name}_bucket`) ? { name: metric.name, toMs } : undefined;
}

/** The label names, as the exposition spells the dimensions. */
export const LABELS = { participant: prometheusLabel('Participant'), reason: prometheusLabel('Reason'), action: prometheusLabel('Action') } as const;
