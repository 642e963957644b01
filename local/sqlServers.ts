/**
 * Real PostgreSQL and MariaDB servers for the SQL participant's tests and benchmark: each in a temporary folder, on a
 * free loopback port, started from Debian's packages and stopped (or killed with SIGKILL, to test a
 * crash) by PID. As root (CI), the server runs as the package's own system user, which owns the folder.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort } from './dynamoLocal.js';

export interface SqlServer {
  readonly port: number;
  /** SIGKILL, as a crash: prepared transactions must survive it. */
  kill(): Promise<void>;
  /** Starts the server again on the same folder and port. */
  restart(): Promise<void>;
  /** Stops it for good and removes its folder. */
  stop(): Promise<void>;
}

/** Where the tool is, or why the tests cannot run; under CI a missing server fails the run instead of skipping. */
export type Availability = { ok: true } | { ok: false; why: string };

const POSTGRES_ROOT = '/usr/lib/postgresql';
const postgresBin = (): string | undefined => {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const version = readdirSync(POSTGRES_ROOT).sort((a, b) => Number(b) - Number(a))[0];
  return version && existsSync(join(POSTGRES_ROOT, version, 'bin', 'initdb')) ? join(POSTGRES_ROOT, version, 'bin') : undefined;
};
const onPath = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export const postgresAvailable = (): Availability =>
  postgresBin() ? { ok: true } : { ok: false, why: "PostgreSQL's server is not installed (Debian package postgresql)" };
export const mariadbAvailable = (): Availability =>
  onPath('mariadbd') && onPath('mariadb-install-db') ? { ok: true } : { ok: false, why: "MariaDB's server is not installed (Debian package mariadb-server)" };

interface SystemUser {
  uid: number;
  gid: number;
}
/** As root, servers refuse to run (PostgreSQL) or should not (MariaDB): run them as the package's user. */
function systemUser(name: string): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`running as root, but there is no '${name}' system user to run the server as`);
  return { uid: Number(uid), gid: Number(gid) };
}

function folderFor(user: SystemUser | undefined, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Whether the server answers a query (listening is not enough: PostgreSQL refuses while it starts up). */
type Probe = (port: number) => Promise<boolean>;

async function untilReady(port: number, child: ChildProcess, probe: Probe, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}: ${log()}`);
    if (await probe(port)) return;
    if (Date.now() > deadline) throw new Error(`the server did not listen on ${port} within ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Until no process of the group is left (ESRCH), polling; the group was sent SIGKILL, so this is short. */
async function groupGone(group: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-group, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process group ${group} still has processes ${timeoutMs} ms after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));

/** One server process: how to start it, and its stop signal. */
function serverProcess(
  start: () => ChildProcess,
  probe: Probe,
  port: number,
  log: () => string,
  folder: string,
  stopSignal: NodeJS.Signals,
): Promise<SqlServer> {
  let child = start();
  const ready = untilReady(port, child, probe, log);
  const server: SqlServer = {
    port,
    async kill() {
      // The whole process group (PostgreSQL's backends too), as a crash of the machine would, and only
      // once every one of them is gone: a backend still exiting holds the shared memory a restart needs.
      const group = child.pid;
      if (group) process.kill(-group, 'SIGKILL');
      await exited(child);
      if (group) await groupGone(group);
    },
    async restart() {
      child = start();
      await untilReady(port, child, probe, log);
    },
    async stop() {
      child.kill(stopSignal);
      const forced = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(forced);
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return ready.then(
    () => server,
    async (error) => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      rmSync(folder, { recursive: true, force: true });
      throw error;
    },
  );
}

/** The PostgreSQL superuser the tests connect as (trust authentication, loopback only). */
export const POSTGRES_USER = 'pakka';

export async function startPostgres(settings: { maxPreparedTransactions?: number } = {}): Promise<SqlServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresAvailable().ok ? 'unreachable' : 'PostgreSQL is not installed');
  const user = systemUser('postgres');
  const folder = folderFor(user, 'pakka-pg-');
  const data = join(folder, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    stdio: 'pipe',
    ...(user ?? {}),
  });
  const port = await freePort();
  let output = '';
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    folder,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `max_prepared_transactions=${settings.maxPreparedTransactions ?? 50}`,
    '-c',
    'fsync=off',
  ];
  const start = () => {
    const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(user ?? {}) });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    return child;
  };
  const probe: Probe = async (at) => {
    const client = new pg.Client({ host: '127.0.0.1', port: at, user: POSTGRES_USER, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  // SIGINT is PostgreSQL's fast shutdown.
  return serverProcess(start, probe, port, () => output.slice(-2000), folder, 'SIGINT');
}

export async function startMariadb(): Promise<SqlServer> {
  const user = systemUser('mysql');
  const folder = folderFor(user, 'pakka-mariadb-');
  const data = join(folder, 'data');
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'pipe',
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  const port = await freePort();
  let output = '';
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${join(folder, 'sock')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    `--pid-file=${join(folder, 'pid')}`,
    '--innodb-flush-log-at-trx-commit=2',
  ];
  const start = () => {
    const child = spawn('mariadbd', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(user ?? {}) });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    return child;
  };
  const probe: Probe = async (at) => {
    try {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port: at, user: 'root' });
      await connection.query('SELECT 1');
      await connection.end();
      return true;
    } catch {
      return false;
    }
  };
  return serverProcess(start, probe, port, () => output.slice(-2000), folder, 'SIGTERM');
}
