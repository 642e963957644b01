/**
 * The local service's observability over real HTTP: GET /metrics in Prometheus text format with the
 * CloudWatch names, GET /events newest first, and the per-phase, per-participant timeline of
 * GET /transactions/{txnId}/inspect. The same handler without a metrics source (AWS) points elsewhere.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/router.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { prometheusName } from '../../lambdas/observability/prometheusNames.js';
import type { OutcomeEvent } from '../../lambdas/observability/transactionOutcome.js';
import type { TransactionTimeline } from '../../lambdas/observability/transactionTimeline.js';
import type { LocalService } from '../../local/server.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';

let service: LocalService;
const payer = uniqueId('alice');
const payee = uniqueId('bob');
let committedId = '';
let abortedId = '';

beforeAll(async () => {
  service = await startTestService({ recovery: { timer: false } });
  const fund = await call(service.url, 'POST', '/transactions?wait=true', {
    participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 1000 }] }],
  });
  expect(fund.body.status).toBe('COMMITTED');
  const transfer = (amount: number) => ({
    participants: [
      { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount }] },
      { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount }] },
    ],
  });
  const ok = await call<{ txnId: string; status: string }>(service.url, 'POST', '/transactions?wait=true', transfer(300));
  const no = await call<{ txnId: string; status: string }>(service.url, 'POST', '/transactions?wait=true', transfer(5000));
  expect([ok.body.status, no.body.status]).toEqual(['COMMITTED', 'ABORTED']);
  committedId = ok.body.txnId;
  abortedId = no.body.txnId;
  // ?wait=true answers once the participants' records are final; the outcome report follows the execution's end.
  await service.pakka.drain();
});
afterAll(async () => service?.stop());

/** `name{labels} value` lines of a Prometheus text body, as a map from series to value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('GET /metrics', () => {
  it('answers Prometheus text with the same metric names as CloudWatch', async () => {
    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const s = series(text);
    expect(s.get(prometheusName(METRICS.transactionsStarted))).toBe(3);
    expect(s.get(prometheusName(METRICS.transactionsCommitted))).toBe(2);
    expect(s.get(`${prometheusName(METRICS.transactionsAborted)}{reason="INSUFFICIENT_FUNDS"}`)).toBe(1);
    expect(s.get('pakka_votes_total{participant="payer-bank",vote="VOTE_ABORT",reason="INSUFFICIENT_FUNDS"}')).toBe(1);
    expect(s.get('pakka_prepare_latency_seconds_count{participant="payee-bank"}')).toBeGreaterThanOrEqual(1);
    for (const phase of [METRICS.preparePhaseLatency, METRICS.decisionLatency, METRICS.commitLatency, METRICS.abortLatency, METRICS.endToEndLatency]) {
      expect(text, phase).toContain(`# TYPE ${prometheusName(phase)} histogram`);
    }
    expect(s.get(`${prometheusName(METRICS.endToEndLatency)}_count`)).toBe(3);
  });
});

describe('GET /events', () => {
  it('lists the outcome events newest first, as EventBridge would carry them', async () => {
    const all = await call<{ events: OutcomeEvent[] }>(service.url, 'GET', '/events');
    expect(all.status).toBe(200);
    expect(all.body.events.map((e) => [e.detailType, e.detail.txnId]).slice(0, 2)).toEqual([
      ['TransactionAborted', abortedId],
      ['TransactionCommitted', committedId],
    ]);
    expect(all.body.events).toHaveLength(3);
    expect(all.body.events[0]).toMatchObject({ source: 'pakka', detail: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS', decidedBy: 'coordinator' } });
    const one = await call<{ events: OutcomeEvent[] }>(service.url, 'GET', '/events?limit=1');
    expect(one.body.events.map((e) => e.detail.txnId)).toEqual([abortedId]);
  });

  it('refuses a bad limit with the error shape, naming the field', async () => {
    for (const limit of ['0', '1001', 'ten']) {
      const bad = await call(service.url, 'GET', `/events?limit=${limit}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ error: { code: 'INVALID_REQUEST', message: 'limit must be an integer from 1 to 1000', field: 'limit' } });
    }
  });
});

describe('GET /transactions/{txnId}/inspect: the timeline', () => {
  it('times each phase and each participant, and names the slowest', async () => {
    const answer = await call<{ timeline: TransactionTimeline; log: { createdAt: string; decidedAt: string; finishedAt: string } }>(
      service.url,
      'GET',
      `/transactions/${committedId}/inspect`,
    );
    const { timeline, log } = answer.body;
    expect(timeline.phases.map((p) => p.phase)).toEqual(['prepare', 'decide', 'commit']);
    expect(timeline.phases[0]).toMatchObject({ startedAt: log.createdAt, endedAt: log.decidedAt });
    expect(timeline.phases[2]?.endedAt).toBe(log.finishedAt);
    for (const phase of timeline.phases) expect(phase.ms).toBeGreaterThanOrEqual(0);
    expect(timeline.participants.map((p) => p.name)).toEqual(['payer-bank', 'payee-bank']);
    for (const p of timeline.participants) {
      expect(p.prepare).toMatchObject({ vote: 'VOTE_COMMIT', startedAt: log.createdAt });
      expect(p.prepare.preparedAt).not.toBeNull();
      expect(p.phaseTwo).toMatchObject({ action: 'commit', outcome: 'ACKED' });
      expect(p.phaseTwo?.endedAt).not.toBeNull();
    }
    const slowestPrepare = Math.max(...timeline.participants.map((p) => p.prepare.ms ?? -1));
    expect(timeline.slowest.prepare?.ms).toBe(slowestPrepare);
    expect(timeline.participants.find((p) => p.name === timeline.slowest.prepare?.participant)?.prepare.ms).toBe(slowestPrepare);
    expect(timeline).toMatchObject({ decidedBy: 'coordinator', recovery: null });
  });

  it('shows the participant whose no ended the prepare phase, and the abort phase', async () => {
    const answer = await call<{ timeline: TransactionTimeline }>(service.url, 'GET', `/transactions/${abortedId}/inspect`);
    const { timeline } = answer.body;
    expect(timeline.phases.map((p) => p.phase)).toEqual(['prepare', 'decide', 'abort']);
    expect(timeline.participants[0]).toMatchObject({ name: 'payer-bank', prepare: { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' } });
    expect(timeline.participants[0]?.prepare.ms).toBeGreaterThanOrEqual(0);
    expect(timeline.participants.every((p) => p.phaseTwo?.action === 'abort')).toBe(true);
  });
});

describe('on AWS (no local metrics source)', () => {
  const event = (path: string): APIGatewayProxyEvent =>
    ({ httpMethod: 'GET', path, headers: {}, queryStringParameters: null, body: null }) as unknown as APIGatewayProxyEvent;

  it('GET /metrics and GET /events answer 404 pointing to CloudWatch and EventBridge', async () => {
    const handler = apiHandler(service.service);
    const metrics = await handler(event('/metrics'));
    expect(metrics.statusCode).toBe(404);
    expect(JSON.parse(metrics.body)).toMatchObject({ error: { code: 'METRICS_IN_CLOUDWATCH', field: null } });
    expect(JSON.parse(metrics.body).error.message).toMatch(/CloudWatch \(namespace Pakka\)/);
    const events = await handler(event('/events'));
    expect(events.statusCode).toBe(404);
    expect(JSON.parse(events.body).error).toMatchObject({ code: 'EVENTS_ON_EVENTBRIDGE' });
  });
});
