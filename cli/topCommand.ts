/**
 * The `pakka top` loop: reads GET /metrics and the not-yet-final transactions every interval and
 * redraws the view, until Ctrl-C (or after one snapshot with --once).
 */
import { TXN_STATUSES } from '../lambdas/coordinatorLog/coordinatorLog.js';
import type { PakkaClient } from './client.js';
import { parsePrometheusText } from './prometheusText.js';
import { type TopReading, type TopView, topText, topView } from './top.js';

const OPEN_STATUSES = TXN_STATUSES.filter((s) => s !== 'COMMITTED' && s !== 'ABORTED');
const LISTING_LIMIT = 100;
/** Home and clear screen: each frame replaces the last on a terminal. */
const CLEAR = '\x1b[H\x1b[2J';

export async function readTop(client: PakkaClient): Promise<TopReading> {
  const [text, ...pages] = await Promise.all([client.metricsText(), ...OPEN_STATUSES.map((status) => client.list({ status, limit: LISTING_LIMIT }))]);
  return {
    at: Date.now(),
    samples: parsePrometheusText(text),
    open: pages.flatMap((p) => p.transactions.map((t) => ({ txnId: t.txnId, status: t.status, createdAt: t.createdAt, deadline: t.deadline }))),
    openCapped: pages.some((p) => p.nextCursor !== null),
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
