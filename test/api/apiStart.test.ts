/**
 * `npm start`'s entry as a user runs it: a child process that starts its own DynamoDB Local, serves
 * the API, refuses a busy port and stops cleanly on Ctrl-C (SIGINT). And a restart keeps the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../local/dynamoLocal.js';
import { startLocalService } from '../../local/server.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { uniqueId } from '../support/pakka.js';
import { call } from '../support/service.js';
import { useShortLivedDynamoLocalEnv } from '../support/shortLivedDynamoLocal.js';
import { type Started, startPakkaProcess, waitForOutput } from '../support/startProcess.js';

const spawned = new Set<number>();

// The restart test starts its DynamoDB Locals in this process.
beforeAll(() => useShortLivedDynamoLocalEnv());
afterAll(() => {
  vi.unstubAllEnvs();
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function start(port: number): Started {
  const started = startPakkaProcess(['--in-memory'], { PORT: String(port) });
  if (started.child.pid) spawned.add(started.child.pid);
  return started;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('serves the API, refuses a second start on the same port, and stops itself and DynamoDB Local on SIGINT', async () => {
    const port = await freePort();
    const first = start(port);
    const [, url] = await waitForOutput(first, /Pakka is running at (http:\/\/localhost:\d+)/);
    expect(url).toBe(`http://localhost:${port}`);
    const dynamoPid = Number((await waitForOutput(first, /DynamoDB Local \S+ \(pid (\d+)\)/))[1]);
    spawned.add(dynamoPid);
    expect(alive(dynamoPid)).toBe(true);
    expect(first.output()).toMatch(/participants: payer-bank \(ledger\), .*wedding-band \(booking\)/);
    expect(first.output()).toMatch(/curl -s -X POST/);

    expect(await call(`http://127.0.0.1:${port}`, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });

    const second = start(port);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(new RegExp(`port ${port} is already in use`));
    expect(second.output()).not.toMatch(/DynamoDB Local http/);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/stopped\./);
    // The Java process is gone too (not left behind for the next start).
    for (let i = 0; i < 100 && alive(dynamoPid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(dynamoPid)).toBe(false);
  });

  it('keeps the data across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pakka-data-'));
    const account = uniqueId('alice');
    // One participant: a disk-backed DynamoDB Local creates tables slowly, and one table shows the point.
    const config = parseParticipantConfig({
      defaults: { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 },
      participants: { 'payer-bank': { kind: 'ledger' } },
    });
    const body = { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: account, amount: 42 }] }] };
    try {
      const first = await startLocalService({ port: 0, dataDir, config });
      try {
        expect((await call(first.url, 'POST', '/transactions?wait=true', body)).body).toMatchObject({ status: 'COMMITTED' });
      } finally {
        await first.stop();
      }
      expect(first.dynamoPid !== undefined && alive(first.dynamoPid)).toBe(false);
      const again = await startLocalService({ port: 0, dataDir, config });
      try {
        expect(await call(again.url, 'GET', `/participants/payer-bank/items/${account}`)).toMatchObject({ status: 200, body: { balance: 42 } });
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
