/**
 * `npm start --dynamodb-endpoint URL` (or PAKKA_DYNAMODB_ENDPOINT) uses a DynamoDB the user already
 * runs: Pakka starts no DynamoDB Local of its own, serves transactions from the given one, and leaves it
 * running when it stops. A value that is not an http(s) URL is refused before anything starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoLocal, freePort, localDynamoClient, startDynamoLocal } from '../../local/dynamoLocal.js';
import { uniqueId } from '../support/pakka.js';
import { call } from '../support/service.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const children = new Set<ChildProcess>();
/** The user's own DynamoDB: started by the test, not by Pakka. */
let users: DynamoLocal;

beforeAll(async () => {
  users = await startDynamoLocal({ readyTimeoutMs: 60_000 });
}, 90_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await users?.stop();
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(TSX, ['local/start.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(started: ReturnType<typeof start>, pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = started.output().match(pattern);
    if (found) return found;
    if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode} before printing ${pattern}: ${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start with a DynamoDB the user runs', () => {
  it('serves transactions from it, starts no DynamoDB Local, and leaves it running on SIGINT', async () => {
    const port = await freePort();
    const started = start(['--dynamodb-endpoint', users.endpoint], { PORT: String(port) });
    await waitFor(started, /Pakka is running at/);
    expect(started.output()).toContain(`DynamoDB ${users.endpoint} (yours: not started or stopped by Pakka)`);
    expect(started.output()).not.toMatch(/DynamoDB Local .*\(pid \d+\)/);

    const account = uniqueId('alice');
    const body = { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: account, amount: 42 }] }] };
    expect((await call(`http://127.0.0.1:${port}`, 'POST', '/transactions?wait=true', body)).body).toMatchObject({ status: 'COMMITTED' });

    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    // The user's DynamoDB still answers, with Pakka's tables in it.
    const client = localDynamoClient(users.endpoint);
    try {
      const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
      expect(tables.length).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  }, 180_000);

  it('refuses a PAKKA_DYNAMODB_ENDPOINT that is not an http(s) URL, naming the variable, before starting anything', async () => {
    const started = start([], { PAKKA_DYNAMODB_ENDPOINT: 'localhost:8000', PORT: String(await freePort()) });
    expect(await started.exited).not.toBe(0);
    expect(started.output()).toMatch(/PAKKA_DYNAMODB_ENDPOINT\) must be an http or https URL/);
    expect(started.output()).not.toMatch(/DynamoDB Local/);
  }, 60_000);
});
