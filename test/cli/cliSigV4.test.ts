/**
 * `pakka` against a deployed-like API: a stand-in for API Gateway with IAM authorization checks each
 * request's SigV4 signature with the signing library (signing again with the known test credentials)
 * before the API handler sees it, and the handler's recovery is the AWS one (the recovery function
 * invoked through a Lambda client). The CLI finds the credentials through the AWS SDK's default chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IncomingHttpHeaders, createServer, request as httpRequest } from 'node:http';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/router.js';
import { invokedRecovery } from '../../lambdas/recovery/recoveryService.js';
import type { SweepReport } from '../../lambdas/recovery/sweep.js';
import type { LocalService } from '../../local/server.js';
import { type CliRun, envWithoutAws, runPakka } from '../support/cliProcess.js';
import { uniqueId } from '../support/pakka.js';
import { startTestService } from '../support/service.js';
import { type SignedGateway, type TestCredentials, startSignedGateway } from '../support/sigv4Gateway.js';

const REGION = 'eu-west-1';
const CREDENTIALS: Required<TestCredentials> = {
  accessKeyId: 'AKIAPAKKATEST0000001',
  secretAccessKey: 'pakka/test/secret/key/0000000000000000000',
  sessionToken: 'pakka-test-session-token',
};
const RECOVERY_LOG_GROUP = '/aws/lambda/Pakka-recovery';

let service: LocalService;
let gateway: SignedGateway;
let dir: string;
/** Sweeps the recovery function stand-in was asked to run in the background. */
const backgroundSweeps: Array<Promise<SweepReport>> = [];

/** Lambda as the API sees it on AWS: `Event` queues the sweep and answers 202 at once; a resolve answers its result. */
function recoveryFunction(): LambdaClient {
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand)) throw new Error('only Invoke is expected');
    const request = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) as { action: string; txnId?: string; body?: unknown };
    if (command.input.InvocationType === 'Event') {
      if (request.action !== 'sweep') throw new Error(`unexpected background request ${request.action}`);
      backgroundSweeps.push(service.recovery.sweep());
      return { StatusCode: 202, $metadata: { requestId: `req-${backgroundSweeps.length}` } };
    }
    const result = await service.recovery.resolve(request.txnId ?? '', request.body);
    return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)), $metadata: {} };
  };
  return { send } as unknown as LambdaClient;
}

const credentialsEnv = (credentials: TestCredentials = CREDENTIALS): NodeJS.ProcessEnv => ({
  ...envWithoutAws(),
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
  // No profile file or instance metadata may answer instead of the variables above.
  AWS_CONFIG_FILE: join(tmpdir(), 'pakka-no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'pakka-no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
});

const pakka = (args: string[], env: NodeJS.ProcessEnv = credentialsEnv()): Promise<CliRun> => runPakka(['--url', gateway.url, ...args], { env });
const signed = (args: string[], env?: NodeJS.ProcessEnv) => pakka(['--region', REGION, ...args], env);

const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};
const alice = uniqueId('alice');
const credit = (txnId: string, amount: number) => ({ txnId, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: alice, amount }] }] });

/** The gateway's verdicts on the requests made while `run` ran. */
async function verdictsOf(run: () => Promise<CliRun>): Promise<{ run: CliRun; verdicts: string[] }> {
  const from = gateway.requests.length;
  const result = await run();
  return { run: result, verdicts: gateway.requests.slice(from).map((r) => r.verdict) };
}

