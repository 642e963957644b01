/** Wires a participant kind to the Lambda runtime: its own table from the environment, logs, metrics and traces. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { emfRecorder } from '../observability/emfRecorder.js';
import { protocolLogger } from '../observability/logger.js';
import type { ParticipantKind } from './kind.js';
import { observedParticipant } from './observedParticipant.js';
import { type ParticipantHandler, participantHandler } from './runtime.js';

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function lambdaParticipant(kind: ParticipantKind): ParticipantHandler {
  const name = required('PARTICIPANT_NAME');
  const service = `pakka-participant-${name}`;
  const tracer = new Tracer({ serviceName: service });
  const handler = participantHandler({
    name,
    kind,
    tableName: required('TABLE_NAME'),
    client: documentClient(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  });
  return observedParticipant(handler, { name, metrics: emfRecorder(service), logger: protocolLogger(service) });
}
