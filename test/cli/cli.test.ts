/** The `pakka` command run as a process (bin/pakka.js, as npm installs it) against a local service. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalService } from '../../local/server.js';
import { uniqueId } from '../support/pakka.js';
import { startTestService } from '../support/service.js';

const BIN = new URL('../../bin/pakka.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function pakka(args: string[], options: { url?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...(options.url ? ['--url', options.url] : []), ...args],
      { env: { ...process.env, ...options.env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

let service: LocalService;
let dir: string;
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
};
const alice = uniqueId('alice');
const bob = uniqueId('bob');

beforeAll(async () => {
  service = await startTestService();
  dir = mkdtempSync(join(tmpdir(), 'pakka-cli-'));
  const funded = await pakka(
    ['submit', file('fund.json', { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: alice, amount: 1000 }] }] })],
    { url: service.url },
  );
  expect(funded.code).toBe(0);
});
afterAll(async () => {
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const transfer = (amount: number) => ({
  participants: [
    { name: 'payer-bank', operations: [{ op: 'debit', key: alice, amount }] },
    { name: 'payee-bank', operations: [{ op: 'credit', key: bob, amount }] },
  ],
});

describe('pakka submit', () => {
  it('prints a committed outcome and exits 0', async () => {
    const run = await pakka(['submit', file('ok.json', transfer(100))], { url: service.url });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^txn-\S+\s+COMMITTED/);
    expect(run.stdout).toMatch(/payer-bank\s+VOTE_COMMIT\s+-\s+ACKED\s+COMMITTED/);
  });

  it('prints an aborted outcome with its reason and exits 1', async () => {
    const run = await pakka(['submit', file('overdraft.json', transfer(1_000_000))], { url: service.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ABORTED \(INSUFFICIENT_FUNDS\)/);
  });

  it('exits 2 for a file that is missing or not JSON, and for a request the API refuses', async () => {
    const missing = await pakka(['submit', join(dir, 'nope.json')], { url: service.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT/);
    const broken = await pakka(['submit', file('broken.json', '{"participants": [')], { url: service.url });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not JSON/);
    const refused = await pakka(
      ['submit', file('refused.json', { participants: [{ name: 'moon-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] })],
      { url: service.url },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/400 INVALID_REQUEST: .*unknown participant 'moon-bank'.*\[participants\[0\]\.name\]/);
  });

  it('--json prints the transaction as the API returns it; - reads standard input', async () => {
    const run = await pakka(['--json', 'submit', '-'], { url: service.url, stdin: JSON.stringify(transfer(50)) });
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as { txnId: string; status: string; participants: Array<{ name: string; state: string }> };
    expect(view).toMatchObject({
      status: 'COMMITTED',
      participants: [
        { name: 'payer-bank', state: 'COMMITTED' },
        { name: 'payee-bank', state: 'COMMITTED' },
      ],
    });
    const status = await pakka(['--json', 'status', view.txnId], { url: service.url });
    expect(JSON.parse(status.stdout)).toEqual(view);
  });

  it('--no-wait returns the txnId at once; status follows it; the same --idempotency-key starts nothing new', async () => {
    const key = uniqueId('key');
    const request = file('nowait.json', { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: uniqueId('c'), amount: 7 }] }] });
    const run = await pakka(['--json', 'submit', '--no-wait', '--idempotency-key', key, request], { url: service.url });
    expect(run.code).toBe(0);
    const { txnId } = JSON.parse(run.stdout) as { txnId: string };
    const final = await service.pakka.drain().then(() => pakka(['status', txnId], { url: service.url }));
    expect(final.code).toBe(0);
    expect(final.stdout).toContain(`${txnId}  COMMITTED`);
    const again = await pakka(['--json', 'submit', '--idempotency-key', key, request], { url: service.url });
    expect(JSON.parse(again.stdout)).toMatchObject({ txnId, status: 'COMMITTED' });
  });
});

describe('reading', () => {
  it('status, inspect, item and list', async () => {
    const submitted = await pakka(['--json', 'submit', file('read.json', transfer(10))], { url: service.url });
    const { txnId } = JSON.parse(submitted.stdout) as { txnId: string };
    const [inspect, item, list, unknown, missingItem] = await Promise.all([
      pakka(['inspect', txnId], { url: service.url }),
      pakka(['item', 'payee-bank', bob], { url: service.url }),
      pakka(['--json', 'list', '--status', 'COMMITTED', '--limit', '100'], { url: service.url }),
      pakka(['status', uniqueId('nope')], { url: service.url }),
      pakka(['item', 'payee-bank', uniqueId('nobody')], { url: service.url }),
    ]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/coordinator log[\s\S]*decision\s+COMMIT/);
    expect(inspect.stdout).toMatch(/prepare \(begin to decision\)\s+\d+ ms/);
    expect(inspect.stdout).toMatch(new RegExp(`payer-bank\\s+${alice}\\s+-\\s+balance=\\d+`));
    expect(item).toMatchObject({ code: 0, stdout: `payee-bank ${bob}: balance 160\n` });
    expect((JSON.parse(list.stdout) as { transactions: Array<{ txnId: string }> }).transactions.map((t) => t.txnId)).toContain(txnId);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/404 TRANSACTION_NOT_FOUND/);
    expect(missingItem.code).toBe(2);
  });

  it('takes the URL from PAKKA_URL, and exits 2 with a hint when nothing answers', async () => {
    const viaEnv = await pakka(['participants'], { env: { PAKKA_URL: service.url } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toMatch(/wedding-band\s+booking\s+hold, release/);
    const nowhere = await pakka(['status', 'x'], { url: 'http://127.0.0.1:9' });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/cannot reach Pakka at http:\/\/127\.0\.0\.1:9.*npm start/);
  });

  it('exits 2 on a usage error', async () => {
    const run = await pakka(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('pakka demo', () => {
  it('runs a scenario, shows each transaction and a summary, exits 0', async () => {
    const run = await pakka(['demo', 'shop'], { url: service.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✔ order 1\s+txn-\S+\s+COMMITTED/);
    expect(run.stdout).toMatch(/✔ order 2 more than are left\s+txn-\S+\s+ABORTED \(OUT_OF_STOCK\)/);
    expect(run.stdout).toMatch(/shop\s+3\s+2\s+1\s+(\d+)\/\1\s+ok/);
  });

  it('refuses an unknown scenario', async () => {
    const run = await pakka(['demo', 'circus'], { url: service.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no scenario 'circus'; known: upi, wedding, shop, cinema/);
  });
});