beforeAll(async () => {
  service = await startTestService({ recovery: { timer: false } });
  gateway = await startSignedGateway({
    handler: apiHandler(service.service, { recovery: invokedRecovery(recoveryFunction(), 'Pakka-recovery', { logGroupName: RECOVERY_LOG_GROUP }) }),
    credentials: CREDENTIALS,
    region: REGION,
  });
  dir = mkdtempSync(join(tmpdir(), 'pakka-cli-sigv4-'));
});
afterAll(async () => {
  await Promise.allSettled(backgroundSweeps);
  await gateway?.stop();
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pakka with SigV4', () => {
  it('signs every call with the credentials of the default chain (a session token included), under the stage path', async () => {
    const txnId = uniqueId('signed');
    const submitted = await verdictsOf(() => signed(['submit', file('credit.json', credit(txnId, 500))]));
    expect(submitted.run).toMatchObject({ code: 0, stderr: '' });
    expect(submitted.run.stdout).toMatch(new RegExp(`^${txnId}\\s+COMMITTED`));
    expect(submitted.verdicts.length).toBeGreaterThan(0);
    expect(submitted.verdicts.every((v) => v === 'verified')).toBe(true);
    expect(gateway.requests.at(-1)?.path).toMatch(/^\/v1\/transactions/);

    const reads = await verdictsOf(async () => {
      const runs = await Promise.all([
        signed(['status', txnId]),
        signed(['inspect', txnId]),
        signed(['--json', 'list', '--status', 'COMMITTED', '--limit', '100']),
        signed(['item', 'payer-bank', alice]),
        signed(['participants']),
      ]);
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
      expect((JSON.parse(runs[2]?.stdout ?? '') as { transactions: Array<{ txnId: string }> }).transactions.map((t) => t.txnId)).toContain(txnId);
      expect(runs[3]?.stdout).toBe(`payer-bank ${alice}: balance 500\n`);
      return runs[0] as CliRun;
    });
    expect(reads.verdicts).toHaveLength(5);
    expect(new Set(reads.verdicts)).toEqual(new Set(['verified']));
  });

  it('reports the API’s own refusal of a signed request with its code and field', async () => {
    const refused = await signed(['submit', file('moon.json', { participants: [{ name: 'moon-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] })]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/400 INVALID_REQUEST: .*unknown participant 'moon-bank'.*\[participants\[0\]\.name\]/);

    const txnId = uniqueId('decided');
    expect((await signed(['submit', file('decided.json', credit(txnId, 1))])).code).toBe(0);
    const resolve = await signed(['resolve', txnId, '--abort', '--operator', 'asha', '--reason', 'testing a signed POST']);
    expect(resolve.code).toBe(2);
    expect(resolve.stderr).toMatch(/409 DECISION_ALREADY_LOGGED/);
  });

  it('recover starts the sweep in the background on AWS and says where to follow it', async () => {
    const started = await signed(['recover']);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toMatch(/recovery sweep started in the background \(request req-\d+\)/);
    expect(started.stdout).toContain(`aws logs tail ${RECOVERY_LOG_GROUP} --follow`);
    const json = await signed(['--json', 'recover']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'STARTED', requestId: expect.stringMatching(/^req-\d+$/), logGroup: RECOVERY_LOG_GROUP });
    // The sweeps the API started really ran, to their end.
    const reports = await Promise.all(backgroundSweeps);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) expect(report.errors).toEqual([]);
  });
});

describe('requests the gateway refuses, and nothing changes', () => {
  /** The transaction the refused request named must not exist. */
  async function expectNoTransaction(txnId: string) {
    const status = await signed(['status', txnId]);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/404 TRANSACTION_NOT_FOUND/);
  }

  it('an unsigned request (no --region or --sigv4 for a URL that is not execute-api)', async () => {
    const txnId = uniqueId('unsigned');
    const { run, verdicts } = await verdictsOf(() => pakka(['submit', file('unsigned.json', credit(txnId, 7))]));
    expect(verdicts).toEqual(['MISSING_AUTHENTICATION_TOKEN']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^pakka: 403 MISSING_AUTHENTICATION_TOKEN: Missing Authentication Token\n$/);
    await expectNoTransaction(txnId);
  });

  it('a request signed with another secret key, or for another region', async () => {
    const txnId = uniqueId('forged');
    const forged = await verdictsOf(() =>
      signed(['submit', file('forged.json', credit(txnId, 7))], credentialsEnv({ ...CREDENTIALS, secretAccessKey: 'not-the-secret' })),
    );
    expect(forged.verdicts).toEqual(['INVALID_SIGNATURE']);
    expect(forged.run.code).toBe(2);
    expect(forged.run.stderr).toMatch(/403 INVALID_SIGNATURE: The request signature we calculated does not match/);
    const elsewhere = await verdictsOf(() => pakka(['--region', 'us-east-1', 'submit', file('elsewhere.json', credit(txnId, 7))]));
    expect(elsewhere.verdicts).toEqual(['INVALID_SIGNATURE']);
    expect(elsewhere.run.code).toBe(2);
    await expectNoTransaction(txnId);
  });

  it('a signed request whose body was changed on the way', async () => {
    // Between the CLI and the gateway: raises the amount, keeps every header the client signed.
    const tamperer = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replace('"amount":7', '"amount":7000'));
        const target = new URL(gateway.url);
        const headers: IncomingHttpHeaders = { ...incoming.headers, 'content-length': String(body.length) };
        const forwarded = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        });
        forwarded.end(body);
      });
    });
    await new Promise<void>((resolve) => tamperer.listen(0, '127.0.0.1', resolve));
    const address = tamperer.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/`;
    try {
      const txnId = uniqueId('tampered');
      const { run, verdicts } = await verdictsOf(() =>
        runPakka(['--url', url, '--region', REGION, 'submit', file('tampered.json', credit(txnId, 7))], { env: credentialsEnv() }),
      );
      expect(verdicts).toEqual(['INVALID_SIGNATURE']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/403 INVALID_SIGNATURE/);
      await expectNoTransaction(txnId);
    } finally {
      await new Promise<void>((resolve) => tamperer.close(() => resolve()));
    }
  });

  it('no credentials anywhere: the CLI says so and sends nothing', async () => {
    const { run, verdicts } = await verdictsOf(() =>
      signed(['participants'], { ...credentialsEnv(), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '' }),
    );
    expect(verdicts).toEqual([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^pakka: cannot sign the request with AWS credentials \(.+\); set AWS_PROFILE/);
  });

  it('--sigv4 for a URL that names no region, without --region or AWS_REGION', async () => {
    const { run, verdicts } = await verdictsOf(() => pakka(['--sigv4', 'participants']));
    expect(verdicts).toEqual([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--sigv4 needs a region: .* say --region or set AWS_REGION/);
    const withEnv = await verdictsOf(() => pakka(['--sigv4', 'participants'], { ...credentialsEnv(), AWS_REGION: REGION }));
    expect(withEnv.verdicts).toEqual(['verified']);
    expect(withEnv.run.code).toBe(0);
  });
});
