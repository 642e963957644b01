/** CloudWatch metrics in embedded metric format, through Powertools: one EMF line per data point and dimension set. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, METRIC_SERVICE } from './metricNames.js';
import type { MetricsRecorder } from './recorder.js';

/** `emitter` names the function that emitted a point; it is written on the log line, not made a dimension. */
export function emfRecorder(emitter: string): MetricsRecorder {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE });
  const emit = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, dimensions: Record<string, string> = {}) => {
    // singleMetric publishes at once with its own dimensions, so points never share a dimension set by accident.
    const single = metrics.singleMetric();
    if (Object.keys(dimensions).length) single.addDimensions(dimensions);
    single.addMetadata('emitter', emitter);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, dimensions, value = 1) => emit(name, MetricUnit.Count, value, dimensions),
    timing: (name, ms, dimensions) => emit(name, MetricUnit.Milliseconds, ms, dimensions),
    gauge: (name, value, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
  };
}
