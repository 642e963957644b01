/**
 * `pakka verify` as a team runs it, a process with --url: against the local service with fault
 * injection on (the stuck transaction really left PREPARED and finished by recovery, which only
 * verify's own sweeps run here); against one without it (that check skipped, with why); through a
 * stand-in that answers wrongly (exit 1, the failing checks named); and against a deployed-like API
 * (SigV4 checked by a stand-in API Gateway, no /metrics) whose metrics and alarms are read from a
 * CloudWatch stand-in that checks each call's signature too.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/router.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { FAULT_HEADER, STOP_AFTER_PREPARE } from '../../lambdas/request/coordinatorFault.js';
import { stackAlarmNames } from '../../lambdas/observability/alarmNames.js';
import { readBody } from '../../local/apiGateway.js';
import type { LocalService } from '../../local/server.js';
import { type CliRun, envWithoutAws, runPakka } from '../support/cliProcess.js';
import { onlyParticipants } from '../support/pakka.js';
import { startTestService } from '../support/service.js';
import { type SignedGateway, type TestCredentials, startSignedGateway } from '../support/sigv4Gateway.js';
import { signatureValid } from '../support/sigv4Verify.js';

const CHECKS = [
  'participants',
  'commit',
  'abort with its reason',
  'idempotent retry',
  'idempotency conflict',
  'stuck transaction recovered',
  'metrics',
  'alarms',
] as const;

/** The table's rows: check -> result, read from the printed table. */
function results(run: CliRun): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of run.stdout.split('\n')) {
    const check = CHECKS.find((c) => line.startsWith(`${c}  `));
    if (check) rows[check] = line.slice(check.length).trim().split(/\s+/)[0] ?? '';
  }
  return rows;
}

const detailOf = (run: CliRun, check: string) =>
  run.stdout
    .split('\n')
    .find((line) => line.startsWith(`${check}  `))
    ?.slice(check.length)
    .trim() ?? '';

const verify = (url: string, args: string[] = [], env: NodeJS.ProcessEnv = envWithoutAws()) => runPakka(['--url', url, 'verify', ...args], { env });

/** An HTTP server in front of `target` that passes each request on, after `rewrite` had its say. */
async function standIn(target: string, rewrite: (headers: Record<string, string>) => Record<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([k, v]) => (typeof v === 'string' && k !== 'host' && k !== 'content-length' ? [[k, v]] : [])),
      );
      const answer = await fetch(`${target}${request.url}`, {
        method: request.method ?? 'GET',
        headers: rewrite(headers),
        ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
      });
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      response.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server };
}

