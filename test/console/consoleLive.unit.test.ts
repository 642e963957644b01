/**
 * The console's live poll (console/src/live.ts), against a stand-in API: the overview's figures come
 * from each /metrics scrape as it answers, on its own interval, however long the listings of open
 * transactions (index reads, seconds on a busy service) take; and a refresh never runs a second
 * listing beside one in flight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveState } from '../../console/src/live.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';

/** A stand-in API: /metrics answers at once; each listing waits until the test answers it. */
function standInApi(metrics: string) {
  const listings: Array<{ path: string; answer: () => void }> = [];
  const fetch = (path: string): Promise<Response> => {
    if (path === '/metrics') return Promise.resolve(new Response(metrics, { status: 200 }));
    return new Promise((resolve) =>
      listings.push({ path, answer: () => resolve(new Response(JSON.stringify({ transactions: [], nextCursor: null }), { status: 200 })) }),
    );
  };
  return { fetch, listings };
}

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
    expect(api.listings.map((l) => l.path).sort()).toEqual([
      '/transactions?limit=10',
      '/transactions?status=ABORTING&limit=100',
      '/transactions?status=COMMITTING&limit=100',
      '/transactions?status=PREPARING&limit=100',
    ]);
    expect(latest().updatedAt).not.toBeNull();
  });

  it('a refresh during a listing lists again once it has answered, never beside it', async () => {
    const api = standInApi(await new PrometheusRecorder().render());
    vi.stubGlobal('fetch', api.fetch);
    const { live } = await freshLive();

    live.startLive();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(4);
    live.refreshLive();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(4);
    for (const l of api.listings.splice(0)) l.answer();
    // Listed again at once (the refresh), not after POLL_MS.
    await vi.advanceTimersByTimeAsync(0);
    expect(api.listings).toHaveLength(4);
  });
});
