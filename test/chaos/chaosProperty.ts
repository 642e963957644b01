/**
 * The chaos property: random UPI transfers over a few accounts of three ledgers (payer-bank,
 * payee-bank, upi-switch), run concurrently under random faults at random points (participant
 * crashes, transient failures, late answers, duplicates, a coordinator stopped at any Task state),
 * sometimes with sweepers running beside the coordinators; then recovery until quiet. Afterwards
 * I1-I5 must hold (LedgerWorld.invariantViolations). Used by test/chaos/chaos.test.ts (short) and
 * test/chaos/runChaos.ts (`npm run chaos`, long).
 */
import fc from 'fast-check';
import { COORDINATOR_TASK_STATES, type FaultSpec } from '../../local/faults.js';
import { type Account, LEDGERS, LedgerWorld, type Transfer, ledgerConfig } from './ledgerWorld.js';

const ACCOUNTS_PER_BANK = 10;
const FEE_ACCOUNTS = 10;
const BANKS = ['payer-bank', 'payee-bank'] as const;
const ACTIONS = ['prepare', 'commit', 'abort'] as const;

/** A fault of one transaction, before its txnId is known. */
type TransactionFault = FaultSpec extends infer F ? (F extends { txnId?: string } ? Omit<F, 'txnId'> : never) : never;

export interface ChaosTransaction {
  transfer: Transfer;
  faults: TransactionFault[];
  /** When it starts, after the workload begins: overlapping, but not all at the same instant. */
  startAfterMs: number;
  /** Sent under the previous transaction's txnId: a different request, which the claim must refuse and nothing must apply. */
  reusesTxnId: boolean;
}

export interface ChaosScenario {
  balances: Array<Account & { balance: number }>;
  transactions: ChaosTransaction[];
  /** Sweepers that run beside the coordinators; recovery never waits for a coordinator to stop, so each races the live ones. */
  sweepersDuring: number;
}

const account = (bank: (typeof BANKS)[number], i: number): Account => ({ participant: bank, key: `${bank === 'payer-bank' ? 'a' : 'b'}${i}` });

const participant = fc.constantFrom(...LEDGERS);
const action = fc.constantFrom(...ACTIONS);

/** Late answers cost real seconds (the prepare timeout is 1 s); `slowFaults` allows the ones past the timeout. */
function faultArb(slowFaults: boolean): fc.Arbitrary<TransactionFault> {
  const lateDelay = slowFaults ? fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1100, max: 1600 })) : fc.integer({ min: 0, max: 200 });
  return fc.oneof(
    fc.record({
      fault: fc.constant('crash' as const),
      participant,
      action,
      when: fc.constantFrom('beforeWrite' as const, 'afterWrite' as const),
      times: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({ fault: fc.constant('fail' as const), participant, action, times: fc.integer({ min: 1, max: 10 }) }),
    fc.record({
      fault: fc.constant('late' as const),
      participant,
      action,
      when: fc.constantFrom('beforeWrite' as const, 'afterWrite' as const),
      delayMs: lateDelay,
      times: fc.constant(1),
    }),
    fc.record({ fault: fc.constant('duplicate' as const), participant, action, delayMs: fc.integer({ min: 0, max: 300 }), times: fc.constant(1) }),
    fc.record({ fault: fc.constant('stopCoordinator' as const), at: fc.constantFrom(...COORDINATOR_TASK_STATES), occurrence: fc.integer({ min: 1, max: 3 }) }),
  );
}

/**
 * Account 0 of each ledger is hot: a third of the transfers touch it, so many hold reservations on it
 * at once, and it is sharded (HOT_SHARDS), so its debits split over shards and its credits spread.
 */
const HOT_SHARDS = 4;
export const CHAOS_SHARDED_KEYS = { 'payer-bank': { a0: HOT_SHARDS }, 'payee-bank': { b0: HOT_SHARDS }, 'upi-switch': { fees0: HOT_SHARDS } };
const accountIndex = (n: number) => fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: n - 1 }) });

/**
 * A transfer between two banks (two-phase), or, one time in four, between two accounts of one bank
 * without a fee: a single participant, so the one-phase commit.
 */
const transferArb: fc.Arbitrary<Transfer> = fc
  .record({
    fromBank: fc.constantFrom(...BANKS),
    from: accountIndex(ACCOUNTS_PER_BANK),
    to: accountIndex(ACCOUNTS_PER_BANK),
    amount: fc.integer({ min: 1, max: 1500 }),
    fee: fc.integer({ min: 0, max: 20 }),
    feeAccount: accountIndex(FEE_ACCOUNTS),
    withinBank: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  })
  .map(({ fromBank, from, to, amount, fee, feeAccount, withinBank }) =>
    withinBank
      ? // Another account of the same bank: a key appears once per participant.
        { from: account(fromBank, from), to: account(fromBank, (from + 1 + (to % (ACCOUNTS_PER_BANK - 1))) % ACCOUNTS_PER_BANK), amount, fee: 0 }
      : {
          from: account(fromBank, from),
          to: account(fromBank === 'payer-bank' ? 'payee-bank' : 'payer-bank', to),
          amount: amount + fee,
          fee,
          feeAccount: `fees${feeAccount}`,
        },
  );

