/**
 * Lambda entry on the coordinator log's DynamoDB stream. The log is the source of truth and every
 * writer (the state machine, recovery, an operator) goes through it, so reading its changes is the one
 * place that sees every start and every final outcome: it emits the metrics and the `pakka` events.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { isFinal, parseCoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { emfRecorder } from './emfRecorder.js';
import { type ProtocolLogger, protocolLogger } from './logger.js';
import type { MetricsRecorder } from './recorder.js';
import { pakkaTracer, traced } from './tracing.js';
import { type OutcomeEvent, outcomeEvent, recordLateHazards, recordOutcome, recordStarted, violationsAddedAfterFinal } from './transactionOutcome.js';

const SERVICE = 'pakka-outcomes';

const image = (raw: unknown) => (raw ? parseCoordinatorLogItem(unmarshall(raw as Record<string, AttributeValue>)) : undefined);

export interface OutcomeStreamDeps {
  metrics: MetricsRecorder;
  logger: ProtocolLogger;
  /** Publishes up to 10 events; returns how many the bus refused. */
  publish: (events: OutcomeEvent[]) => Promise<number>;
}

export function outcomeStreamHandler({ metrics, logger, publish }: OutcomeStreamDeps) {
  return async (event: DynamoDBStreamEvent): Promise<void> => {
    const outcomes: OutcomeEvent[] = [];
    for (const record of event.Records) {
      const before = image(record.dynamodb?.OldImage);
      const after = image(record.dynamodb?.NewImage);
      if (record.eventName === 'INSERT') recordStarted(metrics);
      // The API's claim inserts the log item; the decision is written once, and nothing follows it when every
      // participant acknowledges: the change that logs the decision reports the outcome (once; a retried stream
      // batch reports it again at most). Phase 2 may still be delivering; the outcome cannot change.
      if (after?.decision && !before?.decision) {
        const outcome = outcomeEvent(isFinal(after) ? after : { ...after, status: after.decision === 'COMMIT' ? 'COMMITTED' : 'ABORTED' });
        if (outcome) outcomes.push(outcome);
      }
      if (after) {
        const late = violationsAddedAfterFinal(before, after);
        recordLateHazards(metrics, late);
        if (late.length) logger.error('heuristic hazard on a final transaction', { txnId: after.txnId, phase: 'recovery', action: 'report', violations: late });
      }
    }
    for (const outcome of outcomes) {
      recordOutcome(metrics, outcome);
      logger.info(`transaction ${outcome.detail.status.toLowerCase()}`, {
        txnId: outcome.detail.txnId,
        phase: 'finish',
        action: 'report',
        outcome: outcome.detail,
      });
    }
    // PutEvents takes at most 10 entries a call.
    for (let i = 0; i < outcomes.length; i += 10) {
      const refused = await publish(outcomes.slice(i, i + 10));
      if (refused) throw new Error(`EventBridge refused ${refused} outcome events; the stream batch will be retried`);
    }
  };
}

const tracer = pakkaTracer(SERVICE);
const events = tracer.captureAWSv3Client(new EventBridgeClient({}));

const report = outcomeStreamHandler({
  metrics: emfRecorder(SERVICE),
  logger: protocolLogger(SERVICE),
  publish: async (batch) => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: batch.map((o) => ({
          Source: o.source,
          DetailType: o.detailType,
          Detail: JSON.stringify(o.detail),
          EventBusName: process.env.EVENT_BUS_NAME ?? 'default',
        })),
      }),
    );
    return out.FailedEntryCount ?? 0;
  },
});

export const handler = traced(tracer, 'outcome stream', report, (event: DynamoDBStreamEvent) => ({ records: event.Records.length }));
