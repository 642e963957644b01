/** Wires a participant kind to the Lambda runtime: its own table from the environment, logs, metrics and traces. */
import { boundedClientConfig } from '../config/sdkTimeouts.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { emfRecorder } from '../observability/emfRecorder.js';
import { protocolLogger } from '../observability/logger.js';
import { pakkaTracer, traced } from '../observability/tracing.js';
import { z } from 'zod';
import { HOLDS_IN_ITEMS_BY_DEFAULT } from './holdLayout.js';
import { MAX_SHARDS } from './hotItems.js';
import type { ParticipantKind } from './kind.js';
import { observedParticipant } from './observedParticipant.js';
import { raisingVoteAbort } from './voteAbortRaised.js';
import { type ParticipantHandler, participantHandler } from './runtime.js';

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** `SHARDED_KEYS`: the participant's `shardedKeys` from the config, as JSON (set by the CDK construct). */
export function shardedKeysFromEnvironment(raw: string | undefined): ReadonlyMap<string, number> {
  if (!raw) return new Map();
  const parsed = z.record(z.string(), z.number().int().min(2).max(MAX_SHARDS)).parse(JSON.parse(raw));
  return new Map(Object.entries(parsed));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * `HOLDS_IN_ITEMS`: the CDK construct sets it where the participant's config differs from the default of
 * holdLayout.ts, which holds when it is absent.
 */
export function holdsInItemsFromEnvironment(value: string | undefined): boolean {
  if (value === undefined || value === '') return HOLDS_IN_ITEMS_BY_DEFAULT;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`environment variable HOLDS_IN_ITEMS is '${value}'; it must be true or false`);
}

export function lambdaParticipant(kind: ParticipantKind): ParticipantHandler {
  const name = required('PARTICIPANT_NAME');
  const service = `pakka-participant-${name}`;
  const tracer = pakkaTracer(service);
  const handler = participantHandler({
    name,
    kind,
    tableName: required('TABLE_NAME'),
    client: documentClient(tracer.captureAWSv3Client(new DynamoDBClient(boundedClientConfig()))),
    shardedKeys: shardedKeysFromEnvironment(process.env.SHARDED_KEYS),
    holdsInItems: holdsInItemsFromEnvironment(process.env.HOLDS_IN_ITEMS),
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
