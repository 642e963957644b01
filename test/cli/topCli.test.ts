/**
 * `pakka top`, `pakka events` and the timeline of `pakka inspect`: the Prometheus reading and the
 * view as pure functions, then the CLI as a process against a started local service.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketsBetween, bucketsOf, parsePrometheusText, quantile, sumOf } from '../../cli/prometheusText.js';
import { type TopReading, topView } from '../../cli/top.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';
import type { LocalService } from '../../local/server.js';
import { onlyParticipants, uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';

describe('reading /metrics', () => {
  it('parses what the recorder renders, labels and all', async () => {
    const r = new PrometheusRecorder();
    r.count(METRICS.transactionsAborted, { Reason: 'LOCK_CONFLICT' }, 3);
    r.count(METRICS.transactionsAborted, { Reason: 'TIMEOUT' });
    r.count(METRICS.votes, { Participant: 'payer-bank', Vote: 'VOTE_ABORT', Reason: 'INSUFFICIENT_FUNDS' });
    r.gauge(METRICS.oldestInDoubtAgeSeconds, 17);
    const samples = parsePrometheusText(await r.render());
    expect(sumOf(samples, 'pakka_transactions_aborted_total')).toBe(4);
    expect(sumOf(samples, 'pakka_transactions_aborted_total', { reason: 'TIMEOUT' })).toBe(1);
    expect(samples.find((s) => s.name === 'pakka_votes_total')?.labels).toEqual({
      participant: 'payer-bank',
      reason: 'INSUFFICIENT_FUNDS',
      vote: 'VOTE_ABORT',
    });
    expect(sumOf(samples, 'pakka_oldest_in_doubt_age_seconds')).toBe(17);
    expect(() => parsePrometheusText('pakka_x_total{oops')).toThrow(/not a Prometheus sample line/);
    // Escapes in label values, and an optional timestamp, as the format allows.
    expect(parsePrometheusText('m{a="x\\\\y\\"z\\n"} 2 1700000000000')).toEqual([{ name: 'm', labels: { a: 'x\\y"z\n' }, value: 2 }]);
  });

  it('estimates quantiles from buckets as histogram_quantile does, over a window or since the start', async () => {
    const r = new PrometheusRecorder();
    for (let i = 0; i < 10; i++) r.timing(METRICS.endToEndLatency, 30); // bucket (0.025, 0.05] s
    const before = bucketsOf(parsePrometheusText(await r.render()), 'pakka_end_to_end_latency_seconds');
    for (let i = 0; i < 10; i++) r.timing(METRICS.endToEndLatency, 700); // bucket (0.5, 1] s
    const after = bucketsOf(parsePrometheusText(await r.render()), 'pakka_end_to_end_latency_seconds');
    // Since the start: 20 observations, the median sits at the top of (0.025, 0.05].
    expect(quantile(0.5, after)).toBe(0.05);
    expect(quantile(0.25, after)).toBeCloseTo(0.0375);
    // The window holds only the slow ten: its median is mid-way through (0.5, 1].
    expect(quantile(0.5, bucketsBetween(before, after))).toBe(0.75);
    expect(quantile(0.5, bucketsBetween(after, after))).toBeUndefined();
    // Beyond the last finite bound the histogram knows nothing more than that bound.
    r.timing(METRICS.abortLatency, 120_000);
    expect(quantile(0.99, bucketsOf(parsePrometheusText(await r.render()), 'pakka_abort_latency_seconds'))).toBe(60);
  });
});

describe('the top view', () => {
  const reading = async (at: number, recorder: PrometheusRecorder, open: TopReading['open'] = []): Promise<TopReading> => ({
    at,
    samples: parsePrometheusText(await recorder.render()),
    open,
    openCapped: false,
  });

  it('gives rates and success over the window, totals since the start, active and in-doubt transactions, slowest participants first', async () => {
    // cinema is configured (so exported at 0) but never called: top leaves it out.
    const r = new PrometheusRecorder({ participants: ['payer-bank', 'payee-bank', 'cinema'] });
    r.count(METRICS.transactionsStarted, {}, 10);
    r.count(METRICS.transactionsCommitted, {}, 10);
    r.timing(METRICS.prepareLatency, 8, { Participant: 'payee-bank' });
    const t0 = Date.parse('2026-11-26T10:00:00Z');
    const first = await reading(t0, r);
    r.count(METRICS.transactionsStarted, {}, 8);
    r.count(METRICS.transactionsCommitted, {}, 6);
    r.count(METRICS.transactionsAborted, { Reason: 'INSUFFICIENT_FUNDS' }, 2);
    r.count(METRICS.participantCalls, { Participant: 'payer-bank', Action: 'prepare' }, 19);
    r.count(METRICS.participantErrors, { Participant: 'payer-bank', Action: 'prepare' }, 1);
    for (let i = 0; i < 5; i++) r.timing(METRICS.prepareLatency, 400, { Participant: 'payer-bank' });
    r.gauge(METRICS.oldestInDoubtAgeSeconds, 12);
    const open = [
      { txnId: 'fresh', status: 'PREPARING', createdAt: '2026-11-26T10:00:03Z', deadline: '2026-11-26T10:00:33Z' },
      { txnId: 'stuck', status: 'COMMITTING', createdAt: '2026-11-26T09:58:00Z', deadline: '2026-11-26T09:58:30Z' },
    ];
    const view = topView('http://pakka', first, await reading(t0 + 4000, r, open));
    expect(view.windowSeconds).toBe(4);
    expect(view.perSecond).toEqual({ started: 2, committed: 1.5, aborted: 0.5 });
    expect(view.successRate).toEqual({ window: 0.75, overall: 16 / 18 });
    expect(view.totals).toEqual({ started: 18, committed: 16, aborted: 2 });
    expect(view.active).toEqual({ total: 2, byStatus: { PREPARING: 1, COMMITTING: 1, ABORTING: 0 }, capped: false });
    expect(view.inDoubt).toEqual({ count: 1, oldest: { txnId: 'stuck', pastDeadlineSeconds: 94 }, oldestPreparedSeconds: 12 });
    expect(view.participants.map((p) => p.name)).toEqual(['payer-bank', 'payee-bank']);
    expect(view.participants[0]).toMatchObject({ calls: 19, errors: 1, errorRate: 0.05, prepare: { window: true, count: 5 } });
    // payee-bank had nothing in the window: its figures are since the start, and say so.
    expect(view.participants[1]?.prepare).toMatchObject({ window: false, count: 1 });
    expect(view.aborts).toEqual([{ reason: 'INSUFFICIENT_FUNDS', count: 2 }]);
  });
});

// ---- the CLI as a process -------------------------------------------------------------------------

const BIN = new URL('../../bin/pakka.js', import.meta.url).pathname;
let service: LocalService;
const alice = uniqueId('alice');
let committedId = '';

function pakka(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--url', service.url, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  // Top's one listing of open transactions (status=OPEN) reads every participant's in-doubt index (16
  // shards each): the two the transactions use, and cinema, configured but never called, which top leaves out.
  service = await startTestService({ config: onlyParticipants(['payer-bank', 'payee-bank', 'cinema']), recovery: { timer: false } });
  const run = (body: unknown) => call<{ txnId: string; status: string }>(service.url, 'POST', '/transactions?wait=true', body);
  await run({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: alice, amount: 500 }] }] });
  const ok = await run({
    participants: [
      { name: 'payer-bank', operations: [{ op: 'debit', key: alice, amount: 100 }] },
      { name: 'payee-bank', operations: [{ op: 'credit', key: uniqueId('bob'), amount: 100 }] },
    ],
  });
  committedId = ok.body.txnId;
  await run({ participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: alice, amount: 99_999 }] }] });
});
afterAll(async () => service?.stop());

describe('pakka top', () => {
  it('--once prints one snapshot of the running service and exits 0', async () => {
    const { code, stdout, stderr } = await pakka(['top', '--once', '--interval', '0.2']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Pakka top  ${service.url}`);
    expect(stdout).toMatch(/success rate +- \(last \d+\.\d s\) +66\.7% overall: 2 committed, 1 aborted of 3 started/);
    expect(stdout).toMatch(/active +0 \(PREPARING 0, COMMITTING 0, ABORTING 0\)/);
    expect(stdout).toMatch(/^end to end +\d/m);
    expect(stdout).toMatch(/^payer-bank +\d/m);
    expect(stdout).toContain('aborts by reason    INSUFFICIENT_FUNDS 1');
    expect(stdout).not.toContain('\x1b[');
  });

  it('--json --once prints the view for scripts', async () => {
    const { code, stdout } = await pakka(['--json', 'top', '--once', '--interval', '0.2']);
    expect(code).toBe(0);
    const view = JSON.parse(stdout) as ReturnType<typeof topView>;
    expect(view.totals).toEqual({ started: 3, committed: 2, aborted: 1 });
    expect(view.phases.find((p) => p.phase === 'end to end')).toMatchObject({ count: 3, window: false });
    expect(view.participants.map((p) => p.name).sort()).toEqual(['payee-bank', 'payer-bank']);
  });

  it('refreshes until Ctrl-C, then exits 0', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, '--url', service.url, 'top', '--interval', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const frames = new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if ((stdout.match(/Pakka top/g) ?? []).length >= 2) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await frames;
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('(Ctrl-C to stop)');
    } finally {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    }
  });

  it('refuses a bad interval, and says when the service cannot be reached', async () => {
    const bad = await pakka(['top', '--once', '--interval', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--interval must be a number of seconds from 0.1 to 3600');
    const gone = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, '--url', 'http://127.0.0.1:9', 'top', '--once'], (error, _out, stderr) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      ),
    );
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/cannot reach Pakka at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('pakka events and the inspect timeline', () => {
  it('pakka events lists the outcome events newest first', async () => {
    const { code, stdout } = await pakka(['events', '--limit', '2']);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/TransactionAborted +txn-\S+ +INSUFFICIENT_FUNDS +coordinator +no/);
    expect(rows[1]).toContain(`TransactionCommitted  ${committedId}`);
  });

  it('pakka inspect shows each phase and each participant, and the slowest', async () => {
    const { code, stdout } = await pakka(['inspect', committedId]);
    expect(code).toBe(0);
    expect(stdout).toContain('timeline (UTC; decided by coordinator');
    expect(stdout).toMatch(/^prepare +\d\d:\d\d:\d\d\.\d{3} +\d\d:\d\d:\d\d\.\d{3} +\d+ ms$/m);
    expect(stdout).toMatch(/^commit +\d\d:\d\d/m);
    expect(stdout).toMatch(/^payer-bank +\d+ ms +\d\d:\d\d:\d\d\.\d{3} +VOTE_COMMIT +commit +\d\d:\d\d:\d\d\.\d{3} +\d+ ms +ACKED$/m);
    expect(stdout).toMatch(/^slowest {2}prepare: (payer|payee)-bank \(\d+ ms\)/m);
  });
});
