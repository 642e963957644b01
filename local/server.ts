/**
 * Pakka as one local service: DynamoDB Local (started here unless an endpoint is given), the tables
 * from the participant config, LocalPakka, and an HTTP server that hands every request to the same
 * API handler that API Gateway calls on AWS.
 */
import { type Server, createServer } from 'node:http';
import { resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ApiHandler, apiHandler } from '../lambdas/api/router.js';
import type { WaitOptions } from '../lambdas/api/transactionRoutes.js';
import type { TransactionService } from '../lambdas/api/transactionService.js';
import type { ParticipantConfig } from '../lambdas/config/participantConfig.js';
import { proxyEvent, readBody, sendResult } from './apiGateway.js';
import type { CoordinatorVariant } from '../lambdas/config/coordinatorVariant.js';
import { isConsolePath, serveConsole } from './consoleAssets.js';
import { type DataDirLock, acquireDataDirLock } from './dataDirLock.js';
import type { ConflictRules } from './conflictRules.js';
import { type DynamoLocal, localDynamoClient, startDynamoLocal } from './dynamoLocal.js';
import { loopbackRefusal } from './loopbackGuard.js';
import { LocalPakka, type LocalPakkaOptions } from './pakka.js';
import { localTransactionService } from './transactionService.js';
import type { RecoveryConfig } from '../lambdas/recovery/recoveryConfig.js';
import { recoveryConfigFromEnv } from '../lambdas/recovery/recoveryConfig.js';
import { LocalRecovery } from './recovery.js';

export const DEFAULT_PORT = 3000;
/** In the working directory (the repository for `npm start`), never inside an installed package. */
export const DEFAULT_DATA_DIR = resolve('.pakka', 'dynamodb');

/**
 * Work the service repeats on a timer while it runs, e.g. the recovery sweeper. Runs never overlap:
 * the next one is scheduled when the previous one ends; stop() waits for a run in progress.
 */
export interface BackgroundTask {
  name: string;
  intervalMs: number;
  run(context: { pakka: LocalPakka; service: TransactionService; dynamo: DynamoDBClient }): Promise<void>;
}

