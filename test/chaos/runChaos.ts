/**
 * `npm run chaos`: the long chaos run, thousands of transactions under random faults, on a DynamoDB
 * Local it starts and stops itself. Environment: CHAOS_RUNS (scenarios, default 200), CHAOS_TXNS
 * (transactions per scenario, default 20), CHAOS_SEED (replay a printed seed), CHAOS_SHRINK=1 (shrink
 * a failing scenario; slow), CHAOS_FAST=1 (no answers past the timeout, so no real-second waits).
 */
import { intFromEnv, ownDynamoLocal } from './chaosCommand.js';
import { type ScenarioResult, checkChaos } from './chaosProperty.js';

const seed = intFromEnv('CHAOS_SEED', Date.now() % 2 ** 31);
const runs = intFromEnv('CHAOS_RUNS', 200);
const transactionsPerRun = intFromEnv('CHAOS_TXNS', 20);

const dynamo = await ownDynamoLocal();

console.log(`chaos: ${runs} scenarios of up to ${transactionsPerRun} concurrent transfers, CHAOS_SEED=${seed}`);
const totals = { transactions: 0, committed: 0, aborted: 0, faultsFired: 0, sweeps: 0 };
const abortReasons: Record<string, number> = {};
const started = Date.now();
let exitCode = 0;
try {
  await checkChaos({
    endpoint: dynamo.endpoint,
    seed,
    runs,
    transactionsPerRun,
    slowFaults: process.env.CHAOS_FAST !== '1',
    shrink: process.env.CHAOS_SHRINK === '1',
    onRun: (result: ScenarioResult, run: number) => {
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += result[key];
      for (const [reason, n] of Object.entries(result.abortReasons)) abortReasons[reason] = (abortReasons[reason] ?? 0) + n;
      if (run % 10 === 0 || result.problems.length) {
        console.log(
          `  scenario ${run}: ${totals.transactions} transactions so far (${totals.committed} committed, ${totals.aborted} aborted), ${totals.faultsFired} faults fired, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    },
  });
  console.log(`aborted because: ${JSON.stringify(abortReasons)}`);
  console.log(`chaos passed: ${JSON.stringify(totals)} in ${Math.round((Date.now() - started) / 1000)} s (CHAOS_SEED=${seed})`);
} catch (error) {
  exitCode = 1;
  console.error(error instanceof Error ? error.message : error);
  // fast-check keeps the property's own error (the broken invariants) as the cause.
  if (error instanceof Error && error.cause instanceof Error) console.error(`\n${error.cause.message}`);
  console.error(`\nchaos FAILED. Replay the same scenarios with: CHAOS_SEED=${seed} CHAOS_RUNS=${runs} CHAOS_TXNS=${transactionsPerRun} npm run chaos`);
} finally {
  await dynamo.stop();
}
process.exit(exitCode);
