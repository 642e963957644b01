/**
 * The HTTP API's Lambda handler for a given participant config. Pakka's own entry (awsEntry.ts)
 * passes the bundled config/participants.json; a team's API entry passes its own config, parsed with
 * its own kind registry, so the API validates requests for the team's kinds.
 * Environment: COORDINATOR_LOG_TABLE, STATE_MACHINE_ARN, PARTICIPANT_DIRECTORY_TABLE and
 * PARTICIPANT_DIRECTORY_VERSION (where each participant's function and table are named, read once
 * per cold start: participantDirectory.ts), COORDINATOR_VARIANT; optional RECOVERY_FUNCTION_NAME (the recovery function, which
 * POST /recovery/run and POST /transactions/{txnId}/resolve invoke) and RECOVERY_LOG_GROUP (its log group,
 * named in the answer of a sweep started in the background); PAKKA_FAULT_INJECTION=on only on a deployment
 * that enables fault injection (coordinatorFault.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import type { ParticipantConfig } from '../config/participantConfig.js';
import { boundedClientConfig, syncStartClientConfig } from '../config/sdkTimeouts.js';
import { coordinatorEnvironment } from '../config/deployedEnvironment.js';
import { checkParticipantDirectory, readParticipantDirectory } from '../config/participantDirectory.js';
import { faultInjectionFromEnv } from '../request/coordinatorFault.js';
import { requestLogFields } from './requestLog.js';
import { protocolLogger } from '../observability/logger.js';
import { pakkaTracer, traced } from '../observability/tracing.js';
import { documentClient } from '../participants/lambdaEntry.js';
import { invokedRecovery, questionsThroughRecovery } from '../recovery/recoveryService.js';
import { apiHandler } from './router.js';
import { stepFunctionsService } from './stepFunctionsService.js';
import { DEFAULT_WAIT } from './transactionRoutes.js';

const environment = coordinatorEnvironment.extend({
  RECOVERY_FUNCTION_NAME: z.string().min(1).optional(),
  RECOVERY_LOG_GROUP: z.string().min(1).optional(),
});

export type LambdaApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const SERVICE = 'pakka-api';

/**
 * Reads the environment at once (cold start), so a stack without it fails on its first request's init;
 * the participant directory on the first request, kept for the instance's life (a failed read is tried
 * again by the next request), so a stack whose directory and config disagree fails every request, saying so.
 */
export function lambdaApi(config: ParticipantConfig): LambdaApiHandler {
  const logger = protocolLogger(SERVICE);
  const tracer = pakkaTracer(SERVICE);
  const env = environment.parse(process.env);
  const dynamo = documentClient(tracer.captureAWSv3Client(new DynamoDBClient(boundedClientConfig())));

  const lambda = tracer.captureAWSv3Client(new LambdaClient({}));
  async function routes(): Promise<LambdaApiHandler> {
    const directory = await readParticipantDirectory(dynamo, env.PARTICIPANT_DIRECTORY_TABLE, env.PARTICIPANT_DIRECTORY_VERSION);
    checkParticipantDirectory(config, directory);
    return apiHandler(
      stepFunctionsService({
        sfn: tracer.captureAWSv3Client(new SFNClient(boundedClientConfig())),
        syncStartSfn: tracer.captureAWSv3Client(new SFNClient(syncStartClientConfig(DEFAULT_WAIT.waitMs))),
        dynamo,
        stateMachineArn: env.STATE_MACHINE_ARN,
        variant: env.COORDINATOR_VARIANT,
        tables: { coordinatorLog: env.COORDINATOR_LOG_TABLE, participants: directory.tables },
        config,
        functions: directory.functions,
        ...(env.RECOVERY_FUNCTION_NAME ? { questions: questionsThroughRecovery(lambda, env.RECOVERY_FUNCTION_NAME) } : {}),
      }),
      {
        logError: (message, detail) => logger.error(message, detail),
        faultInjection: faultInjectionFromEnv(),
        ...(env.RECOVERY_FUNCTION_NAME
          ? {
              recovery: invokedRecovery(lambda, env.RECOVERY_FUNCTION_NAME, env.RECOVERY_LOG_GROUP ? { logGroupName: env.RECOVERY_LOG_GROUP } : {}),
            }
          : {}),
      },
    );
  }
  let built: Promise<LambdaApiHandler> | undefined;
  const route = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    built ??= routes().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built.then((handle) => handle(event));
  };

  /** Every request leaves one log line with its txnId, phase and action (see requestLog.ts). */
  async function served(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const started = performance.now();
    const result = await route(event);
    const fields = requestLogFields(event, result, Math.round(performance.now() - started));
    if (fields.txnId) tracer.putAnnotation('txnId', fields.txnId);
    logger.info('request served', { ...fields });
    return result;
  }

  return traced(tracer, 'api', served, (event: APIGatewayProxyEvent) => ({ method: event.httpMethod, path: event.resource }));
}
