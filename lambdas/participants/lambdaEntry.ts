/** Wires a participant kind to the Lambda runtime: its own table, from the environment. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ParticipantKind } from './kind.js';
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
  return participantHandler({
    name: required('PARTICIPANT_NAME'),
    kind,
    tableName: required('TABLE_NAME'),
    client: documentClient(new DynamoDBClient({})),
  });
}
