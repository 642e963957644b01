/**
 * What every page watches, polled once for the whole console: the /metrics window and the
 * transactions not yet final. Kept while the page is open, so the overview's charts have history
 * whichever page the engineer came from.
 */
import { useEffect, useState } from 'preact/hooks';
import { parsePrometheusText } from '../../cli/prometheusText.js';
import { allPages } from './allPages.js';
import { ApiCallError, getJson, metricsText } from './api.js';
import { OPEN_STATUSES, type TransactionList, type TransactionView } from './apiTypes.js';
import { CLOUDWATCH_PERIOD_SECONDS, cloudWatchSeries } from './cloudWatchSeries.js';
import { type Reading, type Series, keep } from './liveMetrics.js';

export const POLL_MS = 2000;
/** The listing's page size; every page is read (allPages.ts), up to its bound, past which the count shows "+". */
export const OPEN_LIMIT = 100;

export interface LiveState {
  readings: Reading[];
  /** Why there are no metrics, or a failed scrape. */
  metricsProblem: string | null;
  /** On AWS (no /metrics, `pakka console --url`): the charts' series from CloudWatch, null elsewhere. */
  cloudWatch: Series | null;
  open: TransactionView[];
  openCapped: boolean;
  recent: TransactionView[];
  /** When the last poll answered; null before the first. */
  updatedAt: number | null;
  apiProblem: string | null;
}

let state: LiveState = { readings: [], metricsProblem: null, cloudWatch: null, open: [], openCapped: false, recent: [], updatedAt: null, apiProblem: null };
const listeners = new Set<(s: LiveState) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;
let running = false;

function publish(next: Partial<LiveState>) {
  state = { ...state, ...next };
  for (const l of listeners) l(state);
}

const problem = (error: unknown) => (error instanceof ApiCallError ? error.message : error instanceof Error ? error.message : String(error));

/** CloudWatch has one point a minute: asked again only once a new minute may have one. */
let cloudWatchAskedAt = 0;

/** On AWS /metrics answers 404: the charts' figures are in CloudWatch, asked through the console's proxy. */
async function fromCloudWatch(at: number, scrapeProblem: unknown): Promise<Partial<LiveState>> {
  if (!(scrapeProblem instanceof ApiCallError) || scrapeProblem.status !== 404) return { metricsProblem: problem(scrapeProblem), cloudWatch: null };
  if (state.cloudWatch && at - cloudWatchAskedAt < (CLOUDWATCH_PERIOD_SECONDS * 1000) / 2) return {};
  try {
    const cloudWatch = await cloudWatchSeries(at);
    cloudWatchAskedAt = at;
    return { cloudWatch, metricsProblem: null };
  } catch (error) {
    // The local service has neither: say why there are no charts (the API's own 404 message names CloudWatch).
    return {
      metricsProblem: error instanceof ApiCallError && error.status === 404 ? problem(scrapeProblem) : `CloudWatch: ${problem(error)}`,
      cloudWatch: null,
    };
  }
}

async function poll(): Promise<void> {
  const at = Date.now();
  const [metrics, lists, recent] = await Promise.allSettled([
    metricsText(),
    Promise.all(OPEN_STATUSES.map((s) => allPages(getJson<TransactionList>, `/transactions?status=${s}&limit=${OPEN_LIMIT}`))),
    getJson<TransactionList>('/transactions?limit=10'),
  ]);
  const next: Partial<LiveState> = { updatedAt: Date.now() };
  if (metrics.status === 'fulfilled') {
    try {
      next.readings = keep(state.readings, { at, samples: parsePrometheusText(metrics.value) });
      next.metricsProblem = null;
    } catch (error) {
      next.metricsProblem = `GET /metrics is not Prometheus text: ${problem(error)}`;
    }
  } else Object.assign(next, await fromCloudWatch(at, metrics.reason));
  if (lists.status === 'fulfilled') {
    next.open = lists.value.flatMap((l) => l.transactions).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    next.openCapped = lists.value.some((l) => l.capped);
    next.apiProblem = null;
  } else next.apiProblem = problem(lists.reason);
  if (recent.status === 'fulfilled') next.recent = recent.value.transactions;
  publish(next);
}

async function loop(): Promise<void> {
  try {
    await poll();
  } catch (error) {
    publish({ apiProblem: problem(error) });
  }
  timer = setTimeout(() => void loop(), POLL_MS);
}

/** Poll now (after an action), without waiting for the timer. */
export function refreshLive(): void {
  if (timer) clearTimeout(timer);
  void loop();
}

export function startLive(): void {
  if (running) return;
  running = true;
  void loop();
}

export function useLive(): LiveState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    setValue(state);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

/** Seconds past the transaction's own deadline; negative while it still has time. */
export const pastDeadlineSeconds = (t: TransactionView, now: number) => (now - Date.parse(t.deadline)) / 1000;
export const ageSeconds = (t: TransactionView, now: number) => (now - Date.parse(t.createdAt)) / 1000;
