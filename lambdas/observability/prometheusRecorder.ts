/**
 * The local service's metrics: counters, gauges and latency histograms kept in memory and rendered
 * in Prometheus text format for GET /metrics. Same names as CloudWatch, in snake case with a pakka_ prefix.
 */
import type { Dimensions, MetricName } from './metricNames.js';
import type { MetricsRecorder } from './recorder.js';

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
  /** Recent observations, for percentiles in `pakka top`. */
  recent: number[];
}

const RECENT = 2048;

export function prometheusName(name: MetricName, kind: 'counter' | 'gauge' | 'histogram'): string {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (kind === 'counter') return `pakka_${snake}_total`;
  if (kind === 'histogram') return `pakka_${snake.replace(/_latency$/, '_latency')}_ms`;
  return `pakka_${snake}`;
}

const labelKey = (d: Dimensions = {}) => JSON.stringify(Object.entries(d).sort(([a], [b]) => a.localeCompare(b)));
const labels = (key: string, extra: Array<[string, string]> = []) => {
  const pairs = [...(JSON.parse(key) as Array<[string, string]>), ...extra];
  return pairs.length ? `{${pairs.map(([k, v]) => `${k.toLowerCase()}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}` : '';
};

export class PrometheusRecorder implements MetricsRecorder {
  private readonly counters = new Map<MetricName, Map<string, number>>();
  private readonly gauges = new Map<MetricName, Map<string, number>>();
  private readonly histograms = new Map<MetricName, Map<string, Histogram>>();

  count(name: MetricName, dimensions?: Dimensions, value = 1): void {
    const series = this.series(this.counters, name);
    const key = labelKey(dimensions);
    series.set(key, (series.get(key) ?? 0) + value);
  }

  gauge(name: MetricName, value: number, dimensions?: Dimensions): void {
    this.series(this.gauges, name).set(labelKey(dimensions), value);
  }

  timing(name: MetricName, milliseconds: number, dimensions?: Dimensions): void {
    const series = this.series(this.histograms, name);
    const key = labelKey(dimensions);
    const h = series.get(key) ?? { buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0, recent: [] };
    BUCKETS_MS.forEach((le, i) => milliseconds <= le && h.buckets[i]!++);
    h.sum += milliseconds;
    h.count++;
    h.recent.push(milliseconds);
    if (h.recent.length > RECENT) h.recent.shift();
    series.set(key, h);
  }

  /** Sum of a counter over all label sets matching `where`. */
  total(name: MetricName, where: Dimensions = {}): number {
    let sum = 0;
    for (const [key, value] of this.counters.get(name) ?? []) if (matches(key, where)) sum += value;
    return sum;
  }

  gaugeValue(name: MetricName, where: Dimensions = {}): number | undefined {
    for (const [key, value] of this.gauges.get(name) ?? []) if (matches(key, where)) return value;
    return undefined;
  }

  /** Percentile (0-100) of the recent observations of a histogram, over label sets matching `where`. */
  percentile(name: MetricName, p: number, where: Dimensions = {}): number | undefined {
    const values = [...(this.histograms.get(name) ?? [])].filter(([key]) => matches(key, where)).flatMap(([, h]) => h.recent);
    if (!values.length) return undefined;
    values.sort((a, b) => a - b);
    return values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  }

  /** Label sets seen for a metric, e.g. every participant with a prepare latency. */
  dimensionsOf(name: MetricName): Dimensions[] {
    const keys = [...(this.histograms.get(name)?.keys() ?? []), ...(this.counters.get(name)?.keys() ?? [])];
    return [...new Set(keys)].map((k) => Object.fromEntries(JSON.parse(k) as Array<[string, string]>));
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, series] of this.counters) {
      const metric = prometheusName(name, 'counter');
      lines.push(`# TYPE ${metric} counter`);
      for (const [key, value] of series) lines.push(`${metric}${labels(key)} ${value}`);
    }
    for (const [name, series] of this.gauges) {
      const metric = prometheusName(name, 'gauge');
      lines.push(`# TYPE ${metric} gauge`);
      for (const [key, value] of series) lines.push(`${metric}${labels(key)} ${value}`);
    }
    for (const [name, series] of this.histograms) {
      const metric = prometheusName(name, 'histogram');
      lines.push(`# TYPE ${metric} histogram`);
      for (const [key, h] of series) {
        BUCKETS_MS.forEach((le, i) => lines.push(`${metric}_bucket${labels(key, [['le', String(le)]])} ${h.buckets[i]}`));
        lines.push(`${metric}_bucket${labels(key, [['le', '+Inf']])} ${h.count}`);
        lines.push(`${metric}_sum${labels(key)} ${h.sum}`);
        lines.push(`${metric}_count${labels(key)} ${h.count}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  private series<V>(store: Map<MetricName, Map<string, V>>, name: MetricName): Map<string, V> {
    let series = store.get(name);
    if (!series) store.set(name, (series = new Map()));
    return series;
  }
}

function matches(key: string, where: Dimensions): boolean {
  const dims = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
  return Object.entries(where).every(([k, v]) => dims[k] === v);
}