export interface LocalServiceOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** A throwaway database; otherwise the data stays in `dataDir` across restarts. */
  inMemory?: boolean;
  dataDir?: string;
  /** Use this DynamoDB Local instead of starting one (tests share one per run). */
  dynamoEndpoint?: string;
  /** AWS's transaction-conflict rules on the DynamoDB client (default: PAKKA_AWS_CONFLICT_RULES, on). */
  conflictRules?: ConflictRules;
  tablePrefix?: string;
  config?: ParticipantConfig;
  /** Passed to LocalPakka: millisecond retry waits, fault-injection seams. */
  pakka?: Pick<LocalPakkaOptions, 'fastRetriesMs' | 'wrapInvoker' | 'beforeTask' | 'ownParticipants' | 'variant'>;
  wait?: Partial<WaitOptions>;
  /**
   * The coordinator with the fault states and an API that honours the Pakka-Fault header, as a stack
   * deployed with pakka:faultInjection (lambdas/request/coordinatorFault.ts); off by default.
   */
  faultInjection?: boolean;
  backgroundTasks?: BackgroundTask[];
  /**
   * The recovery sweeper: its thresholds (default: PAKKA_RECOVERY_* or the defaults), whether it runs
   * on a timer (default yes), and its clock (tests move it past deadlines instead of waiting).
   */
  recovery?: { config?: Partial<RecoveryConfig>; timer?: boolean; now?: () => number };
  /** Where the console's build line goes (bundle size), when a request finds the bundle missing or stale. */
  consoleLog?: (line: string) => void;
  /** Where the service reports failures (500s, failed executions, failed background runs). */
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export interface LocalService {
  url: string;
  port: number;
  pakka: LocalPakka;
  service: TransactionService;
  handler: ApiHandler;
  /** The same sweeper the timer runs and POST /recovery/run calls. */
  recovery: LocalRecovery;
  dynamoEndpoint: string;
  /** PID of the DynamoDB Local this service started, if it started one. */
  dynamoPid: number | undefined;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: is Pakka (or something else) already running? Stop it, or choose another port with PORT=...`);
    this.name = 'PortInUseError';
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const defaultLog = (message: string, detail?: Record<string, unknown>) => console.error(JSON.stringify({ level: 'ERROR', message, ...detail }));

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const log = options.log ?? defaultLog;
  const host = options.host ?? '127.0.0.1';
  const consoleLog = options.consoleLog ?? ((line: string) => console.log(line));
  let handler: ApiHandler | undefined;
  let port = 0;
  let variant: CoordinatorVariant | undefined;
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request);
        const refused = loopbackRefusal(request, host, port, "this server's own pages");
        if (refused) {
          sendResult(response, refused);
          return;
        }
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        if (isConsolePath(path)) {
          await serveConsole(request.method ?? 'GET', path, response, consoleLog, variant);
          return;
        }
        if (!handler) {
          sendResult(response, {
            statusCode: 503,
            headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
            body: JSON.stringify({ error: { code: 'STARTING', message: 'Pakka is starting; try again in a moment', field: null } }),
          });
          return;
        }
        sendResult(response, await handler(proxyEvent(request, body)));
      } catch (error) {
        log('local server failed to answer', { error: error instanceof Error ? error.stack : String(error) });
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'the request failed on the server; it has been logged', field: null } }));
      }
    })();
  });
  // Claim the port before starting anything else, so a second start fails at once and leaves nothing behind.
  port = await listen(server, options.port ?? DEFAULT_PORT, host);
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  let dynamoLocal: DynamoLocal | undefined;
  let dynamo: DynamoDBClient | undefined;
  let lock: DataDirLock | undefined;
  try {
    if (!options.dynamoEndpoint) {
      if (options.inMemory) dynamoLocal = await startDynamoLocal({});
      else {
        const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
        // Before DynamoDB Local opens the files: a second one on them corrupts both.
        lock = await acquireDataDirLock(dataDir, { log: (message) => log(message) });
        dynamoLocal = await startDynamoLocal({ dbPath: dataDir });
        lock.update({ url: `http://localhost:${port}`, dynamoPid: dynamoLocal.pid });
      }
    }
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamoLocal?.endpoint ?? '';
    dynamo = localDynamoClient(dynamoEndpoint, undefined, options.conflictRules);
    const pakka = new LocalPakka({
      dynamo,
      ...(options.config ? { config: options.config } : {}),
      ...(options.tablePrefix !== undefined ? { tablePrefix: options.tablePrefix } : {}),
      ...options.pakka,
      ...(options.faultInjection ? { faultInjection: true } : {}),
    });
    await pakka.createTables();
    variant = pakka.variant;
    const service = localTransactionService(pakka, dynamo, {
      onExecutionFailed: (txnId, outcome) =>
        log('execution failed; the transaction is left to recovery', { txnId, error: outcome.error, cause: outcome.cause }),
    });
    const recovery = new LocalRecovery(pakka, {
      dynamo,
      config: { ...recoveryConfigFromEnv(), ...options.recovery?.config },
      ...(options.recovery?.now ? { now: options.recovery.now } : {}),
    });
    const ready = apiHandler(service, {
      logError: log,
      recovery: recovery.service(),
      observability: { metricsText: () => pakka.metrics.render(), recentEvents: (limit) => pakka.events.slice(-limit).reverse() },
      ...(options.wait ? { wait: options.wait } : {}),
      ...(options.faultInjection ? { faultInjection: true } : {}),
    });
    handler = ready;
    const sweeper: BackgroundTask = {
      name: 'recovery',
      intervalMs: recovery.config.sweepIntervalSeconds * 1000,
      run: async () => {
        const report = await recovery.sweep();
        for (const failure of report.errors) log('recovery failed for a transaction; the next sweep retries', failure);
      },
    };
    const background = runBackgroundTasks(
      [...(options.recovery?.timer === false ? [] : [sweeper]), ...(options.backgroundTasks ?? [])],
      { pakka, service, dynamo },
      log,
    );

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await closeServer();
        await background.stop();
        // Let running executions reach their end, but never hang shutdown on one.
        await Promise.race([pakka.drain(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        dynamo?.destroy();
        await dynamoLocal?.stop();
        lock?.release();
      })());
    return { url: `http://localhost:${port}`, port, pakka, service, handler: ready, recovery, dynamoEndpoint, dynamoPid: dynamoLocal?.pid, stop };
  } catch (error) {
    await closeServer();
    dynamo?.destroy();
    await dynamoLocal?.stop();
    lock?.release();
    throw error;
  }
}

function runBackgroundTasks(tasks: BackgroundTask[], context: Parameters<BackgroundTask['run']>[0], log: NonNullable<LocalServiceOptions['log']>) {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const schedule = (task: BackgroundTask) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = task
        .run(context)
        .catch((error: unknown) => log('background task failed', { task: task.name, error: error instanceof Error ? error.stack : String(error) }))
        .finally(() => {
          inFlight.delete(run);
          schedule(task);
        });
      inFlight.add(run);
    }, task.intervalMs);
    timers.add(timer);
  };
  for (const task of tasks) schedule(task);
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(inFlight);
    },
  };
}
