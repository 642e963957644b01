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
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { inDoubtRequest, txnId } from '../contract/participantProtocol.js';
import { emfRecorder } from '../observability/emfRecorder.js';
import { protocolLogger } from '../observability/logger.js';
import { pakkaTracer, traced } from '../observability/tracing.js';
import { documentClient } from '../participants/lambdaEntry.js';
import { coordinatorLogTable } from './coordinatorLogTable.js';
import { heldItemsTidy } from './heldItemsTidy.js';
import { inDoubtReaders } from './inDoubtReaders.js';
import { participantIndexHoldsAny } from './indexProbe.js';
import { lambdaParticipants } from './lambdaParticipants.js';
import type { RecoveryPorts } from './ports.js';
import type { ParticipantAnswer } from '../participants/message.js';
import { recoveryConfigFromEnv } from './recoveryConfig.js';
import { type ResolveResult, resolveTransaction } from './resolve.js';
import { type SweepSummary, sweepSummary } from './recoveryService.js';
import { runSweep } from './sweep.js';
import { coordinatorEnvironment } from '../config/deployedEnvironment.js';
import { type ParticipantDirectory, readParticipantDirectory } from '../config/participantDirectory.js';

export const recoveryEnvironment = coordinatorEnvironment;

const explicitRequest = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('resolve'), txnId: z.string(), body: z.unknown() }),
  z.strictObject({ action: z.literal('sweep') }),
  /**
   * The API's read-only question to a participant that keeps its prepared state in its own store (its
   * `status` of a transaction, or what it holds prepared), relayed here because only this function
   * may invoke participants.
   */
  z.strictObject({
    action: z.literal('ask'),
    participant: z.string(),
    message: z.discriminatedUnion('action', [z.strictObject({ action: z.literal('status'), txnId }), inDoubtRequest]),
  }),
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
let ports: Promise<AwsRecoveryPorts> | undefined;

/** The ports of the deployed sweeper, plus the participants the API may put questions to through it. */
export type AwsRecoveryPorts = RecoveryPorts & { asked: ReadonlySet<string> };

export interface AwsRecoveryClients {
  dynamo: DynamoDBDocumentClient;
  lambda: LambdaClient;
  /** Told of a source of in-doubt transactions that could not be read (a SQL database that is down). */
  warn?: (message: string, detail: Record<string, unknown>) => void;
  /** The sweeper's clock (Date.now unless a test moves it): its deadlines and its tidy's idle window. */
  now?: () => number;
}

/**
 * Wires the sweep to AWS: the log and the participants' indexes in DynamoDB, participants (and the SQL
 * participants' own lists of what they hold prepared) through Lambda, all named by the directory.
 */
export function awsRecoveryPorts(coordinatorLog: string, directory: ParticipantDirectory, clients: AwsRecoveryClients): AwsRecoveryPorts {
  const participants = lambdaParticipants(clients.lambda, directory.functions);
  const now = clients.now ?? Date.now;
  return {
    log: coordinatorLogTable(clients.dynamo, coordinatorLog),
    inDoubt: inDoubtReaders({
      client: clients.dynamo,
      tables: directory.tables,
      askedParticipants: directory.askedForInDoubt,
      ask: (participant, request) => participants.send(participant, request),
      holdsAny: (table, index) => participantIndexHoldsAny(clients.dynamo, table, index),
      tidy: heldItemsTidy(clients.dynamo, now, (error) =>
        clients.warn?.('recovery could not take an idle item out of heldItems; a later sweep tries again', { phase: 'recovery', error: String(error) }),
      ),
      onFailure: (source, error) =>
        clients.warn?.('recovery could not read a source of in-doubt transactions; the next sweep tries again', {
          phase: 'recovery',
          source,
          error: String(error),
        }),
    }),
    participants,
    asked: new Set(directory.askedForInDoubt),
    now,
  };
}

/**
 * The relay of the API's read-only question: only to the participants asked for their in-doubt
 * transactions, so the API cannot reach any other participant through here.
 */
export function relayQuestion(ports: AwsRecoveryPorts, request: Extract<RecoveryRequest, { action: 'ask' }>): Promise<ParticipantAnswer> {
  if (!ports.asked.has(request.participant)) {
    return Promise.reject(new Error(`participant ${request.participant} is not asked for its prepared state (the directory's asksForInDoubt)`));
  }
  return ports.participants.send(request.participant, request.message);
}

async function awsPorts(): Promise<AwsRecoveryPorts> {
  const env = recoveryEnvironment.parse(process.env);
  const dynamo = documentClient(tracer.captureAWSv3Client(new DynamoDBClient(boundedClientConfig())));
  const directory = await readParticipantDirectory(dynamo, env.PARTICIPANT_DIRECTORY_TABLE, env.PARTICIPANT_DIRECTORY_VERSION);
  return awsRecoveryPorts(env.COORDINATOR_LOG_TABLE, directory, {
    dynamo,
    lambda: tracer.captureAWSv3Client(new LambdaClient({})),
    warn: (message, detail) => logger.warn(message, detail),
  });
}

/** Built once per instance; a failed start (the directory unreadable) is tried again by the next invocation. */
function portsOnce(): Promise<AwsRecoveryPorts> {
  ports ??= awsPorts().catch((error: unknown) => {
    ports = undefined;
    throw error;
  });
  return ports;
}

/** Time kept back from the Lambda timeout for the transactions still in progress when the sweep stops taking new ones. */
const RESERVE_MS = 15_000;

const recover = async (event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<SweepSummary | ResolveResult | ParticipantAnswer> => {
  const request = recoveryRequest(event);
  const ports = await portsOnce();
  if (request.action === 'ask') return relayQuestion(ports, request);
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
