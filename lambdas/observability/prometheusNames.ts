/**
 * The Prometheus face of each metric, derived from its one definition in metricNames.ts: the name
 * (`pakka_` + snake case, `_seconds` for durations, `_total` for counters), the labels (the dimensions
 * in snake case), the type, the HELP text and the factor from the recorded value to the base unit.
 * Pure and free of prom-client, so the CLI and the console can name the series they read.
 */
import { METRICS, METRIC_DEFINITIONS, type MetricName } from './metricNames.js';

export interface PrometheusMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: string[];
  /** Multiplies a recorded value into the exposed base unit (milliseconds to seconds). */
  scale: number;
}

const snakeCase = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** A CloudWatch dimension (`Participant`) as a Prometheus label (`participant`). */
export const prometheusLabel = (dimension: string): string => snakeCase(dimension);

export function prometheusMetric(name: MetricName): PrometheusMetric {
  const d = METRIC_DEFINITIONS[name];
  const base = `pakka_${snakeCase(name)}`;
  const seconds = d.unit === 'milliseconds' || d.unit === 'seconds';
  const withUnit = seconds && !base.endsWith('_seconds') ? `${base}_seconds` : base;
  const type = d.kind === 'timing' ? 'histogram' : d.kind;
  return {
    name: type === 'counter' ? `${withUnit}_total` : withUnit,
    type,
    help: d.help,
    labels: d.dimensions.map(prometheusLabel),
    scale: d.unit === 'milliseconds' ? 1 / 1000 : 1,
  };
}

export const prometheusName = (name: MetricName): string => prometheusMetric(name).name;

/** Every metric Pakka exposes, in the order of METRICS. */
export const PROMETHEUS_METRICS: ReadonlyArray<{ metric: MetricName } & PrometheusMetric> = Object.values(METRICS).map((metric) => ({
  metric,
  ...prometheusMetric(metric),
}));
