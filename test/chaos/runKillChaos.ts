/**
 * `npm run chaos:kill`: the long kill -9 chaos run (killCycles.ts) on a DynamoDB Local it starts and
 * stops itself. Environment: KILL_TXNS (transactions, one in eight a one-phase deposit or withdrawal, default 10,000),
 * KILL_BATCH (transactions per life of the service, default 400), KILL_IN_FLIGHT (default 16), KILL_ACCOUNTS (per bank, default 20), CHAOS_SEED
 * (replay a printed seed).
 */
import { intFromEnv, ownDynamoLocal } from './chaosCommand.js';
import { runKillCycles } from './killCycles.js';

const options = {
  seed: intFromEnv('CHAOS_SEED', Date.now() % 2 ** 31, 1),
  transactions: intFromEnv('KILL_TXNS', 10_000, 1),
  batch: intFromEnv('KILL_BATCH', 400, 1),
  concurrency: intFromEnv('KILL_IN_FLIGHT', 16, 1),
  accounts: intFromEnv('KILL_ACCOUNTS', 20, 1),
};
const dynamo = await ownDynamoLocal();
console.log(`chaos with kill -9: ${options.transactions} transactions, ${options.batch} per life of the service, CHAOS_SEED=${options.seed}`);
let exitCode = 0;
try {
  const result = await runKillCycles({ endpoint: dynamo.endpoint, ...options, log: (line) => console.log(line) });
  const { problems, ...totals } = result;
  if (problems.length) {
    exitCode = 1;
    console.error(`invariants broken:\n  ${problems.slice(0, 40).join('\n  ')}`);
    console.error(`\nReplay with: CHAOS_SEED=${options.seed} KILL_TXNS=${options.transactions} KILL_BATCH=${options.batch} npm run chaos:kill`);
  } else console.log(`chaos with kill -9 passed: ${JSON.stringify(totals)} (CHAOS_SEED=${options.seed})`);
} finally {
  await dynamo.stop();
}
process.exit(exitCode);
