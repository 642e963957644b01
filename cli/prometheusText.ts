/**
 * Reads the Prometheus text format that GET /metrics serves: samples with labels, counters summed
 * over label sets, and latency quantiles estimated from histogram buckets the way Prometheus'
 * histogram_quantile does (linear within the bucket that holds the rank). prom-client writes the
 * format but has no reader; a reader package (parse-prometheus-text-format) would replace only the
 * line parsing below, not the bucket arithmetic, and test/cli/topCli.test.ts reads prom-client's own
 * output with it, so it stays.
 */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** name, optional {labels}, value, optional timestamp (ms). */
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const UNESCAPE: Record<string, string> = { n: '\n', '\\': '\\', '"': '"' };
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line.slice(0, 120)}`);
    const [, name = '', labelText = '', valueText = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', value = ''] of labelText.matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? `\\${c}`);
    const value = valueText === '+Inf' ? Number.POSITIVE_INFINITY : valueText === '-Inf' ? Number.NEGATIVE_INFINITY : Number(valueText);
    samples.push({ name, labels, value });
  }
  return samples;
}

type Where = Readonly<Record<string, string>>;
const matches = (s: Sample, where: Where) => Object.entries(where).every(([k, v]) => s.labels[k] === v);

/** Sum of a metric over every label set matching `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Where = {}): number {
  return samples.filter((s) => s.name === name && matches(s, where)).reduce((n, s) => n + s.value, 0);
}

/** The distinct values of one label among a metric's samples. */
export function labelValues(samples: readonly Sample[], name: string, label: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name).flatMap((s) => (s.labels[label] === undefined ? [] : [s.labels[label]])))].sort();
}

export interface Buckets {
  /** Cumulative counts by upper bound, ascending; the last bound is +Inf. */
  bounds: number[];
  counts: number[];
}

/** A histogram's cumulative buckets, summed over the label sets matching `where` (the `le` label aside). */
export function bucketsOf(samples: readonly Sample[], histogram: string, where: Where = {}): Buckets {
  const byBound = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${histogram}_bucket` || !matches(s, where) || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b) ?? 0) };
}

/** What happened between two readings of the same cumulative buckets (a window of a live view). */
export function bucketsBetween(before: Buckets, after: Buckets): Buckets {
  const earlier = new Map(before.bounds.map((b, i) => [b, before.counts[i] ?? 0]));
  return { bounds: after.bounds, counts: after.bounds.map((b, i) => Math.max(0, (after.counts[i] ?? 0) - (earlier.get(b) ?? 0))) };
}

export const observations = (buckets: Buckets): number => buckets.counts.at(-1) ?? 0;

/**
 * The q-quantile (0..1) estimated from cumulative buckets; undefined with no observations. A rank
 * in the +Inf bucket answers the largest finite bound: the histogram knows nothing above it.
 */
export function quantile(q: number, buckets: Buckets): number | undefined {
  const total = observations(buckets);
  if (total === 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < buckets.bounds.length; i++) {
    const count = buckets.counts[i] ?? 0;
    if (count < rank) continue;
    const upper = buckets.bounds[i] ?? 0;
    const lower = i === 0 ? 0 : (buckets.bounds[i - 1] ?? 0);
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : (buckets.counts[i - 1] ?? 0);
    const inBucket = count - below;
    return inBucket === 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return buckets.bounds.filter(Number.isFinite).at(-1);
}
