/**
 * Wires a team's barrier participant to the Lambda runtime like a built-in one: its prepared-state table
 * from the environment, the same logs, metrics (votes, repeats, violations) and traces.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { emfRecorder } from '../../observability/emfRecorder.js';
import { protocolLogger } from '../../observability/logger.js';
import { pakkaTracer, traced } from '../../observability/tracing.js';
import { documentClient } from '../lambdaEntry.js';
import { observedParticipant } from '../observedParticipant.js';
import { raisingVoteAbort } from '../voteAbortRaised.js';
import type { BarrierParticipantDefinition } from './definition.js';
import { type BarrierHandler, barrierParticipant } from './runtime.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function lambdaBarrierParticipant<Op extends { op: string; key: string }>(definition: BarrierParticipantDefinition<Op>): BarrierHandler {
  const name = required('PARTICIPANT_NAME');
  const service = `pakka-participant-${name}`;
  const tracer = pakkaTracer(service);
  const handler = barrierParticipant({
    name,
    definition,
    tableName: required('TABLE_NAME'),
    client: documentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  });
  const observed = observedParticipant(handler, { name, metrics: emfRecorder(service), logger: protocolLogger(service) });
  // Outermost, so the logs, metrics and trace above record a no as the vote it is, not as a failure.
  return raisingVoteAbort(
    traced(tracer, `${name} participant`, observed, (event) => {
      const e = (typeof event === 'object' && event !== null ? event : {}) as { txnId?: unknown; action?: unknown };
      return { participant: name, txnId: typeof e.txnId === 'string' ? e.txnId : undefined, action: typeof e.action === 'string' ? e.action : undefined };
    }),
  );
}
