/**
 * Pakka as a team installs it: `npm pack` (which builds dist/ first), the tarball installed into a
 * copy of examples/team-app, and in that copy: only public entry points imported, the declarations
 * typecheck, `cdk synth` of the team's stacks (built-in ledger, the team's loyalty kind, and its card
 * participant on its own function and table) offline, transactions across all three on Pakka's local
 * service with the fake card gateway, and Pakka's conformance kit against the team's card participant. Slow (a build, an install, a full synth),
 * so it runs as `npm run test:package`, which `.ci/run` runs after `npm test`.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../support/synth.js';
import { FIRST_HOUR_HEADING, type FirstHourStep, SQL_FIRST_TRANSFER_HEADING, firstHourSteps, sqlFirstTransferSteps } from './firstHour.js';
import { POSTGRES_USER, type SqlServer, postgresAvailable, startPostgres } from '../../local/sqlServers.js';
import { requireServer } from '../support/tools.js';

const run = promisify(execFile);
const BIN = join(REPO_ROOT, 'node_modules', '.bin');
const ENV = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
const PUBLIC = Object.keys(packageJson.exports).map((path) => `pakka${path.slice(1)}`);

let work: string;
let app: string;
/** The packed library, which every describe below installs into its own project. */
let tarball: string;

const inApp = (command: string, args: string[], env: Record<string, string> = {}) =>
  run(command, args, { cwd: app, env: { ...ENV, ...env }, maxBuffer: 64 * 1024 * 1024 });

/** The example's own sources: every .ts file outside node_modules. */
function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'cdk.out') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourcesOf(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pakka-package-'));
  app = join(work, 'team-app');
  // prepack runs `npm run build`, so the tarball always holds a fresh dist/.
  await run('npm', ['pack', '--pack-destination', work], { cwd: REPO_ROOT, env: ENV, maxBuffer: 64 * 1024 * 1024 });
  tarball = join(work, `pakka-${packageJson.version}.tgz`);
  cpSync(join(REPO_ROOT, 'examples', 'team-app'), app, { recursive: true, filter: (source) => !/node_modules|cdk\.out/.test(source) });
  // The example depends on nothing but the tarball; what the tarball needs comes from npm's cache where it can.
  await inApp('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
}, 900_000);

// Two installed projects (the example and the first hour), each with aws-cdk-lib: minutes to delete on a busy machine.
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 600_000);

