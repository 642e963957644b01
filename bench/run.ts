/**
 * `npm run bench [-- --quick]`: starts its own in-memory DynamoDB Local, runs the benchmark, prints
 * the report and writes bench/results.json. DynamoDB Local is stopped by PID on every way out.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startDynamoLocal } from '../local/dynamoLocal.js';
import { loadPrices } from './costModel.js';
import { describeMachine, peakRssMb } from './machine.js';
import { renderReport } from './report.js';
import { renderSqlReport, runSqlBenchmark } from './sqlParticipant.js';
import { PROFILES, WORKLOADS, type Workload, runBenchmark, runWorkloads } from './suite.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The SQL participant's workloads (bench/sqlParticipant.ts): they start a PostgreSQL of their own. */
const SQL_WORKLOAD = 'sql';
const sqlTransactions = (quick: boolean) => (quick ? 10 : 60);

const program = new Command()
  .name('bench')
  .description('Measures what a Pakka commit costs, against DynamoDB TransactWriteItems on the same DynamoDB Local')
  .option('--quick', 'a short run (under a minute) with the same workloads and fewer transactions')
  .option('--out <file>', 'where to write the results as JSON', fileURLToPath(new URL('./results.json', import.meta.url)))
  .option(
    '--record-layout',
    'every benchmark bank keeps every hold in a record (`holdsInItems: false`), the layout one-item escrows had before holds lived in the item',
  )
  .option('--only <workloads>', `run only these workloads, comma-separated (${[...WORKLOADS, SQL_WORKLOAD].join(', ')}), and print their results as JSON`)
  .parse();
const flags = program.opts<{ quick?: boolean; out: string; only?: string; recordLayout?: boolean }>();
const only = flags.only?.split(',').map((w) => w.trim());
const unknownWorkload = only?.find((w) => w !== SQL_WORKLOAD && !(WORKLOADS as readonly string[]).includes(w));
if (unknownWorkload !== undefined) program.error(`--only: '${unknownWorkload}' is not a workload (${[...WORKLOADS, SQL_WORKLOAD].join(', ')})`);

const profile = flags.quick ? PROFILES.quick : PROFILES.full;
const prices = loadPrices();
const machine = describeMachine();
const log = (line: string) => process.stderr.write(`${line}\n`);

log(`starting DynamoDB Local (in memory) for the ${profile.name} profile...`);
const dynamo = await startDynamoLocal();
const stopOnSignal = (signal: NodeJS.Signals) => {
  process.kill(dynamo.pid, 'SIGKILL');
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

let exitCode = 0;
try {
  if (only) {
    const workloads = new Set(only.filter((w): w is Workload => w !== SQL_WORKLOAD));
    const results = workloads.size
      ? await runWorkloads({ endpoint: dynamo.endpoint, tablePrefix: 'bench-', profile, prices, log, recordLayout: flags.recordLayout ?? false }, workloads)
      : {};
    const sql = only.includes(SQL_WORKLOAD)
      ? await runSqlBenchmark({ endpoint: dynamo.endpoint, transactions: sqlTransactions(profile.name === 'quick'), log })
      : undefined;
    machine.loadAverage.end = os.loadavg()[0] ?? 0;
    if (sql) process.stderr.write(`${renderSqlReport(sql)}\n`);
    const text = `${JSON.stringify({ machine, ...results, ...(sql ? { sql } : {}) }, null, 2)}\n`;
    process.stdout.write(text);
    writeFileSync(flags.out, text);
    log(`results written to ${flags.out}`);
  } else {
    const results = await runBenchmark({ endpoint: dynamo.endpoint, tablePrefix: 'bench-', profile, prices, log, recordLayout: flags.recordLayout ?? false });
    const sql = await runSqlBenchmark({ endpoint: dynamo.endpoint, transactions: sqlTransactions(profile.name === 'quick'), log });
    machine.loadAverage.end = os.loadavg()[0] ?? 0;
    const dynamoLocalPeakRssMb = peakRssMb(dynamo.pid);
    const header = [
      `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; load average ${machine.loadAverage.start.toFixed(2)} at start, ${machine.loadAverage.end.toFixed(2)} at end.`,
      `DynamoDB Local peak RSS: ${dynamoLocalPeakRssMb === null ? 'unknown' : `${dynamoLocalPeakRssMb.toFixed(0)} MB`}.`,
    ];
    process.stdout.write(`${renderReport(results, header)}\n\n${renderSqlReport(sql)}\n`);
    writeFileSync(flags.out, `${JSON.stringify({ machine, dynamoLocalPeakRssMb, ...results, sql }, null, 2)}\n`);
    log(`results written to ${flags.out}`);
  }
} catch (error) {
  exitCode = 1;
  log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await dynamo.stop();
}
process.exit(exitCode);
