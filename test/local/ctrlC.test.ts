/**
 * Ctrl-C of `npm start` as a terminal sends it: SIGINT to the whole foreground process group (npm, the
 * shell npm runs the script in, Node, DynamoDB Local's Java), while npm also forwards the signal it got
 * to its child. Several stops in a row on one data folder: each prints "stopped.", exits 0, leaves no
 * `pakka.lock` and no DynamoDB Local behind, and the next start finds the folder free.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, isAlive } from '../../local/dataDirLock.js';
import { freePort } from '../../local/dynamoLocal.js';
import { type Started, startPakkaProcess, until } from '../support/startProcess.js';

const STOPS = 4;
const groups = new Set<number>();
let scratch = '';
let participants = '';

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'pakka-ctrl-c-'));
  // One participant: a disk-backed DynamoDB Local creates tables slowly, and one table shows the point.
  participants = join(scratch, 'participants.json');
  writeFileSync(participants, JSON.stringify({ participants: { 'payer-bank': { kind: 'ledger' } } }));
});
afterAll(() => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** `npm start` in a process group of its own, as a shell runs a foreground job. */
function npmStart(port: number, dataDir: string): Started {
  const started = startPakkaProcess(
    ['--data-dir', dataDir, '--port', String(port)],
    { PAKKA_PARTICIPANTS: participants, npm_config_update_notifier: 'false' },
    { viaNpmStart: true },
  );
  if (started.child.pid) groups.add(started.child.pid);
  return started;
}

describe('Ctrl-C of npm start', () => {
  it(`stops cleanly every time: ${STOPS} stops in a row on one data folder`, async () => {
    const dataDir = join(scratch, 'data');
    for (let stop = 1; stop <= STOPS; stop++) {
      const started = npmStart(await freePort(), dataDir);
      const banner = await until(
        'the banner',
        () => {
          if (started.child.exitCode !== null) throw new Error(`exited ${started.child.exitCode}: ${started.output()}`);
          return /Press Ctrl-C to stop\./.test(started.output()) ? started.output() : undefined;
        },
        120_000,
      );
      const dynamoPid = Number(/DynamoDB Local \S+ \(pid (\d+)\)/.exec(banner)?.[1]);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);

      process.kill(-(started.child.pid ?? 0), 'SIGINT');
      const code = await started.exited;
      const signal = started.child.signalCode;
      expect(started.output(), `stop ${stop}`).toMatch(/SIGINT: stopping Pakka and DynamoDB Local\.\.\.\nstopped\.\n/);
      // npm itself, signalled with the group, ends by that SIGINT once its child has ended (as for any
      // script); the service's own exit is the "stopped." before it.
      expect({ code, signal }, `stop ${stop}: ${started.output()}`).toSatisfy(
        (exit: { code: number | null; signal: string | null }) => exit.code === 0 || exit.signal === 'SIGINT',
      );
      expect(existsSync(join(dataDir, LOCK_FILE)), `stop ${stop} left ${LOCK_FILE} behind`).toBe(false);
      await until(`DynamoDB Local ${dynamoPid} to be gone`, () => (isAlive(dynamoPid) ? undefined : true), 30_000);
    }
  }, 900_000);
});