describe('the packed library in a team project', () => {
  it('is imported only through its public entry points, and the exports map refuses internal paths', async () => {
    const imported = sourcesOf(app).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(pakka[^']*)'|import\('(pakka[^']*)'\)/g)].map((m) => m[1] ?? m[2]),
    );
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !PUBLIC.includes(specifier ?? ''))).toEqual([]);

    // pakka/testing registers vitest tests, so it needs the optional peer vitest, which the team has as a
    // dev dependency for its conformance test: it resolves through the exports map and loads.
    const loaded = PUBLIC.filter((p) => p !== 'pakka/package.json' && p !== 'pakka/testing');
    const probe = `
      for (const name of ${JSON.stringify(loaded)}) await import(name);
      import.meta.resolve('pakka/testing');
      try { await import('pakka/testing'); console.log('testing loaded'); } catch (e) { console.log(String(e.message).includes("'vitest'") ? 'testing needs vitest' : e.message); }
      try { await import('pakka/lambdas/participants/runtime.js'); console.log('reachable'); } catch (e) { console.log(e.code); }`;
    const { stdout } = await inApp(process.execPath, ['--input-type=module', '-e', probe]);
    expect(stdout.trim().split('\n')).toEqual(['testing loaded', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
  });

  it('typechecks against the shipped declarations', async () => {
    // The project's own compiler and Node types: the example declares no dependency but the tarball.
    await expect(inApp(join(BIN, 'tsc'), ['-p', '.', '--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), '--types', 'node'])).resolves.toBeDefined();
  }, 180_000);

  it("synthesizes the team's stacks offline: the built-in ledger, the team's kind from its own entry, its card participant's own function, the API validating with them", async () => {
    const outdir = join(work, 'cdk.out');
    await inApp(join(BIN, 'cdk'), ['synth', '--quiet', '-o', outdir]);
    type Template = {
      Resources: Record<
        string,
        { Type: string; Properties?: Record<string, unknown> & { FunctionName?: string; Code?: { S3Key?: string }; Description?: string } }
      >;
    };
    const templateOf = (stack: string) => JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as Template;
    const template = templateOf('Rewards');
    const cards = templateOf('RewardsCards');
    const functionsOf = (t: Template) => Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const bundleOf = (t: Template, match: (p: NonNullable<Template['Resources'][string]['Properties']>) => boolean) => {
      const fn = functionsOf(t).find(([, f]) => f.Properties && match(f.Properties));
      const key = fn?.[1].Properties?.Code?.S3Key;
      if (!key) throw new Error('function not found');
      return readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
    };
    const loyaltyKind = 'loyalty points per member';
    expect(bundleOf(template, (p) => p.FunctionName === 'Rewards-rewards')).toContain(loyaltyKind);
    expect(bundleOf(template, (p) => p.FunctionName === 'Rewards-bank')).not.toContain(loyaltyKind);
    expect(bundleOf(template, (p) => p.Description?.startsWith('Pakka HTTP API') === true)).toContain(loyaltyKind);
    // Pakka built no function for the card participant: it is the team's, in the team's stack.
    expect(
      functionsOf(template)
        .map(([, f]) => f.Properties?.FunctionName)
        .filter((n) => n !== undefined)
        .sort(),
    ).toEqual(['Rewards-bank', 'Rewards-rewards']);
    const [[cardId]] = functionsOf(cards).filter(([, f]) => f.Properties?.Description?.startsWith('Card payments participant') === true) as [[string, unknown]];
    expect(bundleOf(cards, (p) => p.Description?.startsWith('Card payments participant') === true)).toContain('/authorizations/');
    // The state machine may invoke exactly the three participant functions, the team's by its exported ARN.
    const [smRole] = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([, r]) => (r.Properties?.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    const invoke = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: smRole }]))
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement)
      .filter((s) => JSON.stringify(s.Action) === '"lambda:InvokeFunction"');
    expect(invoke).toHaveLength(1);
    const resources = JSON.stringify(invoke[0]?.Resource);
    expect((invoke[0]?.Resource as unknown[]).length).toBe(3);
    expect(resources).toContain(`ExportsOutputFnGetAtt${cardId}Arn`);
    expect(resources).not.toContain('*');
  }, 300_000);

  it('runs transactions across the built-in ledger, the custom kind and the card gateway on the local service', async () => {
    const { stdout } = await inApp(process.execPath, ['--import', 'tsx', 'transact.ts'], { DYNAMO_ENDPOINT: inject('dynamoEndpoint') });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    const afterPurchase = {
      bank: { balance: 7_500, available: 7_500, reserved: 0, incoming: 0 },
      rewards: { points: 25, available: 25, reserved: 0, incoming: 0 },
      card: { limit: 50_000, held: 0, captured: 4_000, available: 46_000 },
      smallCard: { limit: 100, held: 0, captured: 0, available: 100 },
    };
    expect(result).toMatchObject({
      fund: { status: 'COMMITTED' },
      purchase: { status: 'COMMITTED' },
      // The small card declines: the first card's authorization is voided, the debit and the redemption released.
      declined: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' },
      overRedeem: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' },
      wrongOperation: { invalid: { field: 'participants[0].operations[0].op', message: expect.stringContaining('allowed: earn, redeem') } },
      wrongCardOperation: { invalid: { field: 'participants[0].operations[0].op', message: expect.stringContaining('allowed: charge') } },
      afterPurchase,
      // Nothing changed by either abort: no balance, point or capture moved, no authorization left open.
      afterDeclined: afterPurchase,
      final: afterPurchase,
    });
  }, 120_000);

  it("passes Pakka's conformance kit with the team's card participant, from the team's own test", async () => {
    const report = join(work, 'conformance.json');
    await inApp(join(app, 'node_modules', '.bin', 'vitest'), ['run', '--reporter=json', `--outputFile=${report}`], {
      DYNAMO_ENDPOINT: inject('dynamoEndpoint'),
    });
    const { numFailedTests, testResults } = JSON.parse(readFileSync(report, 'utf8')) as {
      numFailedTests: number;
      testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
    };
    const tests = testResults.flatMap((r) => r.assertionResults);
    expect(numFailedTests).toBe(0);
    // Every rule the fixture supports ran (all but READ_ONLY, which the card kind has no operation for).
    expect(tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(11);
    expect(tests.map((t) => t.title).join('\n')).toMatch(/crash/i);
  }, 300_000);

  it('serves the web console from the installed package: `pakka console` starts, and its page, script and state machine load', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
      });
    });
    // No API behind the URL: the console's own files are served without calling it.
    const child = spawn(
      join(app, 'node_modules', '.bin', 'pakka'),
      ['--url', 'http://127.0.0.1:9/prod', '--region', 'eu-west-1', 'console', '--port', String(port)],
      {
        cwd: app,
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`pakka console exited with ${code}: ${output}`)));
        child.stdout.on('data', () => output.includes('Press Ctrl-C') && resolve());
      });
      const base = `http://localhost:${port}/console`;
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets.some((a) => a?.endsWith('.js'))).toBe(true);
      for (const asset of assets) expect((await fetch(`${base}/${asset}`)).status).toBe(200);
      const machine = (await (await fetch(`${base}/statemachine.json`)).json()) as { StartAt?: string };
      expect(machine.StartAt).toBeTruthy();
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});

