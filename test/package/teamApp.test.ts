/**
 * Pakka as a team installs it: the run's tarball (`npm pack`, which builds dist/ first: packSetup.ts)
 * installed into a copy of examples/team-app, and in that copy: only public entry points imported, the
 * declarations typecheck, `cdk synth` of the team's stacks (built-in ledger, the team's loyalty kind, and
 * its card participant on its own function and table) offline, transactions across all three on Pakka's
 * local service with the fake card gateway, and Pakka's conformance kit against the team's card
 * participant. Slow (an install, a full synth), so it runs in `npm run test:package` (the last step of
 * `npm test`), beside the other files of test/package/.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../support/synth.js';
import { ENV, projectFolder, run } from './packedLibrary.js';

const BIN = join(REPO_ROOT, 'node_modules', '.bin');
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const PUBLIC = Object.keys(packageJson.exports).map((path) => `pakka${path.slice(1)}`);

/** The file's folder: the example's copy (team-app/), its cloud assembly and its conformance report. */
const folder = projectFolder('team-project');
let app: string;

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
  app = join(folder.path, 'team-app');
  cpSync(join(REPO_ROOT, 'examples', 'team-app'), app, { recursive: true, filter: (source) => !/node_modules|cdk\.out/.test(source) });
  // The example depends on nothing but the tarball; what the tarball needs comes from npm's cache where it can.
  await inApp('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', inject('packageTarball')]);
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
    const outdir = join(folder.path, 'cdk.out');
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
    const report = join(folder.path, 'conformance.json');
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
