/**
 * `npm start --dynamodb-endpoint URL` (or PAKKA_DYNAMODB_ENDPOINT) uses a DynamoDB the user already
 * runs: Pakka starts no DynamoDB Local of its own, serves transactions from the given one, and leaves it
 * running when it stops. A value that is not an http(s) URL is refused before anything starts.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DynamoLocal, freePort, localDynamoClient, startDynamoLocal } from '../../local/dynamoLocal.js';
import { uniqueId } from '../support/pakka.js';
import { call } from '../support/service.js';
import { useShortLivedDynamoLocalEnv } from '../support/shortLivedDynamoLocal.js';
import { type Started, startPakkaProcess, waitForOutput } from '../support/startProcess.js';

const started: Started[] = [];
const start = (args: string[], env: Record<string, string>) => {
  const one = startPakkaProcess(args, env);
  started.push(one);
  return one;
};
/** The user's own DynamoDB: started by the test, not by Pakka. */
let users: DynamoLocal;

beforeAll(async () => {
  useShortLivedDynamoLocalEnv();
  users = await startDynamoLocal({ readyTimeoutMs: 60_000 });
}, 90_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  for (const one of started) one.child.kill('SIGKILL');
  await users?.stop();
});

describe('npm start with a DynamoDB the user runs', () => {
  it('serves transactions from it, starts no DynamoDB Local, and leaves it running on SIGINT', async () => {
    const port = await freePort();
    const pakka = start(['--dynamodb-endpoint', users.endpoint], { PORT: String(port) });
    await waitForOutput(pakka, /Pakka is running at/, 90_000);
    expect(pakka.output()).toContain(`DynamoDB ${users.endpoint} (yours: not started or stopped by Pakka)`);
    expect(pakka.output()).not.toMatch(/DynamoDB Local .*\(pid \d+\)/);

    const account = uniqueId('alice');
    const body = { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: account, amount: 42 }] }] };
    expect((await call(`http://127.0.0.1:${port}`, 'POST', '/transactions?wait=true', body)).body).toMatchObject({ status: 'COMMITTED' });

    pakka.child.kill('SIGINT');
    expect(await pakka.exited).toBe(0);
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
    const refused = start([], { PAKKA_DYNAMODB_ENDPOINT: 'localhost:8000', PORT: String(await freePort()) });
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toMatch(/PAKKA_DYNAMODB_ENDPOINT\) must be an http or https URL/);
    expect(refused.output()).not.toMatch(/DynamoDB Local/);
  }, 60_000);
});
