/**
 * `npm start`: Pakka on this machine. Starts DynamoDB Local (data kept in .pakka/dynamodb, or
 * --data-dir / PAKKA_DATA_DIR, unless --in-memory or PAKKA_IN_MEMORY=1), or uses the DynamoDB the user
 * already runs (--dynamodb-endpoint / PAKKA_DYNAMODB_ENDPOINT), creates the tables and
 * serves the HTTP API on PORT (3000), and the web console at /console. Refuses a data folder another
 * live Pakka holds.
 */
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { conflictRulesFromEnv } from './conflictRules.js';
import { ensureConsoleBuilt } from './consoleAssets.js';
import { faultsFromEnvironment } from './faults.js';
import { faultInjectionFromEnv } from '../lambdas/request/coordinatorFault.js';
import { type BackgroundTask, DEFAULT_DATA_DIR, DEFAULT_PORT, type LocalService, PortInUseError, startLocalService } from './server.js';

/** Work that runs on a timer inside the service while it is up: the place for the recovery sweeper. */
const backgroundTasks: BackgroundTask[] = [];

const USAGE = `usage: npm start [-- --in-memory] [-- --data-dir DIR] [-- --port N] [-- --dynamodb-endpoint URL] [-- --no-conflict-rules] [-- --fault-injection]
  --in-memory          throwaway database (also PAKKA_IN_MEMORY=1); by default data stays in .pakka/dynamodb
  --data-dir DIR       where the data stays (also PAKKA_DATA_DIR=DIR); one Pakka at a time per folder
  --port N             HTTP port (also PORT=N); default ${DEFAULT_PORT}
  --dynamodb-endpoint URL
                       use a DynamoDB you already run (DynamoDB Local in a container, LocalStack) instead of
                       starting one (also PAKKA_DYNAMODB_ENDPOINT=URL); its data stays where that DynamoDB keeps it
  --no-conflict-rules  DynamoDB Local as it is, without the model of AWS's transaction-conflict rules
                       (also PAKKA_AWS_CONFLICT_RULES=off)
  --fault-injection    let a request ask the coordinator to stop after prepare (header Pakka-Fault:
                       stopAfterPrepare), as pakka verify does to check recovery (also PAKKA_FAULT_INJECTION=on)`;

function options() {
  const { values } = parseArgs({
    options: {
      'in-memory': { type: 'boolean' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'no-conflict-rules': { type: 'boolean' },
      'dynamodb-endpoint': { type: 'string' },
      'fault-injection': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const portText = values.port ?? process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`port must be a number from 0 to 65535, not '${portText}'`);
  const inMemory = values['in-memory'] === true || ['1', 'true'].includes(process.env.PAKKA_IN_MEMORY ?? '');
  const dataDirText = values['data-dir'] ?? process.env.PAKKA_DATA_DIR;
  if (dataDirText === '') throw new Error('--data-dir must name a folder');
  const dataDir = dataDirText === undefined ? DEFAULT_DATA_DIR : resolve(dataDirText);
  const dynamoEndpoint = dynamoEndpointOption(values['dynamodb-endpoint'] ?? process.env.PAKKA_DYNAMODB_ENDPOINT);
  const conflictRules = { ...conflictRulesFromEnv(), ...(values['no-conflict-rules'] ? { enabled: false } : {}) };
  const faultInjection = values['fault-injection'] === true || faultInjectionFromEnv();
  return { port, inMemory, dataDir, dynamoEndpoint, conflictRules, faultInjection };
}

/** An http(s) URL with a host, or nothing (start DynamoDB Local); anything else is refused before anything starts. */
function dynamoEndpointOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) {
    throw new Error(`--dynamodb-endpoint (or PAKKA_DYNAMODB_ENDPOINT) must be an http or https URL such as http://localhost:8000, not '${text}'`);
  }
  return text;
}

function banner(service: LocalService, inMemory: boolean, dataDir: string): string {
  const participants = [...service.pakka.config.values()].map((p) => `${p.name} (${p.kind})`);
  const storage = inMemory ? 'in memory (gone when Pakka stops)' : `kept in ${relative(process.cwd(), dataDir) || dataDir}`;
  const database =
    service.dynamoPid === undefined
      ? `  DynamoDB ${service.dynamoEndpoint} (yours: not started or stopped by Pakka)`
      : `  DynamoDB Local ${service.dynamoEndpoint} (pid ${service.dynamoPid}), data ${storage}`;
  const example = JSON.stringify({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'alice', amount: 50000 }] }] });
  return [
    `Pakka is running at ${service.url} (pid ${process.pid})`,
    `  Console   ${service.url}/console`,
    database,
    `  participants: ${participants.join(', ')}`,
    `Try:`,
    `  curl -s -X POST '${service.url}/transactions?wait=true' -H 'Content-Type: application/json' \\`,
    `    -d '${example}'`,
    `Press Ctrl-C to stop.`,
  ].join('\n');
}

async function main(): Promise<void> {
  // The SDK's Node-version notice says nothing a user of the local service can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { port, inMemory, dataDir, dynamoEndpoint, conflictRules, faultInjection } = options();
  // The console's bundle builds (only when stale) while DynamoDB Local starts; a page opened before
  // it is ready waits for it. The API never waits for it.
  ensureConsoleBuilt((line) => console.log(line)).catch((error: unknown) =>
    console.error(`pakka: the web console could not be built (the API works without it): ${error instanceof Error ? error.message : String(error)}`),
  );
  let service: LocalService;
  try {
    // PAKKA_FAULTS: a demo of recovery, with injected faults (see local/faults.ts).
    const faults = faultsFromEnvironment();
    service = await startLocalService({
      port,
      inMemory,
      dataDir,
      backgroundTasks,
      conflictRules,
      faultInjection,
      ...(dynamoEndpoint ? { dynamoEndpoint } : {}),
      ...(faults ? { pakka: faults.seams() } : {}),
    });
    if (faults) {
      faults.attach(service.pakka);
      console.log(`FAULT INJECTION ON (PAKKA_FAULTS): ${faults.specs.map((s) => JSON.stringify(s)).join(' ')}`);
    }
    if (faultInjection) console.log('FAULT INJECTION ON (--fault-injection): a request with the header Pakka-Fault: stopAfterPrepare stops after prepare');
  } catch (error) {
    console.error(`pakka: ${error instanceof PortInUseError ? error.message : error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // Should this process die some other way, the Java process must not outlive it.
  process.on('exit', () => {
    if (service.dynamoPid !== undefined) {
      try {
        process.kill(service.dynamoPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // One Ctrl-C arrives more than once: the terminal signals the whole process group and npm forwards
    // what it got to its child. A repeat used to mean "stop now", which cut the stop short (no
    // "stopped.", the data folder's lock left behind); the stop is bounded anyway (drain 10 s, DynamoDB
    // Local SIGKILLed after 5 s), so a repeat changes nothing.
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Pakka and DynamoDB Local...`);
    service.stop().then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`pakka: stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  console.log(banner(service, inMemory, dataDir));
}

main().catch((error: unknown) => {
  console.error(`pakka: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
