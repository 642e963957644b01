/** CloudWatch metrics in embedded metric format, through Powertools: one EMF line per data point and dimension set. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from './metricNames.js';
import type { MetricsRecorder } from './recorder.js';

export function emfRecorder(serviceName: string): MetricsRecorder {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName });
  const emit = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, dimensions: Record<string, string> = {}) => {
    // singleMetric publishes at once with its own dimensions, so points never share a dimension set by accident.
    const single = metrics.singleMetric();
    if (Object.keys(dimensions).length) single.addDimensions(dimensions);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, dimensions, value = 1) => emit(name, MetricUnit.Count, value, dimensions),
    timing: (name, ms, dimensions) => emit(name, MetricUnit.Milliseconds, ms, dimensions),
    gauge: (name, value, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
  };
}
