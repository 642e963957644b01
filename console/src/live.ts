/**
 * What every page watches, polled once for the whole console: the /metrics window and the
 * transactions not yet final. Kept while the page is open, so the overview's charts have history
 * whichever page the engineer came from.
 */
import { useEffect, useState } from 'preact/hooks';
import { parsePrometheusText } from '../../cli/prometheusText.js';
import { allPages, pagesOfPath } from './allPages.js';
import { ApiCallError, getJson, metricsText } from './api.js';
import type { ListStatus, TransactionList, TransactionView } from './apiTypes.js';
import { CLOUDWATCH_PERIOD_SECONDS, cloudWatchSeries } from './cloudWatchSeries.js';
import { type Reading, type Series, keep } from './liveMetrics.js';

export const POLL_MS = 2000;
/** The listing's page size; every page is read (allPages.ts), up to its bound, past which the count shows "+". */
export const OPEN_LIMIT = 100;
/** The bound on the open listing's pages: 50 pages of each of the three statuses, as when each had its own listing. */
const OPEN_MAX_PAGES = 150;
const OPEN: ListStatus = 'OPEN';

export interface LiveState {
  readings: Reading[];
  /** Why there are no metrics, or a failed scrape. */
  metricsProblem: string | null;
  /** On AWS (no /metrics, `pakka console --url`): the charts' series from CloudWatch, null elsewhere. */
  cloudWatch: Series | null;
  open: TransactionView[];
  openCapped: boolean;
  recent: TransactionView[];
  /** When the API last answered a scrape or a listing; null before the first. */
  updatedAt: number | null;
  apiProblem: string | null;
}

let state: LiveState = { readings: [], metricsProblem: null, cloudWatch: null, open: [], openCapped: false, recent: [], updatedAt: null, apiProblem: null };
const listeners = new Set<(s: LiveState) => void>();
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

/** One scrape of /metrics (or CloudWatch's series), published as soon as it answers. */
async function scrape(): Promise<void> {
  const at = Date.now();
  let text: string;
  try {
    text = await metricsText();
  } catch (error) {
    publish({ updatedAt: Date.now(), ...(await fromCloudWatch(at, error)) });
    return;
  }
  try {
    publish({ updatedAt: Date.now(), readings: keep(state.readings, { at, samples: parsePrometheusText(text) }), metricsProblem: null });
  } catch (error) {
    publish({ updatedAt: Date.now(), metricsProblem: `GET /metrics is not Prometheus text: ${problem(error)}` });
  }
}

/**
 * The open transactions (every page of the one OPEN listing: each page reads every participant's
 * held index once, where a listing per status read them three times) and the newest ones.
 */
async function list(): Promise<void> {
  const [open, recent] = await Promise.allSettled([
    allPages(pagesOfPath(getJson<TransactionList>, `/transactions?status=${OPEN}&limit=${OPEN_LIMIT}`), OPEN_MAX_PAGES),
    getJson<TransactionList>('/transactions?limit=10'),
  ]);
  const next: Partial<LiveState> = { updatedAt: Date.now() };
  if (open.status === 'fulfilled') {
    // The views count each status from each transaction's own `status`; the listing orders by what is held
    // (a record's inDoubtSince or the log's createdAt), the views by createdAt.
    next.open = open.value.transactions.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    next.openCapped = open.value.capped;
    next.apiProblem = null;
  } else next.apiProblem = problem(open.reason);
  if (recent.status === 'fulfilled') next.recent = recent.value.transactions;
  publish(next);
}

/**
 * Runs `step` at once and again POLL_MS after each run ends, one run at a time; the function it returns
 * asks for a run now. The scrape and the listings loop apart: a listing reads indexes and can take
 * seconds on a busy service, while a scrape of the service's own counters answers at once, so the
 * figures never wait for the list.
 */
function loop(step: () => Promise<void>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let again = false;
  const run = async (): Promise<void> => {
    timer = undefined;
    busy = true;
    try {
      await step();
    } catch (error) {
      publish({ apiProblem: problem(error) });
    }
    busy = false;
    if (again) {
      again = false;
      void run();
    } else timer = setTimeout(() => void run(), POLL_MS);
  };
  return () => {
    // A run in flight may have read before the action: one more follows it, never a second at once.
    if (busy) again = true;
    else {
      clearTimeout(timer);
      void run();
    }
  };
}

const scrapeNow = loop(scrape);
const listNow = loop(list);

/** Poll now (after an action), without waiting for the timer. */
export function refreshLive(): void {
  scrapeNow();
  listNow();
}

export function startLive(): void {
  if (running) return;
  running = true;
  refreshLive();
}

/** Calls `listener` with the state now and with each state published, until the returned function is called. */
export function watchLive(listener: (s: LiveState) => void): () => void {
  listeners.add(listener);
  listener(state);
  return () => void listeners.delete(listener);
}

export function useLive(): LiveState {
  const [value, setValue] = useState(state);
  useEffect(() => watchLive(setValue), []);
  return value;
}

/** Seconds past the transaction's own deadline; negative while it still has time. */
export const pastDeadlineSeconds = (t: TransactionView, now: number) => (now - Date.parse(t.deadline)) / 1000;
export const ageSeconds = (t: TransactionView, now: number) => (now - Date.parse(t.createdAt)) / 1000;
