/**
 * The console's live poll (console/src/live.ts), against a stand-in API: the overview's figures come
 * from each /metrics scrape as it answers, on its own interval, however long the listings of open
 * transactions (index reads, seconds on a busy service) take; and a refresh never runs a second
 * listing beside one in flight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransactionList, TransactionView, TxnStatus } from '../../console/src/apiTypes.js';
import type { LiveState } from '../../console/src/live.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';
import { transactionViewOf } from '../support/transactionViews.js';

const NOTHING: TransactionList = { transactions: [], nextCursor: null };

/** A stand-in API: /metrics answers at once; each listing waits until the test answers it (with `pages[path]`, or nothing). */
function standInApi(metrics: string, pages: Record<string, TransactionList> = {}) {
  const listings: Array<{ path: string; answer: () => void }> = [];
  const fetch = (path: string): Promise<Response> => {
    if (path === '/metrics') return Promise.resolve(new Response(metrics, { status: 200 }));
    return new Promise((resolve) => listings.push({ path, answer: () => resolve(new Response(JSON.stringify(pages[path] ?? NOTHING), { status: 200 })) }));
  };
  return { fetch, listings };
}

const open = (txnId: string, status: TxnStatus, second: number): TransactionView => transactionViewOf({ txnId, status }, second);

/** A fresh copy of the module (its state and loops are the module's own) and the last state it published. */
async function freshLive() {
  vi.resetModules();
  const live = await import('../../console/src/live.js');
  let latest: LiveState | undefined;
  live.watchLive((s) => {
    latest = s;
  });
  return { live, latest: () => latest as LiveState };
}

describe('the live poll', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("shows each scrape as it answers, every POLL_MS, while the open transactions' listings have not answered", async () => {
    const recorder = new PrometheusRecorder();
    for (let i = 0; i < 5; i++) recorder.count(METRICS.transactionsStarted);
    const api = standInApi(await recorder.render());
    vi.stubGlobal('fetch', api.fetch);
    const { live, latest } = await freshLive();

    live.startLive();
    await vi.advanceTimersByTimeAsync(0);
    expect(latest().readings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3 * live.POLL_MS);
    expect(latest().readings).toHaveLength(4);
    // The first listings are still in flight, and none was sent again beside them.
    // One listing of every open transaction (not one per open status) and the newest ones.
    expect(api.listings.map((l) => l.path).sort()).toEqual(['/transactions?limit=10', '/transactions?status=OPEN&limit=100']);
    expect(latest().updatedAt).not.toBeNull();
  });

  it('a refresh during a listing lists again once it has answered, never beside it', async () => {
    const api = standInApi(await new PrometheusRecorder().render());
    vi.stubGlobal('fetch', api.fetch);
    const { live } = await freshLive();

    live.startLive();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(2);
    live.refreshLive();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(2);
    for (const l of api.listings.splice(0)) l.answer();
    // Listed again at once (the refresh), not after POLL_MS.
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(2);
  });

  it('shows every page of the one open listing, each transaction with its own status', async () => {
    const first = '/transactions?status=OPEN&limit=100';
    const api = standInApi(await new PrometheusRecorder().render(), {
      [first]: { transactions: [open('p1', 'PREPARING', 1), open('a1', 'ABORTING', 3)], nextCursor: 'next/1' },
      [`${first}&cursor=next%2F1`]: { transactions: [open('c1', 'COMMITTING', 2)], nextCursor: null },
    });
    vi.stubGlobal('fetch', api.fetch);
    const { live, latest } = await freshLive();

    live.startLive();
    await vi.advanceTimersByTimeAsync(0);
    for (const l of api.listings.splice(0)) l.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings.map((l) => l.path)).toEqual([`${first}&cursor=next%2F1`]);
    for (const l of api.listings.splice(0)) l.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(latest().open.map((t) => [t.txnId, t.status])).toEqual([
      ['p1', 'PREPARING'],
      ['c1', 'COMMITTING'],
      ['a1', 'ABORTING'],
    ]);
    expect(latest().openCapped).toBe(false);
  });
});
