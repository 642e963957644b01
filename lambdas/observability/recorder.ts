/** Where metrics go: CloudWatch EMF on Lambda, an in-memory Prometheus registry locally. */
import type { Dimensions, MetricName } from './metricNames.js';

export interface MetricsRecorder {
  count(name: MetricName, dimensions?: Dimensions, value?: number): void;
  timing(name: MetricName, milliseconds: number, dimensions?: Dimensions): void;
  gauge(name: MetricName, value: number, dimensions?: Dimensions): void;
}

export const noMetrics: MetricsRecorder = { count() {}, timing() {}, gauge() {} };

/** Sends every data point to each recorder (e.g. EMF and a test probe). */
export function allOf(...recorders: MetricsRecorder[]): MetricsRecorder {
  return {
    count: (n, d, v) => recorders.forEach((r) => r.count(n, d, v)),
    timing: (n, ms, d) => recorders.forEach((r) => r.timing(n, ms, d)),
    gauge: (n, v, d) => recorders.forEach((r) => r.gauge(n, v, d)),
  };
}
