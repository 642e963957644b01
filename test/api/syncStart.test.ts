/**
 * `POST /transactions?wait=true` on Express starts with `StartSyncExecution`, which answers only when
 * the execution ends. Against a local stand-in for Step Functions that answers after 3 s (longer than
 * the bounded client's 2.5 s per attempt), the start is one call that succeeds: a retried call would
 * start a second Express execution (Express has no idempotent name), and a cut-off one would end the
 * request with a 500.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepFunctionsService } from '../../lambdas/api/stepFunctionsService.js';
import { DEFAULT_WAIT } from '../../lambdas/api/transactionRoutes.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { localParticipantFunctions } from '../../lambdas/config/participantFunctions.js';
import { DEFAULT_SDK_TIMEOUTS, boundedClientConfig, syncStartClientConfig } from '../../lambdas/config/sdkTimeouts.js';
import { executionInput } from '../../lambdas/request/executionInput.js';

const ANSWER_AFTER_MS = 3_000;
const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pakka';

let server: Server;
let endpoint = '';
const starts: string[] = [];

/** Answers StartSyncExecution as Step Functions does (awsJson1_0), once the "execution" has run 3 s. */
function standIn(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on('end', () => {
    const target = String(request.headers['x-amz-target'] ?? '');
    starts.push(target);
    const { name } = JSON.parse(body) as { name: string };
    setTimeout(() => {
      if (response.destroyed) return;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          executionArn: `arn:aws:states:eu-west-1:123456789012:express:pakka:${name}:1`,
          startDate: Date.now() / 1000 - ANSWER_AFTER_MS / 1000,
          stopDate: Date.now() / 1000,
          status: 'SUCCEEDED',
        }),
      );
    }, ANSWER_AFTER_MS);
  });
}

beforeAll(async () => {
  server = createServer(standIn);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// StartSyncExecution goes to the sync- host of the endpoint; the stand-in has one host.
const local = () => ({ endpoint, disableHostPrefix: true, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

describe('a synchronous Express start', () => {
  it('lasts longer than one bounded attempt (the stand-in answers after 3 s)', () => {
    expect(ANSWER_AFTER_MS).toBeGreaterThan(DEFAULT_SDK_TIMEOUTS.requestTimeoutMs);
  });

  it('is one StartSyncExecution call that returns when the execution ends, not a retried one', async () => {
    const config = loadParticipantConfig();
    const functions = localParticipantFunctions(config);
    // The clients lambdaApi.ts builds, pointed at the stand-in.
    const sfn = new SFNClient({ ...local(), ...boundedClientConfig() });
    const syncStartSfn = new SFNClient({ ...local(), ...syncStartClientConfig(DEFAULT_WAIT.waitMs) });
    const dynamo = new DynamoDBClient({ ...local(), ...boundedClientConfig() });
    try {
      const service = stepFunctionsService({
        sfn,
        syncStartSfn,
        dynamo: DynamoDBDocumentClient.from(dynamo),
        stateMachineArn: STATE_MACHINE,
        variant: 'express',
        tables: { coordinatorLog: 'log', participants: new Map() },
        config,
        functions,
      });
      const input = executionInput(
        'sync-start-1',
        { timeoutSeconds: 30, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] },
        config,
        functions,
      );
      starts.length = 0;
      await expect(service.startExecution(input, { waitMs: DEFAULT_WAIT.waitMs })).resolves.toBe('started');
      expect(starts).toEqual(['AWSStepFunctions.StartSyncExecution']);
    } finally {
      sfn.destroy();
      syncStartSfn.destroy();
      dynamo.destroy();
    }
  }, 20_000);
});
