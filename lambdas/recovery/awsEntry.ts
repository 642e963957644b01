/**
 * Lambda entry point of the recovery sweeper. An EventBridge schedule (every sweepIntervalSeconds)
 * runs a sweep; the API may invoke it directly with `{action: 'sweep'}` or
 * `{action: 'resolve', txnId, body}` for an operator's decision, so that only this function needs
 * the rights to invoke participants.
 * Environment: COORDINATOR_LOG_TABLE, STATE_MACHINE_ARN, PARTICIPANT_DIRECTORY_TABLE and
 * PARTICIPANT_DIRECTORY_VERSION (each participant's function and table, the directory the API builds
 * execution inputs from, read once per cold start), optional PAKKA_RECOVERY_* thresholds.
 */
import { boundedClientConfig } from '../config/sdkTimeouts.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { emfRecorder } from '../observability/emfRecorder.js';
import { protocolLogger } from '../observability/logger.js';
import { pakkaTracer, traced } from '../observability/tracing.js';
import { documentClient } from '../participants/lambdaEntry.js';
import { coordinatorLogTable } from './coordinatorLogTable.js';
import { inDoubtIndex } from './inDoubtIndex.js';
import { lambdaParticipants } from './lambdaParticipants.js';
import type { RecoveryPorts } from './ports.js';
import { recoveryConfigFromEnv } from './recoveryConfig.js';
import { type ResolveResult, resolveTransaction } from './resolve.js';
import { type SweepSummary, sweepSummary } from './recoveryService.js';
import { runSweep } from './sweep.js';
import { coordinatorEnvironment } from '../config/deployedEnvironment.js';
import { readParticipantDirectory } from '../config/participantDirectory.js';

export const recoveryEnvironment = coordinatorEnvironment;

const explicitRequest = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('resolve'), txnId: z.string(), body: z.unknown() }),
  z.strictObject({ action: z.literal('sweep') }),
]);
export type RecoveryRequest = z.infer<typeof explicitRequest>;

/** What the function is asked: an event with an `action` must be a valid request; anything else (the schedule's event) means a sweep. */
export function recoveryRequest(event: unknown): RecoveryRequest {
  if (typeof event === 'object' && event !== null && 'action' in event) return explicitRequest.parse(event);
  return { action: 'sweep' };
}

const SERVICE = 'pakka-recovery';
const logger = protocolLogger(SERVICE);
const metrics = emfRecorder(SERVICE);
const tracer = pakkaTracer(SERVICE);
const config = recoveryConfigFromEnv();
let ports: Promise<RecoveryPorts> | undefined;

async function awsPorts(): Promise<RecoveryPorts> {
  const env = recoveryEnvironment.parse(process.env);
  const client = documentClient(tracer.captureAWSv3Client(new DynamoDBClient(boundedClientConfig())));
  const directory = await readParticipantDirectory(client, env.PARTICIPANT_DIRECTORY_TABLE, env.PARTICIPANT_DIRECTORY_VERSION);
  return {
    log: coordinatorLogTable(client, env.COORDINATOR_LOG_TABLE),
    inDoubt: inDoubtIndex(client, directory.tables),
    participants: lambdaParticipants(tracer.captureAWSv3Client(new LambdaClient({})), directory.functions),
    now: Date.now,
  };
}

/** Built once per instance; a failed start (the directory unreadable) is tried again by the next invocation. */
function portsOnce(): Promise<RecoveryPorts> {
  ports ??= awsPorts().catch((error: unknown) => {
    ports = undefined;
    throw error;
  });
  return ports;
}

/** Time kept back from the Lambda timeout for the transactions still in progress when the sweep stops taking new ones. */
const RESERVE_MS = 15_000;

const recover = async (event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<SweepSummary | ResolveResult> => {
  const request = recoveryRequest(event);
  const ports = await portsOnce();
  if (request.action === 'resolve') {
    const result = await resolveTransaction(request.txnId, request.body, ports, metrics);
    logger.info(result.ok ? 'operator decision logged and driven' : 'operator decision refused', {
      txnId: request.txnId,
      phase: 'recovery',
      action: 'resolve',
      result,
    });
    return result;
  }
  const report = await runSweep(ports, config, {
    metrics,
    log: (message, detail) => logger.info(message, { phase: 'recovery', action: 'sweep', ...detail }),
    // Invoked without a Lambda context (a test, a script): no time limit of its own.
    ...(typeof context?.getRemainingTimeInMillis === 'function' ? { stopTakingAt: Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS } : {}),
  });
  for (const failure of report.errors) logger.error('recovery failed for a transaction', { phase: 'recovery', action: 'sweep', ...failure });
  const counts = sweepSummary(report);
  logger.info('recovery sweep done', { phase: 'recovery', action: 'sweep', ...counts });
  return counts;
};

export const handler = traced(tracer, 'recovery', recover, (event: unknown) => {
  const request = typeof event === 'object' && event !== null && 'action' in event ? (event as { action?: unknown; txnId?: unknown }) : { action: 'sweep' };
  return { action: typeof request.action === 'string' ? request.action : 'sweep', txnId: typeof request.txnId === 'string' ? request.txnId : undefined };
});
