/**
 * Every metric on both sides: what the Lambdas write in EMF (the CloudWatch identity the alarms
 * read), what the outcome stream and recovery count, the API's per-request log line, and a
 * transaction finished by recovery reported like one finished by its coordinator.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestLogFields } from '../../lambdas/api/requestLog.js';
import { emfRecorder } from '../../lambdas/observability/emfRecorder.js';
import { METRICS, METRIC_NAMESPACE } from '../../lambdas/observability/metricNames.js';
import { outcomeStreamHandler } from '../../lambdas/observability/outcomeStreamEntry.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';
import type { OutcomeEvent } from '../../lambdas/observability/transactionOutcome.js';
import { alice, fundedWorlds, transfer } from '../support/transferFixtures.js';

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

describe('EMF on Lambda', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    // Powertools writes through console, which writes to stdout.
    vi.spyOn(console, 'log').mockImplementation((text: unknown) => void lines.push(String(text)));
  });
  afterEach(() => vi.restoreAllMocks());

  const emitted = (): EmfLine[] =>
    lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as EmfLine);

  it('publishes each point under namespace Pakka with exactly its dimensions plus service=pakka', () => {
    const r = emfRecorder('pakka-participant-payer-bank');
    r.timing(METRICS.prepareLatency, 12, { Participant: 'payer-bank' });
    r.count(METRICS.transactionsAborted, { Reason: 'TIMEOUT' });
    r.count(METRICS.heuristicHazards);
    r.gauge(METRICS.oldestInDoubtAgeSeconds, 42);
    const [prepare, aborted, hazards, oldest] = emitted();
    const directive = (line: EmfLine | undefined) => line?._aws.CloudWatchMetrics[0];
    expect(directive(prepare)).toEqual({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [['service', 'Participant']],
      Metrics: [{ Name: 'PrepareLatency', Unit: 'Milliseconds' }],
    });
    expect(prepare).toMatchObject({ service: 'pakka', Participant: 'payer-bank', PrepareLatency: 12, emitter: 'pakka-participant-payer-bank' });
    expect(directive(aborted)?.Dimensions).toEqual([['service', 'Reason']]);
    expect(aborted).toMatchObject({ Reason: 'TIMEOUT', TransactionsAborted: 1 });
    expect(directive(hazards)?.Dimensions).toEqual([['service']]);
    expect(directive(oldest)?.Metrics).toEqual([{ Name: 'OldestInDoubtAgeSeconds', Unit: 'Count' }]);
    expect(oldest).toMatchObject({ OldestInDoubtAgeSeconds: 42 });
  });
});

// ---- the outcome stream -----------------------------------------------------------------------

const base = {
  txnId: 't-9',
  createdAt: '2026-11-26T10:00:00.000Z',
  timeoutSeconds: 30,
  requestDigest: 'd',
  idempotencyKey: 't-9',
  participantsJson: JSON.stringify([
    { name: 'payer-bank', operations: [], prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 },
    { name: 'payee-bank', operations: [], prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 },
  ]),
};
const committed = {
  ...base,
  status: 'COMMITTED',
  decision: 'COMMIT',
  decidedAt: '2026-11-26T10:00:00.120Z',
  phase2StartedAt: '2026-11-26T10:00:00.130Z',
  finishedAt: '2026-11-26T10:00:00.190Z',
  phase2Json: '["ACKED","ACKED"]',
  heuristicHazard: false,
};
const modify = (oldImage: object, newImage: object) => ({ eventName: 'MODIFY', dynamodb: { OldImage: marshall(oldImage), NewImage: marshall(newImage) } });

describe('outcome stream metrics', () => {
  const harness = () => {
    const metrics = new PrometheusRecorder();
    const published: OutcomeEvent[] = [];
    const silent = { info() {}, warn() {}, error() {}, debug() {} };
    return {
      metrics,
      published,
      handler: outcomeStreamHandler({
        metrics,
        logger: silent,
        publish: async (b) => {
          published.push(...b);
          return 0;
        },
      }),
    };
  };

  it("times the whole prepare phase, the execution's start to the decision (the log item's one write)", async () => {
    const { metrics, handler } = harness();
    const { finishedAt: _f, phase2StartedAt: _p, phase2Json: _j, ...decided } = committed;
    await handler({
      Records: [{ eventName: 'INSERT', dynamodb: { NewImage: marshall({ ...decided, status: 'COMMITTING' }) } }],
    } as unknown as DynamoDBStreamEvent);
    expect(metrics.percentile(METRICS.preparePhaseLatency, 50)).toBe(120);
  });

  it('counts a violation recovery records on a final transaction as a heuristic hazard, once, and publishes nothing again', async () => {
    const { metrics, published, handler } = harness();
    const hazardous = { ...committed, heuristicHazard: true, violations: new Set(['payee-bank:COMMIT_AFTER_ABORT']) };
    await handler({ Records: [modify(committed, hazardous)] } as unknown as DynamoDBStreamEvent);
    expect(metrics.total(METRICS.heuristicHazards)).toBe(1);
    // The same set written again (a second sweep) is no new hazard; another participant's is.
    await handler({ Records: [modify(hazardous, { ...hazardous, recoveredAt: '2026-11-26T10:05:00.000Z' })] } as unknown as DynamoDBStreamEvent);
    expect(metrics.total(METRICS.heuristicHazards)).toBe(1);
    await handler({
      Records: [modify(hazardous, { ...hazardous, violations: new Set(['payee-bank:COMMIT_AFTER_ABORT', 'payer-bank:COMMIT_AFTER_ABORT']) })],
    } as unknown as DynamoDBStreamEvent);
    expect(metrics.total(METRICS.heuristicHazards)).toBe(2);
    expect(published).toEqual([]);
  });
});

// ---- the API's log line -----------------------------------------------------------------------

describe('API request log line', () => {
  const result = (statusCode: number, body: unknown): APIGatewayProxyResult => ({ statusCode, body: JSON.stringify(body) });

  it('names the transaction, the phase and the action of every request', () => {
    expect(requestLogFields({ httpMethod: 'POST', path: '/transactions' }, result(202, { txnId: 'txn-1', status: 'PREPARING' }), 7)).toEqual({
      method: 'POST',
      path: '/transactions',
      status: 202,
      durationMs: 7,
      txnId: 'txn-1',
      phase: 'begin',
      action: 'submit',
    });
    expect(requestLogFields({ httpMethod: 'GET', path: '/transactions/txn-2/inspect' }, result(200, {}), 3)).toMatchObject({
      txnId: 'txn-2',
      phase: 'inspect',
      action: 'inspect',
    });
    expect(requestLogFields({ httpMethod: 'GET', path: '/transactions/txn-3' }, result(404, {}), 1)).toMatchObject({
      txnId: 'txn-3',
      status: 404,
      action: 'read',
    });
    expect(requestLogFields({ httpMethod: 'POST', path: '/transactions/txn-4/resolve' }, result(200, {}), 1)).toMatchObject({
      txnId: 'txn-4',
      phase: 'recovery',
      action: 'resolve',
    });
    expect(requestLogFields({ httpMethod: 'POST', path: '/transactions' }, result(400, { error: { code: 'INVALID_REQUEST' } }), 1)).not.toHaveProperty('txnId');
    expect(requestLogFields({ httpMethod: 'GET', path: '/health' }, result(200, {}), 1)).toMatchObject({ phase: 'api', action: 'read' });
  });
});

// ---- recovery ---------------------------------------------------------------------------------

const world = fundedWorlds();

describe('a transaction recovery finishes', () => {
  it('is reported like any other (event, outcome metrics), and the in-doubt age counts young PREPARED records too', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 'obs-r1' }]);
    await w.start('obs-r1', transfer).done;
    await w.injector.settled();
    expect(w.pakka.events.find((e) => e.detail.txnId === 'obs-r1')).toBeUndefined();
    // 330 s on: younger than the 360 s record-age threshold. Nothing was logged before the decision, so
    // recovery knows the transaction only by its PREPARED records and leaves them alone, but the age counts them.
    const early = await w.recovery({ now: () => Date.now() + 330_000 }).sweep();
    expect(early).toMatchObject({ finalized: 0, decided: 0 });
    const age = w.pakka.metrics.gaugeValue(METRICS.oldestInDoubtAgeSeconds) ?? 0;
    expect(age).toBeGreaterThanOrEqual(329);
    expect(age).toBeLessThan(360);
    // 370 s on: the records are old enough that no coordinator can still be preparing: recovery logs ABORT.
    const sweeper = w.recovery({ now: () => Date.now() + 370_000 });
    const report = await sweeper.sweep();
    expect(report).toMatchObject({ finalized: 1, decided: 1 });
    expect(w.pakka.metrics.total(METRICS.inDoubtFound)).toBe(1);
    expect(w.pakka.metrics.total(METRICS.inDoubtResolved)).toBe(1);
    const event = w.pakka.events.find((e) => e.detail.txnId === 'obs-r1');
    expect(event).toMatchObject({ source: 'pakka', detailType: 'TransactionAborted', detail: { status: 'ABORTED', decidedBy: 'recovery' } });
    expect(
      w.pakka.metrics.total(METRICS.transactionsAborted, { Reason: 'TIMEOUT' }) + w.pakka.metrics.total(METRICS.transactionsAborted, { Reason: 'ERROR' }),
    ).toBe(1);
    // Nothing in doubt any more: the next sweep says so.
    await sweeper.sweep();
    expect(w.pakka.metrics.gaugeValue(METRICS.oldestInDoubtAgeSeconds)).toBe(0);
    expect(await w.balance(alice)).toBe(5000);
  });

  it('a commit the coordinator logged but never finished delivering is reported once, when recovery finishes it', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'Commit', occurrence: 3, txnId: 'obs-r2' }]);
    await w.start('obs-r2', transfer).done;
    await w.injector.settled();
    expect(w.pakka.events.find((e) => e.detail.txnId === 'obs-r2')).toBeUndefined();
    const committedBefore = w.pakka.metrics.total(METRICS.transactionsCommitted);
    await w.recovery().sweep();
    await w.recovery().sweep();
    expect(w.pakka.events.filter((e) => e.detail.txnId === 'obs-r2').map((e) => e.detailType)).toEqual(['TransactionCommitted']);
    expect(w.pakka.metrics.total(METRICS.transactionsCommitted)).toBe(committedBefore + 1);
    expect(w.pakka.metrics.total(METRICS.heuristicHazards)).toBe(0);
  });
});