export function chaosScenario(options: { transactions: number; slowFaults: boolean }): fc.Arbitrary<ChaosScenario> {
  const balances = fc.tuple(
    ...BANKS.flatMap((bank) =>
      Array.from({ length: ACCOUNTS_PER_BANK }, (_, i) => fc.integer({ min: 500, max: 6000 }).map((balance) => ({ ...account(bank, i), balance }))),
    ),
  );
  const transaction = fc.record({
    transfer: transferArb,
    startAfterMs: fc.integer({ min: 0, max: 1000 }),
    reusesTxnId: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    faults: fc.oneof(
      { weight: 1, arbitrary: fc.constant<TransactionFault[]>([]) },
      { weight: 2, arbitrary: fc.array(faultArb(options.slowFaults), { minLength: 1, maxLength: 2 }) },
    ),
  });
  return fc.record({
    balances: balances.map((list) => list.filter((a) => a.balance > 0)),
    transactions: fc.array(transaction, { minLength: Math.max(1, Math.floor(options.transactions / 2)), maxLength: options.transactions }),
    sweepersDuring: fc.integer({ min: 0, max: 3 }),
  });
}

export interface ScenarioResult {
  problems: string[];
  transactions: number;
  committed: number;
  aborted: number;
  faultsFired: number;
  sweeps: number;
  /** Why the aborted ones aborted (vote reason, TIMEOUT, ERROR, or who decided). */
  abortReasons: Record<string, number>;
}

/** Runs one scenario in its own tables and returns the invariant violations (none means it passed). */
export async function runScenario(endpoint: string, scenario: ChaosScenario, runId: string): Promise<ScenarioResult> {
  const faults: FaultSpec[] = scenario.transactions.flatMap((t, i) => t.faults.map((f) => ({ ...f, txnId: `${runId}-${i}` }) as FaultSpec));
  const world = await LedgerWorld.create({ endpoint, faults, fastRetriesMs: 20, config: ledgerConfig(1, 2, CHAOS_SHARDED_KEYS) });
  try {
    await world.fund(scenario.balances);
    let running = true;
    const sweeperLoop = async () => {
      const recovery = world.recovery();
      let sweeps = 0;
      while (running) {
        await recovery.sweep();
        sweeps++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return sweeps;
    };
    const sweepers = Array.from({ length: scenario.sweepersDuring }, sweeperLoop);
    await Promise.all(
      scenario.transactions.map(async (t, i) => {
        await new Promise((resolve) => setTimeout(resolve, t.startAfterMs));
        await world.submit(`${runId}-${t.reusesTxnId && i > 0 ? i - 1 : i}`, t.transfer);
      }),
    );
    await world.settle();
    running = false;
    const sweepsDuring = (await Promise.all(sweepers)).reduce((a, b) => a + b, 0);

    // Faults stop mattering once their deliveries are used up: recovery until a sweep finds nothing to do.
    const recovery = world.recovery();
    let reports = await recovery.sweepUntilQuiet(40);
    await world.injector.settled();
    reports = [...reports, ...(await recovery.sweepUntilQuiet(40))];
    const problems = await world.invariantViolations();
    const last = reports.at(-1);
    if (last && !last.quiet)
      problems.push(`I5 recovery never became quiet: ${JSON.stringify({ ...last, transactions: last.transactions.filter((t) => t.kind !== 'final') })}`);
    const log = await world.scanLog();
    const ours = log.filter((l) => l.txnId.startsWith(`${runId}-`));
    return {
      problems,
      transactions: scenario.transactions.length,
      committed: ours.filter((l) => l.status === 'COMMITTED').length,
      aborted: ours.filter((l) => l.status === 'ABORTED').length,
      faultsFired: world.injector.fired.length,
      sweeps: sweepsDuring + reports.length,
      abortReasons: ours
        .filter((l) => l.status === 'ABORTED')
        .reduce<Record<string, number>>((acc, l) => {
          const reason = l.decidedBy === 'recovery' ? 'RECOVERY' : (l.abortReason ?? 'UNKNOWN');
          acc[reason] = (acc[reason] ?? 0) + 1;
          return acc;
        }, {}),
    };
  } finally {
    await world.destroy();
  }
}

export interface ChaosOptions {
  endpoint: string;
  seed: number;
  runs: number;
  transactionsPerRun: number;
  slowFaults: boolean;
  /** Shrink a failing scenario to a smaller one (slow: each attempt reruns transactions). */
  shrink?: boolean;
  onRun?: (result: ScenarioResult, run: number) => void;
}

/** Runs the property; throws with the seed, the path and the failing scenario when an invariant breaks. */
export async function checkChaos(options: ChaosOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  let run = 0;
  const property = fc.asyncProperty(chaosScenario({ transactions: options.transactionsPerRun, slowFaults: options.slowFaults }), async (scenario) => {
    run++;
    const result = await runScenario(options.endpoint, scenario, `c${run}`);
    results.push(result);
    options.onRun?.(result, run);
    if (result.problems.length) throw new Error(`invariants broken:\n  ${result.problems.slice(0, 20).join('\n  ')}`);
  });
  await fc.assert(property, { seed: options.seed, numRuns: options.runs, endOnFailure: !options.shrink });
  return results;
}