// npm's own settings for an unattended run (from its cache where it can); the page's commands are run as written.
const NPM_QUIET = { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

/**
 * Follows a page's section in a new, empty folder holding only the tarball: writes each file, runs each
 * command (with `env` beside the usual), and keeps what each printed, by the command as the page writes it.
 */
function followPage(folder: string, steps: readonly FirstHourStep[], env: () => Record<string, string> = () => ({})) {
  const printed = new Map<string, string>();
  const at = { project: '' };
  beforeAll(() => {
    at.project = join(work, folder);
    mkdirSync(at.project);
    // "copy it into a new, empty folder"
    cpSync(tarball, join(at.project, `pakka-${packageJson.version}.tgz`));
  });
  for (const step of steps) {
    if ('file' in step) {
      it(`writes ${step.file}`, () => {
        mkdirSync(dirname(join(at.project, step.file)), { recursive: true });
        writeFileSync(join(at.project, step.file), step.text);
      });
    } else {
      it(`runs ${step.command}`, async () => {
        const { stdout } = await run('bash', ['-c', step.command], { cwd: at.project, env: { ...ENV, ...NPM_QUIET, ...env() }, maxBuffer: 64 * 1024 * 1024 });
        printed.set(step.command, stdout);
      }, 600_000);
    }
  }
  return { printed, at };
}

describe(`docs/library.md, "${FIRST_HOUR_HEADING.slice(3)}", followed literally from an empty folder`, () => {
  const steps = firstHourSteps();
  const { printed, at } = followPage('first-hour', steps);

  it('covers init, the install, the team kind, the stack, local transactions and the conformance kit', () => {
    const commands = steps.flatMap((s) => ('command' in s ? [s.command] : []));
    expect(commands[0]).toBe('npm init -y');
    for (const needed of [/^npm install \.\/pakka-\*\.tgz /, /cdk synth/, /transact\.ts/, /vitest run/])
      expect(commands.some((c) => needed.test(c))).toBe(true);
  });

  it('refuses require() with a message that says Pakka is ESM and what to change', async () => {
    const refused = await run(process.execPath, ['-e', "require('pakka/participants')"], { cwd: at.project, env: ENV }).catch((e: { stderr: string }) => e);
    expect('stderr' in refused ? refused.stderr : '').toContain('pakka is an ES module package and cannot be loaded with require()');
    expect('stderr' in refused ? refused.stderr : '').not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it("synthesized the stack with the team's kind in its own function", () => {
    const template = JSON.parse(readFileSync(join(at.project, 'cdk.out', 'Vouchers.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { FunctionName?: string } }>;
    };
    const names = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.FunctionName)
      .filter((n) => n !== undefined)
      .sort();
    expect(names).toEqual(['Vouchers-bank', 'Vouchers-vouchers']);
  });

  it('committed across the ledger and the voucher kind, then aborted both when the voucher was spent', () => {
    const output = [...printed].find(([command]) => command.includes('transact.ts'))?.[1] ?? '';
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(result).toEqual({
      setup: { status: 'COMMITTED', reason: null },
      first: { status: 'COMMITTED', reason: null },
      // The voucher kind's own reason (contract 1.3), as the doc declares it.
      second: { status: 'ABORTED', reason: 'NO_SUCH_VOUCHER' },
      alice: expect.objectContaining({ balance: 8_000, available: 8_000, reserved: 0 }),
      voucher: expect.objectContaining({ amount: 500, redeemed: true }),
    });
  });

  it('ran the conformance kit against the kind participant, every rule it supports', () => {
    // vitest colours its summary even into a pipe.
    const output = stripVTControlCharacters([...printed].find(([command]) => command.includes('vitest run'))?.[1] ?? '');
    // Every rule a kind participant supports, 8 of them: all but readOnly (the voucher kind has no
    // check-only operation) and the three crashes after an external call (a kind calls no external
    // system). vitest names only its slow tests when not on a terminal, so the count is what is checked.
    expect(output).toMatch(/Tests\s+8 passed \(8\)/);
  });
});

describe.runIf(requireServer(postgresAvailable()))(
  `docs/sql-participants.md, "${SQL_FIRST_TRANSFER_HEADING.slice(3)}", followed literally from an empty folder`,
  () => {
    let database: SqlServer | undefined;
    beforeAll(async () => {
      database = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await database?.stop();
    });
    const steps = sqlFirstTransferSteps();
    const { printed } = followPage('sql-first-transfer', steps, () => ({
      PGHOST: '127.0.0.1',
      PGPORT: String(database?.port),
      PGUSER: POSTGRES_USER,
      PGDATABASE: 'postgres',
    }));

    it('covers init, the install with pg, the bank, the config and the transfer', () => {
      const commands = steps.flatMap((s) => ('command' in s ? [s.command] : []));
      expect(commands[0]).toBe('npm init -y');
      for (const needed of [/^npm install \.\/pakka-\*\.tgz .*\bpg\b/, /transfer\.ts/]) expect(commands.some((c) => needed.test(c))).toBe(true);
    });

    it('committed across the DynamoDB wallet and the PostgreSQL bank, then aborted both, leaving nothing prepared', () => {
      const output = [...printed].find(([command]) => command.includes('transfer.ts'))?.[1] ?? '';
      expect(JSON.parse(output.trim().split('\n').at(-1) ?? '{}')).toEqual({
        setup: { status: 'COMMITTED', reason: null },
        first: { status: 'COMMITTED', reason: null },
        second: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' },
        alice: 7_500,
        bob: 2_500,
        prepared: 0,
      });
    });
  },
);
