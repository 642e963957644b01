/**
 * The local service's metrics in Prometheus form, through prom-client: one registry per recorder (a
 * test process runs several services, and a shared global registry would mix their counts), every
 * metric registered up front with its HELP text so a fresh service already shows each counter at 0,
 * and durations observed in seconds. Names, labels, help and units come from metricNames.ts via
 * prometheusNames.ts. Beside the registry the recorder keeps a small in-process index of what it was
 * given, for the synchronous questions tests and the local service ask (`total`, `percentile`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { participantRequest } from '../participants/message.js';
import type { ProtocolViolationCode } from '../protocol/participantState.js';
import { type Dimensions, METRICS, type MetricName } from './metricNames.js';
import { PROMETHEUS_METRICS, prometheusLabel } from './prometheusNames.js';
import type { MetricsRecorder } from './recorder.js';
import { ABORT_METRIC_REASONS } from './transactionOutcome.js';

/**
 * Seconds. Local DynamoDB calls take a few ms, a whole transaction tens to hundreds; the top buckets
 * reach past the participants' 10 s task timeout and the retries that follow it.
 */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Every code a participant may refuse with; a Record so a new code fails to compile until listed. */
const VIOLATION_CODES: Record<ProtocolViolationCode, true> = {
  COMMIT_AFTER_ABORT: true,
  ABORT_AFTER_COMMIT: true,
  COMMIT_WITHOUT_PREPARE: true,
  OPERATIONS_MISMATCH: true,
};
const ACTIONS = participantRequest.shape.action.options;

const RECENT = 2048;

type PromMetric = Counter | Gauge | Histogram;

export interface PrometheusRecorderOptions {
  /** The configured participants: their label sets are exported at 0 before their first call. */
  participants?: readonly string[];
}

export class PrometheusRecorder implements MetricsRecorder {
  readonly registry = new Registry();
  /**
   * `Metric.Dimension` pairs recorded but missing from metricNames.ts: left out of the exposition,
   * never thrown (a metric must not fail a participant call); tests expect this to stay empty.
   */
  readonly unknownDimensions = new Set<string>();
  private readonly prom = new Map<MetricName, { metric: PromMetric; scale: number; labels: ReadonlySet<string> }>();
  private readonly counters = new Map<MetricName, Map<string, number>>();
  private readonly gauges = new Map<MetricName, Map<string, number>>();
  /** Recent observations in milliseconds, for percentiles. */
  private readonly recent = new Map<MetricName, Map<string, number[]>>();

  constructor(options: PrometheusRecorderOptions = {}) {
    for (const m of PROMETHEUS_METRICS) {
      const config = { name: m.name, help: m.help, labelNames: m.labels, registers: [this.registry] };
      const metric =
        m.type === 'counter' ? new Counter(config) : m.type === 'gauge' ? new Gauge(config) : new Histogram({ ...config, buckets: DURATION_BUCKETS_SECONDS });
      this.prom.set(m.metric, { metric, scale: m.scale, labels: new Set(m.labels) });
    }
    // Known label sets at 0, so rate() and absence alerts work from the first scrape.
    for (const Reason of ABORT_METRIC_REASONS) this.seed(METRICS.transactionsAborted, { Reason });
    for (const Participant of options.participants ?? []) {
      for (const Action of ACTIONS) {
        this.seed(METRICS.participantCalls, { Participant, Action });
        this.seed(METRICS.participantErrors, { Participant, Action });
      }
      for (const Action of ['commit', 'abort']) this.seed(METRICS.retries, { Participant, Action });
      for (const Vote of ['VOTE_COMMIT', 'READ_ONLY']) this.seed(METRICS.votes, { Participant, Vote });
      this.seed(METRICS.raisedNoes, { Participant });
      for (const Code of Object.keys(VIOLATION_CODES)) this.seed(METRICS.protocolViolations, { Participant, Code });
    }
  }

  count(name: MetricName, dimensions?: Dimensions, value = 1): void {
    const { metric } = this.promFor(name, dimensions);
    if (!(metric instanceof Counter)) throw new Error(`${name} is not a counter`);
    metric.inc(this.labelsOf(name, dimensions), value);
    const series = this.series(this.counters, name);
    const key = labelKey(dimensions);
    series.set(key, (series.get(key) ?? 0) + value);
  }

  gauge(name: MetricName, value: number, dimensions?: Dimensions): void {
    const { metric, scale } = this.promFor(name, dimensions);
    if (!(metric instanceof Gauge)) throw new Error(`${name} is not a gauge`);
    metric.set(this.labelsOf(name, dimensions), value * scale);
    this.series(this.gauges, name).set(labelKey(dimensions), value);
  }

  timing(name: MetricName, milliseconds: number, dimensions?: Dimensions): void {
    const { metric, scale } = this.promFor(name, dimensions);
    if (!(metric instanceof Histogram)) throw new Error(`${name} is not a timing`);
    metric.observe(this.labelsOf(name, dimensions), milliseconds * scale);
    const series = this.series(this.recent, name);
    const key = labelKey(dimensions);
    const recent = series.get(key) ?? [];
    recent.push(milliseconds);
    if (recent.length > RECENT) recent.shift();
    series.set(key, recent);
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

  /** Percentile (0-100), in milliseconds, of the recent observations of a timing over label sets matching `where`. */
  percentile(name: MetricName, p: number, where: Dimensions = {}): number | undefined {
    const values = [...(this.recent.get(name) ?? [])].filter(([key]) => matches(key, where)).flatMap(([, v]) => v);
    if (!values.length) return undefined;
    values.sort((a, b) => a - b);
    return values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  }

  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private seed(name: MetricName, dimensions: Dimensions): void {
    const { metric } = this.promFor(name, dimensions);
    if (metric instanceof Counter) metric.inc(this.labelsOf(name, dimensions), 0);
  }

  private promFor(name: MetricName, dimensions: Dimensions = {}) {
    const entry = this.prom.get(name);
    if (!entry) throw new Error(`unknown metric ${name}`);
    for (const d of Object.keys(dimensions)) if (!entry.labels.has(prometheusLabel(d))) this.unknownDimensions.add(`${name}.${d}`);
    return entry;
  }

  /** Label values for prom-client; a dimension the definition lacks is left out (and noted) rather than thrown. */
  private labelsOf(name: MetricName, dimensions: Dimensions = {}): Record<string, string> {
    const known = this.prom.get(name)?.labels;
    return Object.fromEntries(Object.entries(dimensions).flatMap(([k, v]) => (known?.has(prometheusLabel(k)) ? [[prometheusLabel(k), v]] : [])));
  }

  private series<V>(store: Map<MetricName, Map<string, V>>, name: MetricName): Map<string, V> {
    const series = store.get(name) ?? new Map<string, V>();
    store.set(name, series);
    return series;
  }
}

const labelKey = (d: Dimensions = {}) => JSON.stringify(Object.entries(d).sort(([a], [b]) => a.localeCompare(b)));

function matches(key: string, where: Dimensions): boolean {
  const dims = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
  return Object.entries(where).every(([k, v]) => dims[k] === v);
}
