/**
 * One life of the service in the kill-cycle chaos run (killCycles.ts): a process that runs the coordinator
 * and the participants over tables the run created, submits the payments (transfers, deposits, withdrawals) it reads from stdin (one JSON
 * line each), and is killed with SIGKILL at a moment the run chooses. Everything the invariant check needs
 * from it (each participant answer, each decision write) is appended to its journal synchronously, as it
 * happens, so the page cache keeps it when the process dies; stdout says `done <txnId>` per finished submit
 * and `failed <txnId>` per submit that failed as the API's 5xx would (its client sends it again).
 *
 * Run with `node --import tsx` (one process: a SIGKILL must stop the coordinator itself, not a launcher).
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type JournalEntry, LedgerWorld, type Payment } from './ledgerWorld.js';
import { killCyclesConfig } from './killCyclesConfig.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};
const journalPath = need('KILL_JOURNAL');
const concurrency = Number(need('KILL_CONCURRENCY'));
const journal = (entry: JournalEntry) => appendFileSync(journalPath, `${JSON.stringify(entry)}\n`);

const world = LedgerWorld.attach({ endpoint: need('KILL_ENDPOINT'), tablePrefix: need('KILL_PREFIX'), config: killCyclesConfig(), fastRetriesMs: 20, journal });

/** One line of the input: what the run's client submits. */
type Submitted = { txnId: string; payment: Payment; timeoutSeconds: number };

const queue: Submitted[] = [];
let inputEnded = false;
/** The lanes waiting for input: each line or the end of the input wakes them all. */
let waiting: Array<() => void> = [];
const wakeAll = () => {
  const woken = waiting;
  waiting = [];
  for (const wake of woken) wake();
};
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim()) queue.push(JSON.parse(line) as Submitted);
  wakeAll();
});
lines.on('close', () => {
  inputEnded = true;
  wakeAll();
});

async function next(): Promise<Submitted | undefined> {
  for (;;) {
    const item = queue.shift();
    if (item || inputEnded) return item;
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
}

async function lane(): Promise<void> {
  for (let item = await next(); item; item = await next()) {
    try {
      const outcome = await world.submit(item.txnId, item.payment, item.timeoutSeconds);
      process.stdout.write(`done ${item.txnId} ${outcome}\n`);
    } catch (error) {
      // What the API answers 5xx for (a DynamoDB call that timed out, say): the client will send it again.
      process.stdout.write(`failed ${item.txnId} ${error instanceof Error ? error.name : 'error'}\n`);
    }
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: concurrency }, lane));
await world.settle();
world.dynamo.destroy();
process.exit(0);
