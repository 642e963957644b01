/**
 * The `pakka top` loop: reads GET /metrics and the not-yet-final transactions every interval and
 * redraws the view, until Ctrl-C (or after one snapshot with --once).
 */
import { allPages } from '../console/src/allPages.js';
import type { PakkaClient } from './client.js';
import { parsePrometheusText } from './prometheusText.js';
import { type TopReading, type TopView, topText, topView } from './top.js';

const LISTING_LIMIT = 100;
/** Up to 300 open transactions, as when each of the three statuses had a listing of its own. */
const LISTING_MAX_PAGES = 3;
/** Home and clear screen: each frame replaces the last on a terminal. */
const CLEAR = '\x1b[H\x1b[2J';

export async function readTop(client: PakkaClient): Promise<TopReading> {
  // One OPEN listing (every status not final): it reads each participant's held index once, where one
  // listing per status read them three times. The view counts each status from the transactions' own.
  const [text, open] = await Promise.all([
    client.metricsText(),
    allPages((cursor) => client.list({ status: 'OPEN', limit: LISTING_LIMIT, ...(cursor === null ? {} : { cursor }) }), LISTING_MAX_PAGES),
  ]);
  return {
    at: Date.now(),
    samples: parsePrometheusText(text),
    open: open.transactions.map((t) => ({ txnId: t.txnId, status: t.status, createdAt: t.createdAt, deadline: t.deadline })),
    openCapped: open.capped,
  };
}

export interface TopOptions {
  intervalMs: number;
  once: boolean;
  /** Writes a frame; `live` frames may clear the screen first. */
  show: (view: TopView, text: string) => void;
  /** A terminal: clear it between frames. */
  tty: boolean;
  write: (text: string) => void;
}

export async function runTop(client: PakkaClient, options: TopOptions): Promise<void> {
  let stop: (() => void) | undefined;
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    stop?.();
    // fetch keeps idle connections open for a few seconds; Ctrl-C should end the view at once.
    setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 250).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    let previous = await readTop(client);
    for (;;) {
      await pause(options.intervalMs);
      if (stopped) return;
      const current = await readTop(client);
      const view = topView(client.url, previous, current);
      if (options.once) {
        options.show(view, topText(view));
        return;
      }
      options.write(`${options.tty ? CLEAR : '\n'}${topText(view, { live: true })}\n`);
      previous = current;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
