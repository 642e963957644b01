/**
 * The console's one piece of knowledge about how GET /metrics spells Pakka's metrics. The names
 * come from the project's metric list; only the Prometheus spelling lives here: snake case with a
 * `pakka_` prefix, counters ending `_total`, latency histograms in `_ms` or in base units
 * (`_seconds`, converted back to milliseconds here), whichever the service exposes.
 */
import { METRICS, type MetricName } from '../../lambdas/observability/metricNames.js';
import type { Sample } from '../../cli/prometheusText.js';

export { METRICS, type MetricName };

const snake = (name: MetricName) => `pakka_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;

export const counterName = (name: MetricName): string => `${snake(name)}_total`;

/** A gauge, e.g. OldestInDoubtAgeSeconds: its name carries its unit already. */
export const gaugeName = (name: MetricName): string => snake(name);

export interface HistogramName {
  /** The histogram's base name (without `_bucket`). */
  name: string;
  /** Multiply a bucket bound by this to get milliseconds. */
  toMs: number;
}

/** The histogram for a latency metric, as this scrape spells it; undefined when it has no samples yet. */
export function histogramName(samples: readonly Sample[], name: MetricName): HistogramName | undefined {
  const base = snake(name);
  const candidates: HistogramName[] = [
    { name: `${base}_ms`, toMs: 1 },
    { name: `${base}_seconds`, toMs: 1000 },
    { name: `${base.replace(/_latency$/, '')}_seconds`, toMs: 1000 },
    { name: `${base.replace(/_latency$/, '_duration')}_seconds`, toMs: 1000 },
  ];
  return candidates.find((c) => samples.some((s) => s.name === `${c.name}_bucket`));
}

/** The label names, in the case the exposition uses them (Prometheus labels are lower case). */
export const LABELS = { participant: 'participant', reason: 'reason', action: 'action' } as const;