const close = (server: Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

/**
 * One participant of each kind of the default config (ledger, outbox, inventory, booking), two ledgers
 * first (the stuck check's two-phase transaction takes the first two), not its six bookings of one
 * wedding: verify's commit names every participant, and each recovery sweep reads every one's in-doubt
 * index (16 shards each), so five do what eleven did in less than half the reads.
 */
const config = onlyParticipants(['payer-bank', 'payee-bank', 'sms-gateway', 'warehouse', 'cinema']);

let faulty: LocalService;
/** What the service reported: a failed execution is one, and the injected fault must be why. */
const reported: Array<{ message: string; detail?: Record<string, unknown> }> = [];
beforeAll(async () => {
  // No sweeper on a timer: only verify's POST /recovery/run can finish the stuck transaction. No grace
  // after its deadline, so the test waits its 1 s timeout, not recovery's default minute.
  faulty = await startTestService({
    config,
    faultInjection: true,
    recovery: { timer: false, config: { deadlineGraceSeconds: 0 } },
    log: (message, detail) => reported.push({ message, ...(detail ? { detail } : {}) }),
  });
});
afterAll(async () => {
  await faulty?.stop();
});

describe('pakka verify against the local service', () => {
  it('passes every check, the stuck transaction finished by recovery, alarms skipped (none locally), and exits 0', { timeout: 120_000 }, async () => {
    const run = await verify(faulty.url);
    expect(run.stderr).toBe('');
    expect(results(run)).toEqual({
      participants: 'passed',
      commit: 'passed',
      'abort with its reason': 'passed',
      'idempotent retry': 'passed',
      'idempotency conflict': 'passed',
      'stuck transaction recovered': 'passed',
      metrics: 'passed',
      alarms: 'skipped',
    });
    expect(detailOf(run, 'abort with its reason')).toMatch(/ABORTED, reason INSUFFICIENT_FUNDS/);
    const stuck = /^passed\s+(\S+) left PREPARED at /.exec(detailOf(run, 'stuck transaction recovered'))?.[1];
    expect(stuck).toBeDefined();
    // The transaction as the API shows it: aborted by recovery, every participant's record ABORTED.
    const view = (await (await fetch(`${faulty.url}/transactions/${stuck}`)).json()) as {
      status: string;
      decidedBy: string;
      participants: Array<{ state: string }>;
    };
    expect(view).toMatchObject({ status: 'ABORTED', decidedBy: 'recovery' });
    expect(view.participants.map((p) => p.state)).toEqual(['ABORTED', 'ABORTED']);
    // It was stuck because its coordinator stopped at the injected fault, and for no other reason.
    expect(reported.filter((r) => r.detail?.txnId === stuck)).toEqual([
      {
        message: 'execution failed; the transaction is left to recovery',
        detail: expect.objectContaining({ error: PAKKA_ERROR.coordinatorStopped, cause: expect.stringMatching(/^fault injection: /) }),
      },
    ]);
    expect(run.stdout).toMatch(/all 7 checks passed, 1 skipped/);
    expect(run.code).toBe(0);
  });

  it('passes on the Standard workflow too', { timeout: 120_000 }, async () => {
    const standard = await startTestService({
      config,
      faultInjection: true,
      pakka: { variant: 'standard' },
      recovery: { timer: false, config: { deadlineGraceSeconds: 0 } },
      log: () => undefined,
    });
    try {
      const run = await verify(standard.url);
      expect(results(run)).toMatchObject({ commit: 'passed', 'idempotency conflict': 'passed', 'stuck transaction recovered': 'passed', metrics: 'passed' });
      expect(run.code).toBe(0);
    } finally {
      await standard.stop();
    }
  });

  it('reports the stuck-transaction check as skipped, with the reason, where fault injection is off', { timeout: 120_000 }, async () => {
    const plain = await startTestService({ config, recovery: { timer: false } });
    try {
      const run = await runPakka(['--url', plain.url, '--json', 'verify'], { env: envWithoutAws() });
      const reports = JSON.parse(run.stdout) as Array<{ check: string; result: string; detail: string }>;
      const stuck = reports.find((r) => r.check === 'stuck transaction recovered');
      expect(stuck).toMatchObject({ result: 'skipped' });
      expect(stuck?.detail).toMatch(/fault injection is off on this deployment/);
      expect(reports.filter((r) => r.result === 'failed')).toEqual([]);
      expect(run.code).toBe(0);

      // The header itself: 400 naming it and the rule, and nothing claimed or started.
      const txnId = `fault-off-${Date.now()}`;
      const answer = await fetch(`${plain.url}/transactions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [FAULT_HEADER]: STOP_AFTER_PREPARE },
        body: JSON.stringify({ txnId, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: txnId, amount: 1 }] }] }),
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({
        error: { code: 'INVALID_REQUEST', field: FAULT_HEADER, message: expect.stringMatching(/^fault injection is not enabled on this deployment/) },
      });
      expect((await fetch(`${plain.url}/transactions/${txnId}`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it('fails the idempotency checks and exits 1 through a stand-in that drops the Idempotency-Key header', { timeout: 120_000 }, async () => {
    const broken = await standIn(faulty.url, ({ 'idempotency-key': _dropped, ...rest }) => rest);
    try {
      const run = await verify(broken.url, ['--recovery-timeout', '60']);
      expect(results(run)).toMatchObject({
        commit: 'passed',
        'abort with its reason': 'passed',
        'idempotent retry': 'FAILED',
        'idempotency conflict': 'FAILED',
        'stuck transaction recovered': 'passed',
      });
      expect(detailOf(run, 'idempotent retry')).toMatch(/the same Idempotency-Key and body gave \S+, not \S+/);
      expect(run.stdout).toMatch(/2 of 8 checks FAILED/);
      expect(run.code).toBe(1);
    } finally {
      await close(broken.server);
    }
  });

  it.each([
    [['--recovery-timeout', 'soon'], /--recovery-timeout.*must be a positive number of seconds/],
    [['--metrics-timeout', '0'], /--metrics-timeout.*must be a positive number of seconds/],
    [['--stack', '9lives'], /--stack.*must be a stack name/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('refuses %j with a clear error and exit 2, before any request', async (args, message) => {
    const run = await verify('http://127.0.0.1:9', args);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
  });
});

// ---- a deployed-like API ------------------------------------------------------------------------

const REGION = 'eu-west-1';
const CREDENTIALS: Required<TestCredentials> = {
  accessKeyId: 'AKIAPAKKATEST0000002',
  secretAccessKey: 'pakka/test/secret/key/0000000000000000001',
  sessionToken: 'pakka-test-session-token',
};

/** CloudWatch as verify calls it: GetMetricData and DescribeAlarms (Query protocol), each signature checked. */
async function cloudWatchStandIn(alarms: () => string[]) {
  const calls: Array<{ action: string; signed: boolean }> = [];
  const member = (id: string, value: number) =>
    `<member><Id>${id}</Id><Label>${id}</Label><Timestamps><member>${new Date().toISOString()}</member></Timestamps><Values><member>${value}</member></Values><StatusCode>Complete</StatusCode></member>`;
  const server = createServer((request, response) => {
    void (async () => {
      const body = (await readBody(request)).toString('utf8');
      const params = new URLSearchParams(body);
      const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
      const signed = await signatureValid(
        { service: 'monitoring', region: REGION, credentials: CREDENTIALS },
        'POST',
        url,
        request.headers as IncomingHttpHeaders,
        body,
      );
      calls.push({ action: params.get('Action') ?? '', signed });
      response.writeHead(signed ? 200 : 403, { 'content-type': 'text/xml' });
      if (!signed) return response.end('<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error></ErrorResponse>');
      if (params.get('Action') === 'GetMetricData') {
        return response.end(
          `<GetMetricDataResponse><GetMetricDataResult><MetricDataResults>${member('committed', 4)}${member('aborted', 2)}</MetricDataResults></GetMetricDataResult></GetMetricDataResponse>`,
        );
      }
      const prefix = params.get('AlarmNamePrefix') ?? '';
      const names = alarms().filter((n) => n.startsWith(prefix));
      response.end(
        `<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms>${names.map((n) => `<member><AlarmName>${n}</AlarmName></member>`).join('')}</MetricAlarms><CompositeAlarms/></DescribeAlarmsResult></DescribeAlarmsResponse>`,
      );
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, server, calls };
}

describe('pakka verify against a deployed-like API', () => {
  let gateway: SignedGateway;
  let cloudWatch: Awaited<ReturnType<typeof cloudWatchStandIn>>;
  let alarms: string[] = [];
  beforeAll(async () => {
    // The API as on AWS: no /metrics (404 pointing to CloudWatch), behind IAM authorization.
    gateway = await startSignedGateway({
      handler: apiHandler(faulty.service, { recovery: faulty.recovery.service(), faultInjection: true }),
      credentials: CREDENTIALS,
      region: REGION,
    });
    cloudWatch = await cloudWatchStandIn(() => alarms);
  });
  afterAll(async () => {
    await gateway?.stop();
    await close(cloudWatch?.server);
  });

  const env = (): NodeJS.ProcessEnv => ({
    ...envWithoutAws(),
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_CONFIG_FILE: join(tmpdir(), 'pakka-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'pakka-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
  });
  const participants = () => [...faulty.pakka.config.keys()];

  it("reads the metrics and the stack's alarms from CloudWatch, signed, and passes", { timeout: 120_000 }, async () => {
    alarms = [...stackAlarmNames('Sandbox1', participants()), 'Other-in-doubt'];
    const run = await runPakka(['--url', gateway.url, '--region', REGION, 'verify', '--stack', 'Sandbox1', '--metrics-timeout', '5'], { env: env() });
    expect(run.stderr).toBe('');
    expect(results(run)).toMatchObject({ metrics: 'passed', alarms: 'passed', 'stuck transaction recovered': 'passed', 'idempotent retry': 'passed' });
    expect(detailOf(run, 'alarms')).toMatch(`all ${participants().length * 2 + 5} alarms of stack Sandbox1 exist`);
    expect(gateway.requests.every((r) => r.verdict === 'verified')).toBe(true);
    expect(cloudWatch.calls.map((c) => c.action).sort()).toEqual(['DescribeAlarms', 'GetMetricData']);
    expect(cloudWatch.calls.every((c) => c.signed)).toBe(true);
    expect(run.code).toBe(0);
  });

  it('fails the alarms check, naming the missing alarm, and exits 1', { timeout: 120_000 }, async () => {
    alarms = stackAlarmNames('Sandbox1', participants()).filter((n) => n !== 'Sandbox1-in-doubt');
    const run = await runPakka(['--url', gateway.url, '--region', REGION, 'verify', '--stack', 'Sandbox1', '--metrics-timeout', '5'], { env: env() });
    expect(results(run)).toMatchObject({ metrics: 'passed', alarms: 'FAILED' });
    expect(detailOf(run, 'alarms')).toMatch(/1 of \d+ alarms missing .*: Sandbox1-in-doubt$/);
    expect(run.code).toBe(1);
  });
});
