/** The AWS outcome reporter, fed stream records as DynamoDB Streams delivers them (no AWS call). */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { outcomeStreamHandler } from '../../lambdas/observability/outcomeStreamEntry.js';
import type { OutcomeEvent } from '../../lambdas/observability/transactionOutcome.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';

const base = {
  txnId: 't-1',
  createdAt: '2026-11-26T10:00:00.000Z',
  timeoutSeconds: 30,
  requestDigest: 'd',
  idempotencyKey: 't-1',
  participantsJson: JSON.stringify([{ name: 'payer-bank', operations: [], prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 }]),
};
const committing = { ...base, status: 'COMMITTING', decision: 'COMMIT', decidedAt: '2026-11-26T10:00:00.040Z' };
const committed = {
  ...committing,
  status: 'COMMITTED',
  phase2StartedAt: '2026-11-26T10:00:00.050Z',
  finishedAt: '2026-11-26T10:00:00.090Z',
  phase2Json: '["ACKED"]',
  heuristicHazard: false,
};

const record = (eventName: 'INSERT' | 'MODIFY', oldImage: object | undefined, newImage: object) => ({
  eventName,
  dynamodb: { ...(oldImage ? { OldImage: marshall(oldImage) } : {}), NewImage: marshall(newImage) },
});

function harness(refuse = 0) {
  const metrics = new PrometheusRecorder();
  const published: OutcomeEvent[] = [];
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const handler = outcomeStreamHandler({
    metrics,
    logger: silent,
    publish: async (batch) => {
      published.push(...batch);
      return refuse;
    },
  });
  return { metrics, published, handler };
}

describe('outcome stream reporter', () => {
  it('counts starts, and reports the change that logs the decision exactly once (the log item is written then)', async () => {
    const { metrics, published, handler } = harness();
    const event = {
      Records: [
        record('INSERT', undefined, committing),
        // Recovery finishing it later reports nothing more.
        record('MODIFY', committing, committed),
        record('MODIFY', committed, { ...committed, note: 'touched again' }),
      ],
    } as unknown as DynamoDBStreamEvent;
    await handler(event);
    expect(metrics.total(METRICS.transactionsStarted)).toBe(1);
    expect(metrics.total(METRICS.transactionsCommitted)).toBe(1);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ source: 'pakka', detailType: 'TransactionCommitted', detail: { txnId: 't-1', status: 'COMMITTED' } });
  });

  it('fails the batch when the bus refuses an event, so the stream delivers it again', async () => {
    const { handler } = harness(1);
    const event = { Records: [record('INSERT', undefined, committing)] } as unknown as DynamoDBStreamEvent;
    await expect(handler(event)).rejects.toThrow(/refused 1/);
  });
});
