/**
 * The benchmark itself: transactions through the real local coordinator (the ASL file on the local
 * engine, the real participant handlers, DynamoDB Local) next to the same writes done as one
 * DynamoDB transaction, with every request counted and timed. `npm run bench` and the test both
 * run this; only the profile differs.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { retryingConflicts } from '../lambdas/participants/conflictRetry.js';
import { COORDINATOR_LOG_SCHEMA, PARTICIPANT_TABLE_SCHEMA } from '../lambdas/tableSchemas.js';
import type { ConflictCounts } from '../local/transactionConflicts.js';
import { itemsInFlight } from '../local/conflictRules.js';
import { localDynamoClient } from '../local/dynamoLocal.js';
import { LocalPakka } from '../local/pakka.js';
import { LocalRecovery } from '../local/recovery.js';
import { FORGET_FROM_HELD, HELD_IDLE_MS, INTENT_CAP, INTENT_HORIZON_MS, RECORD_AGE_TO_FORGET_MS } from '../lambdas/protocol/heldIntent.js';
import { executionInput } from '../lambdas/request/executionInput.js';
import { localTableNames } from '../local/tables.js';
import { CoordinatorTasks } from './coordinatorTasks.js';
import { type BreakdownRow, awsUnitsBreakdown, renderBreakdown } from './awsUnitsBreakdown.js';
import { type CostPerMillion, type Prices, type WorkPerCommit, dynamoOnlyCost, expressCost, standardCost } from './costModel.js';
import { type LoadShape, driveLoad, seededRandom, settleWithin } from './drive.js';
import {
  FEE_PARTICIPANT,
  type FeeAccountResult,
  type FeeAccountRun,
  type FeeAccountShape,
  SHARED_FEE_ACCOUNT,
  feeAccountRun,
  upiTransferWrites,
} from './feeAccounts.js';
import {
  type ItemSample,
  type ItemSampleSummary,
  type ItemSizeSummary,
  businessItemBilledSizes,
  itemSampleOf,
  itemSampleSummary,
  itemSizeSummary,
  sampleItem,
} from './hotItemSize.js';
import { auditAccounts, openTransactions } from './ledgerAudit.js';
import { type Outcome, type TxnMeasurement, measure } from './measurement.js';
import { Recorder } from './recorder.js';
import { type StateHistory, readStateHistory } from './stateHistory.js';
import { type CellResult, type Spread, type System, type WorkSummary, cellResult, spread, workSummary } from './summary.js';
import { type LatencySummary, summarize } from './timeline.js';
import {
  type LedgerWrite,
  OPENING_BALANCE,
  bankName,
  baselineSingleUpdate,
  itemKey,
  baselineTransaction,
  benchParticipantConfig,
  openAccount,
  pakkaRequest,
  transferWrites,
} from './workload.js';

export interface CellProfile {
  seconds: number;
  minTransactions: number;
  /** Run first and thrown away: JIT, connection pools, DynamoDB Local's own warm-up. */
  warmupTransactions: number;
}

export interface BenchProfile {
  name: string;
  participantCounts: number[];
  concurrencies: number[];
  pakkaCell: CellProfile;
  baselineCell: CellProfile;
  /** Transactions per N that abort on purpose (the first bank's payer has no account: INSUFFICIENT_FUNDS). */
  abortTransactions: number;
  abortParticipantCounts: number[];
  contention: { accounts: number; inFlight: number; seconds: number; minTransactions: number };
  /** The UPI flow with one shared fee account, and with one per transfer (feeAccounts.ts). */
  feeAccounts: FeeAccountShape;
  /** The participant counts the AWS cost model is worked out for (each needs its concurrency-1 cell). */
  costParticipantCounts: number[];
  /** A transaction not finished within this long counts as stuck (the no-deadlock check). */
  boundMs: number;
  /** Committed transactions per N (Pakka, and the one-TransactWriteItems baseline) whose write units are counted by AWS's rules. */
  awsUnitsTransactions: number;
  /** The units bench's steady hot shape, at one N (null: not run). */
  steadyHot: SteadyHotShape | null;
  /** The units bench's steady hot one-phase shape, at N = 1 (null: not run). */
  steadyHotOnePhase: SteadyHotOnePhaseShape | null;
}

/**
 * Transfers on one pair of accounts of their own at one in flight, first for INTENT_HORIZON_MS plus
 * STEADY_MARGIN_MS uncounted (so every item carries a horizon's worth of finished entries, the oldest being
 * forgotten as new ones come), then counted for `seconds` and at least `minTransactions`.
 */
export interface SteadyHotShape {
  participants: number;
  seconds: number;
  minTransactions: number;
}

/**
 * One-phase commits (N = 1: one participant, so the coordinator sends commitOnePhase) that all debit one account
 * item, at each number in `inFlight` in turn, each on an item of its own. A one-phase commit claimed first leaves a `C`
 * entry until its record is final and its process writes the item again (docs/design.md, "Claim first"); an entry
 * of the version before stayed until its record was RECORD_AGE_TO_FORGET_MS old, so each run still goes
 * RECORD_AGE_TO_FORGET_MS plus STEADY_MARGIN_MS uncounted before `seconds` (and `minTransactions`) counted, which shows
 * whether anything is left to grow with the rate.
 */
export interface SteadyHotOnePhaseShape {
  inFlight: number[];
  seconds: number;
  minTransactions: number;
}

/**
 * Past the age after which a finished entry may go (the horizon; a one-phase entry's record age), how long a steady
 * run waits before counting: forgetting trails it by a write or two (in passing, or the pass that reads records).
 */
export const STEADY_MARGIN_MS = 2_000;

/** How long a steady one-phase run goes uncounted. */
export const ONE_PHASE_WARMUP_MS = RECORD_AGE_TO_FORGET_MS + STEADY_MARGIN_MS;

/** The steady hot one-phase shape as the log and the report describe it. */
export const STEADY_ONE_PHASE_SHAPE = `Steady hot one-phase, N=1: one-phase commits (one participant, so the coordinator sends commitOnePhase) that all debit one account item, txnIds of the length the API generates (40 characters), one run per number in flight on an item of its own, ${ONE_PHASE_WARMUP_MS / 1000} s uncounted and then counted. A one-phase commit claims its record first, so its C entry goes with the next write its process sends to the item once the record is final (the others by a pass that reads their records, on an item of ${FORGET_FROM_HELD} entries or more, whose write is among the commitOnePhase item writes below): the item carries about one entry per commit in flight, where it carried ${RECORD_AGE_TO_FORGET_MS / 1000} s of its commits before claim first; it holds at most ${INTENT_CAP} entries, and a commit that finds it full is refused with LOCK_CONFLICT (retried once after 1 s, then aborted).`;

export const PROFILES: Record<'full' | 'quick', BenchProfile> = {
  full: {
    name: 'full',
    participantCounts: [1, 2, 4, 8, 16],
    concurrencies: [1, 16],
    pakkaCell: { seconds: 6, minTransactions: 20, warmupTransactions: 5 },
    baselineCell: { seconds: 3, minTransactions: 50, warmupTransactions: 16 },
    abortTransactions: 20,
    abortParticipantCounts: [2, 4],
    contention: { accounts: 10, inFlight: 16, seconds: 20, minTransactions: 32 },
    feeAccounts: { inFlight: 16, transfers: 120 },
    costParticipantCounts: [1, 2, 4, 8],
    boundMs: 30_000,
    awsUnitsTransactions: 10,
    steadyHot: { participants: 4, seconds: 10, minTransactions: 20 },
    // Two runs of 22 s uncounted and 5 s counted: about 55 s, so only in the full profile.
    steadyHotOnePhase: { inFlight: [1, 4], seconds: 5, minTransactions: 10 },
  },
  quick: {
    name: 'quick',
    participantCounts: [1, 2, 4, 8, 16],
    concurrencies: [1, 16],
    pakkaCell: { seconds: 1, minTransactions: 5, warmupTransactions: 2 },
    baselineCell: { seconds: 0.5, minTransactions: 10, warmupTransactions: 3 },
    abortTransactions: 5,
    abortParticipantCounts: [2, 4],
    contention: { accounts: 10, inFlight: 16, seconds: 4, minTransactions: 16 },
    feeAccounts: { inFlight: 16, transfers: 48 },
    costParticipantCounts: [1, 2, 4, 8],
    boundMs: 30_000,
    awsUnitsTransactions: 3,
    // 12 s uncounted and 3 s counted: the one shape of the quick profile that has to outlast the horizon.
    steadyHot: { participants: 4, seconds: 3, minTransactions: 5 },
    // 22 s uncounted a run: too long for the quick profile (and the test that runs it).
    steadyHotOnePhase: null,
  },
};

/** How often a run that watches a hot item (the shared fee account's, a steady run's payer's) reads it. */
const ITEM_SAMPLE_MS = 100;

/** The workloads `npm run bench -- --only` can run alone. */
export const WORKLOADS = ['contention', 'fees', 'units'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Write units per committed transaction at N participants, counted by AWS's rules and as DynamoDB Local reports them. */
export interface AwsUnitsResult {
  participants: number;
  transactions: number;
  awsWriteUnits: number;
  dynamoDbLocalWriteUnits: number;
  baselineAwsWriteUnits: number;
  baselineDynamoDbLocalWriteUnits: number;
  /** Pakka's units by sender, request and kind of item written, per committed transaction. */
  breakdown: BreakdownRow[];
  /** Hot (the same accounts every transfer): the sweep's tidy of heldItems after the run, per committed transaction. */
  tidy: TidyUnits;
  /** Spread (new accounts every transfer: a funded payer and a new payee per bank each), counted the same way. */
  spreadAccounts: { transactions: number; awsWriteUnits: number; breakdown: BreakdownRow[]; tidy: TidyUnits };
  /** Steady hot (SteadyHotShape), at the profile's one N; null at the others. */
  steadyHot: SteadyHotUnits | null;
  /** Steady hot one-phase (SteadyHotOnePhaseShape), one run per number in flight, at N = 1; null at the others. */
  steadyHotOnePhase: SteadyHotUnits[] | null;
}

/** A steady hot run's units per committed transfer, and the sizes its writes to business items were billed on. */
export interface SteadyHotUnits {
  inFlight: number;
  /** Uncounted time before the first counted transfer: INTENT_HORIZON_MS plus STEADY_MARGIN_MS, or ONE_PHASE_WARMUP_MS. */
  warmupMs: number;
  /** Counted transfers, and the committed ones among them (the figures below are theirs). */
  transfers: number;
  transactions: number;
  /** Counted transfers per second. */
  transfersPerSecond: number;
  /**
   * Transfers per second while uncounted: the entries an item carries when the count starts are those of the
   * time just before it (a one-phase run's, of its last RECORD_AGE_TO_FORGET_MS), so they follow this rate, which
   * may be faster than the counted one when the item's growth slows the run.
   */
  warmupTransfersPerSecond: number;
  awsWriteUnits: number;
  breakdown: BreakdownRow[];
  /** Every counted write to a business item, at the size it was billed on. */
  items: ItemSizeSummary;
  /** The payer's item, read beside the counted transfers (outside the count): its size and its entries. */
  payerItem: ItemSampleSummary;
  /** Counted transfers refused with LOCK_CONFLICT that went through WaitForLock (the 1 s wait and one more try). */
  waitedForLock: number;
  /** Counted transfers that did not commit, by reason (UNFINISHED: not finished within the bound). */
  abortReasons: Record<string, number>;
}

/**
 * What recovery's sweep writes to take idle items out of heldItems (lambdas/recovery/heldItemsTidy.ts), run
 * once after a units run with its clock past the idle window, counted by AWS's rules and amortized over the
 * run's committed transactions.
 */
export interface TidyUnits {
  writes: number;
  tableUnits: number;
  indexUnits: number;
}

export interface BenchOptions {
  endpoint: string;
  tablePrefix: string;
  profile: BenchProfile;
  prices: Prices;
  log?: (line: string) => void;
  /** Measure with every hold in a record (`--record-layout`) instead of one-item escrows holding in their item. */
  recordLayout?: boolean;
}

export interface Comparison {
  participants: number;
  concurrency: number;
  baseline: System;
  /** Pakka / baseline: above 1 means Pakka is slower (latency) or, for throughput, faster. */
  latencyP50Ratio: number;
  latencyP99Ratio: number;
  throughputRatio: number;
}

export interface AbortResult {
  participants: number;
  transactions: number;
  aborted: number;
  reasons: Record<string, number>;
  latencyMs: LatencySummary;
  work: WorkSummary | null;
}

export interface ContentionResult {
  accounts: number;
  inFlight: number;
  transactions: number;
  committed: number;
  aborted: number;
  unfinished: number;
  abortRate: number;
  abortReasons: Record<string, number>;
  committedPerSecond: number;
  /** Every finished transaction, committed or aborted. */
  latencyMs: LatencySummary;
  committedLatencyMs: LatencySummary;
  /** Transactions that met a held lock and went through WaitForLock (1 s) before their second prepare. */
  waitedForLock: number;
  /** Finished transactions that waited for a lock, and those that did not: the cost of the 1 s wait. */
  waitedLatencyMs: LatencySummary;
  notWaitedLatencyMs: LatencySummary;
  boundMs: number;
  deadlockFree: boolean;
  invariants: { balanceBefore: number; balanceAfter: number; conserved: boolean; locksLeft: number; openTransactions: number };
  committedWork: WorkSummary | null;
  abortedWork: WorkSummary | null;
}

export interface CostResult {
  participants: number;
  /** `writeUnits` is by AWS's rules (awsUnits); DynamoDB Local's own figure is kept beside it. */
  perCommit: WorkPerCommit;
  dynamoDbLocalWriteUnits: number;
  standard: CostPerMillion;
  express: CostPerMillion;
  /** The same writes as one TransactWriteItems: DynamoDB only. */
  baselineDynamo: number;
}

export interface Targets {
  writesPerCommit: Array<{ participants: number; measured: Spread; documented: number; protocolMinimum: number; target: number; met: boolean }>;
  roundTripsToOutcome: { max: number; floor: 2; target: 2; met: boolean };
  roundTripsToCompletion: { max: number; floor: 3; target: 3; met: boolean };
  /** share: the engine and adapters alone; startShare: the part of it in the synchronous start call. */
  coordinatorOverhead: { participants: 4; concurrency: 1; share: number; startShare: number; target: 0.25; met: boolean } | null;
  contention: { deadlockFree: boolean; p99Ms: number; maxMs: number; boundMs: number; met: boolean };
}

export interface BenchResults {
  profile: string;
  startedAt: string;
  durationMs: number;
  cells: CellResult[];
  comparisons: Comparison[];
  aborts: AbortResult[];
  contention: ContentionResult;
  feeAccounts: FeeAccountResult;
  costs: CostResult[];
  awsUnits: AwsUnitsResult[];
  /** Conflicts the model of AWS's rules raised during the run (none when it was off). */
  conflicts: (ConflictCounts & { marginMs: number }) | null;
  targets: Targets;
  memory: { benchmarkPeakRssMb: number };
  /** Requests made outside any measured transaction (setup and read-back); never counted. */
  uncountedRequests: number;
  prices: { checked: string; region: string; lambdaMemoryMb: number; lambdaMemoryIsAssumed: boolean };
}

/**
 * Write requests on Pakka's commit path, as measured and documented in BENCHMARKS.md: the API's claim
 * of the txnId, then the protocol's writes; a single participant commits in one phase (its write,
 * then the receipt).
 */
export const PAKKA_COMMIT_WRITES = (n: number) => (n === 1 ? 3 : 2 * n + 2);
/**
 * The protocol's minimum with presumed abort: N prepare writes, 1 decision write, N commit writes;
 * for one participant, the one-phase commit's single write.
 */
export const PROTOCOL_MINIMUM_COMMIT_WRITES = (n: number) => (n === 1 ? 1 : 2 * n + 1);

/** One steady run (steadyUnits): its load, its accounts and how it names its transactions. */
interface SteadyRun {
  n: number;
  inFlight: number;
  warmupMs: number;
  load: { seconds: number; minTransactions: number };
  payer: string;
  payee: string;
  txnId: (phase: string, seq: number) => string;
}

interface Pending {
  txnId: string;
  participants: number;
  start: number;
  started: number;
  end: number;
  outcome: Outcome;
  abortReason: string | null;
  history: Promise<StateHistory> | null;
}

class Bench {
  readonly recorder: Recorder;
  readonly pakka: LocalPakka;
  readonly dynamo;
  /** Reads outside the count: item images for AWS's units, and the fee account's item as the fee run goes. */
  private readonly reader;
  private readonly log: (line: string) => void;

  constructor(private readonly options: BenchOptions) {
    const config = benchParticipantConfig(options.recordLayout);
    const tables = localTableNames(config, options.tablePrefix);
    // Reads for counting units by AWS's rules go through their own client: never counted, never a conflict.
    const reader = localDynamoClient(options.endpoint, undefined, { enabled: false, marginMs: 0 });
    this.reader = reader;
    const participantTables = new Set(tables.participants.values());
    this.recorder = new Recorder(new CoordinatorTasks({ CoordinatorLogTable: tables.coordinatorLog }), {
      schemaOf: (table) => (table === tables.coordinatorLog ? COORDINATOR_LOG_SCHEMA : participantTables.has(table) ? PARTICIPANT_TABLE_SCHEMA : undefined),
      read: async (table, key) => (await reader.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item,
    });
    this.dynamo = this.recorder.instrument(localDynamoClient(options.endpoint));
    // Real ASL timings: no fastRetriesMs. The only hook is the invoker wrapper that times participants.
    this.pakka = new LocalPakka({ dynamo: this.dynamo, config, tablePrefix: options.tablePrefix, wrapInvoker: this.recorder.wrapInvoker });
    this.log = options.log ?? (() => undefined);
  }

  private table(participant: string): string {
    const table = this.pakka.tables.participants.get(participant);
    if (!table) throw new Error(`no table for ${participant}`);
    return table;
  }

  /** A business item's size by AWS's rules and its entries, read consistently outside the count; undefined when it does not exist. */
  private async itemSample(participant: string, key: string): Promise<ItemSample | undefined> {
    const out = await this.reader.send(new GetItemCommand({ TableName: this.table(participant), Key: itemKey(key), ConsistentRead: true }));
    return out.Item ? itemSampleOf(out.Item, Date.now()) : undefined;
  }

  async setUp(): Promise<void> {
    const { profile } = this.options;
    const workers = Math.max(...profile.concurrencies, profile.contention.inFlight, profile.feeAccounts.inFlight);
    await this.recorder.outside(async () => {
      await this.pakka.createTables();
      const opens: Array<Promise<void>> = [];
      for (let w = 0; w < workers; w++) {
        opens.push(openAccount(this.dynamo, this.table(bankName(0)), `payer-${w}`, OPENING_BALANCE));
        opens.push(openAccount(this.dynamo, this.table(bankName(0)), `base-payer-${w}`, OPENING_BALANCE));
      }
      for (let a = 0; a < profile.contention.accounts; a++) opens.push(openAccount(this.dynamo, this.table(bankName(0)), `hot-${a}`, OPENING_BALANCE));
      await Promise.all(opens);
    });
  }

  /** One transaction through the coordinator, timed from start to the end of its execution. */
  async pakkaTransaction(txnId: string, writes: readonly LedgerWrite[]): Promise<Pending> {
    const validated = this.pakka.validate(pakkaRequest(txnId, writes));
    if (!validated.ok) throw new Error(`the benchmark built an invalid request: ${validated.error.message}`);
    const start = performance.now();
    // As the API does: the txnId's claim (one write of the transaction's, and one round trip), then the start.
    const claim = await this.recorder.within(txnId, () => this.pakka.claim(executionInput(txnId, validated.value, this.pakka.config, this.pakka.functions)));
    // `same` and undecided is the SDK's resend of this very claim (its first answer lost, e.g. ECONNRESET under load):
    // the API starts the execution then too (transactionRoutes.ts). Anything else is a txnId the benchmark used twice.
    if (claim.kind === 'conflict' || (claim.kind === 'same' && claim.decided)) throw new Error(`the benchmark reused txnId ${txnId}: ${claim.kind}`);
    const claimed = performance.now();
    const running = this.recorder.within(txnId, () => this.pakka.start(validated.value));
    // The start call's own share: the claim's time is DynamoDB's, counted there.
    const started = start + (performance.now() - claimed);
    // The execution's own end: LocalPakka's `done` settles later, after reading the outcome back.
    const ended = running.execution.result.then(
      () => performance.now(),
      () => performance.now(),
    );
    const history = readStateHistory(running.execution.eventLogs);
    const finished = await settleWithin(running.done, this.options.profile.boundMs);
    const end = finished ? await ended : performance.now();
    const status = finished?.ok ? (finished.output as { status?: unknown }).status : undefined;
    const outcome: Outcome = status === 'COMMITTED' ? 'COMMITTED' : status === 'ABORTED' ? 'ABORTED' : 'UNFINISHED';
    const abortReason = outcome === 'ABORTED' ? (finished?.logItem?.abortReason ?? 'UNKNOWN') : null;
    return { txnId, participants: writes.length, start, started, end, outcome, abortReason, history };
  }

  /** The same writes as one TransactWriteItems (or, for one write, one conditional UpdateItem). */
  async baselineTransaction(system: System, txnId: string, writes: readonly LedgerWrite[]): Promise<Pending> {
    const tables = this.pakka.tables.participants;
    const send = (): Promise<unknown> =>
      system === 'updateItem'
        ? this.dynamo.send(new UpdateItemCommand(baselineSingleUpdate(writes[0]!, tables)))
        : this.dynamo.send(new TransactWriteItemsCommand(baselineTransaction(writes, tables)));
    const start = performance.now();
    let outcome: Outcome = 'COMMITTED';
    try {
      // A team's own single transaction meets AWS's conflict rules too, and retries them as AWS advises.
      await this.recorder.within(txnId, () => retryingConflicts(send), { baseline: true });
    } catch (error) {
      if (!(error instanceof TransactionCanceledException || error instanceof ConditionalCheckFailedException)) throw error;
      outcome = 'ABORTED';
    }
    return {
      txnId,
      participants: writes.length,
      start,
      started: start,
      end: performance.now(),
      outcome,
      abortReason: outcome === 'ABORTED' ? 'CONDITION' : null,
      history: null,
    };
  }

  /** Waits for every execution and every late request, then turns what was recorded into figures. */
  async settle(pending: readonly Pending[]): Promise<TxnMeasurement[]> {
    await this.pakka.drain();
    await this.recorder.idle();
    const measurements: TxnMeasurement[] = [];
    for (const p of pending) {
      const history = p.history ? await p.history : null;
      measurements.push(measure({ ...p, ...this.recorder.take(p.txnId), history }));
    }
    return measurements;
  }

  async cell(system: System, n: number, concurrency: number): Promise<CellResult> {
    const profile = system === 'pakka' ? this.options.profile.pakkaCell : this.options.profile.baselineCell;
    const tag = `${system === 'pakka' ? 'p' : system === 'updateItem' ? 'u' : 'b'}${n}c${concurrency}`;
    const one = (phase: string) => (w: number, seq: number) => {
      const txnId = `${tag}-${phase}-${seq}`;
      return system === 'pakka'
        ? this.pakkaTransaction(txnId, transferWrites(n, `payer-${w}`, `payee-${w}`))
        : this.baselineTransaction(system, txnId, transferWrites(n, `base-payer-${w}`, `base-payee-${w}`));
    };
    if (profile.warmupTransactions > 0) {
      const warm = await driveLoad({ concurrency, seconds: 0, minTransactions: profile.warmupTransactions }, one('warm'));
      await this.settle(warm.results);
    }
    const shape: LoadShape = { concurrency, seconds: profile.seconds, minTransactions: profile.minTransactions };
    const { results, wallMs } = await driveLoad(shape, one('run'));
    const result = cellResult(system, n, concurrency, await this.settle(results), wallMs);
    this.log(
      `${system.padEnd(18)} N=${String(n).padStart(2)} c=${String(concurrency).padStart(2)}: ${result.committed} committed, p50 ${result.latencyMs.p50.toFixed(1)} ms, ${result.committedPerSecond.toFixed(1)}/s`,
    );
    return result;
  }

  async aborts(n: number): Promise<AbortResult> {
    const { results } = await driveLoad({ concurrency: 1, seconds: 0, minTransactions: this.options.profile.abortTransactions }, (_w, seq) =>
      this.pakkaTransaction(`a${n}-${seq}`, transferWrites(n, `broke-${n}-${seq}`, `payee-abort-${n}`)),
    );
    const measurements = await this.settle(results);
    const aborted = measurements.filter((m) => m.outcome === 'ABORTED');
    this.log(`aborts             N=${String(n).padStart(2)}: ${aborted.length}/${measurements.length} aborted`);
    return {
      participants: n,
      transactions: measurements.length,
      aborted: aborted.length,
      reasons: tally(aborted.map((m) => m.abortReason ?? 'UNKNOWN')),
      latencyMs: summarize(aborted.map((m) => m.latencyMs)),
      work: workSummary(aborted),
    };
  }

  async contention(): Promise<ContentionResult> {
    const { accounts, inFlight, seconds, minTransactions } = this.options.profile.contention;
    const keys = Array.from({ length: accounts }, (_, a) => `hot-${a}`);
    const tables = [this.table(bankName(0)), this.table(bankName(1))];
    const before = await this.recorder.outside(() => auditAccounts(this.dynamo, tables, keys));
    const random = seededRandom(7);
    const pick = () => keys[Math.floor(random() * keys.length)]!;
    const { results, wallMs } = await driveLoad({ concurrency: inFlight, seconds, minTransactions }, (_w, seq) =>
      this.pakkaTransaction(`hot-${seq}`, [
        { participant: bankName(0), op: 'debit', key: pick(), amount: 1 },
        { participant: bankName(1), op: 'credit', key: pick(), amount: 1 },
      ]),
    );
    const measurements = await this.settle(results);
    const after = await this.recorder.outside(() => auditAccounts(this.dynamo, tables, keys));
    const open = await this.recorder.outside(() => openTransactions(this.dynamo, this.pakka.tables.coordinatorLog, 'hot-'));
    const committed = measurements.filter((m) => m.outcome === 'COMMITTED');
    const aborted = measurements.filter((m) => m.outcome === 'ABORTED');
    const finished = measurements.filter((m) => m.outcome !== 'UNFINISHED');
    const unfinished = measurements.length - finished.length;
    const latencyMs = summarize(finished.map((m) => m.latencyMs));
    this.log(`contention: ${committed.length} committed, ${aborted.length} aborted, ${unfinished} unfinished, max ${latencyMs.max.toFixed(0)} ms`);
    return {
      accounts,
      inFlight,
      transactions: measurements.length,
      committed: committed.length,
      aborted: aborted.length,
      unfinished,
      abortRate: measurements.length ? aborted.length / measurements.length : 0,
      abortReasons: tally(aborted.map((m) => m.abortReason ?? 'UNKNOWN')),
      committedPerSecond: committed.length / (wallMs / 1000),
      latencyMs,
      committedLatencyMs: summarize(committed.map((m) => m.latencyMs)),
      waitedForLock: measurements.filter((m) => m.lockWaits > 0).length,
      waitedLatencyMs: summarize(finished.filter((m) => m.lockWaits > 0).map((m) => m.latencyMs)),
      notWaitedLatencyMs: summarize(finished.filter((m) => m.lockWaits === 0).map((m) => m.latencyMs)),
      boundMs: this.options.profile.boundMs,
      deadlockFree: unfinished === 0 && latencyMs.max < this.options.profile.boundMs,
      invariants: {
        balanceBefore: before.totalBalance,
        balanceAfter: after.totalBalance,
        conserved: before.totalBalance === after.totalBalance,
        locksLeft: after.locked,
        openTransactions: open,
      },
      committedWork: workSummary(committed),
      abortedWork: workSummary(aborted),
    };
  }

  /** The UPI flow, every fee into one account or each into its own; payers all have the funds. */
  async feeAccounts(): Promise<FeeAccountResult> {
    const shape = this.options.profile.feeAccounts;
    let sharedFeeItem: FeeAccountResult['sharedFeeItem'] | undefined;
    const run = async (feeAccounts: FeeAccountRun['feeAccounts']): Promise<FeeAccountRun> => {
      const tag = feeAccounts === 'shared' ? 'fs' : 'fx';
      // The shared account's item as the load grows it: its own reads, beside the transfers, never counted.
      const sampler = feeAccounts === 'shared' ? sampleItem(() => this.itemSample(FEE_PARTICIPANT, SHARED_FEE_ACCOUNT), ITEM_SAMPLE_MS) : undefined;
      const { results, wallMs } = await driveLoad({ concurrency: shape.inFlight, seconds: 0, minTransactions: shape.transfers }, (w, seq) =>
        this.pakkaTransaction(`${tag}-${seq}`, upiTransferWrites(w, seq, feeAccounts === 'shared' ? SHARED_FEE_ACCOUNT : `${SHARED_FEE_ACCOUNT}-${seq}`, tag)),
      );
      const result = feeAccountRun(feeAccounts, await this.settle(results), wallMs);
      if (sampler) {
        const sizes = (await sampler.stop()).map((sample) => sample.bytes);
        sharedFeeItem = { ...itemSizeSummary(sizes), runMs: wallMs, horizonMs: INTENT_HORIZON_MS, sampleEveryMs: ITEM_SAMPLE_MS };
        this.log(`fee account item: ${feeItemLine(sharedFeeItem)}`);
      }
      this.log(
        `fee account ${feeAccounts.padEnd(6)}: ${result.committed}/${result.transfers} committed, ${result.committedPerSecond.toFixed(1)}/s, p99 ${result.latencyMs.p99.toFixed(0)} ms; per transfer ${result.work?.writeRequests.mean.toFixed(2) ?? '-'} writes, ${result.work?.roundTripsToCompletion.mean.toFixed(2) ?? '-'} round trips`,
      );
      return result;
    };
    const spread = await run('spread');
    const shared = await run('shared');
    if (!sharedFeeItem) throw new Error('the shared fee run sampled no item');
    return { shape, shared, spread, sharedOverSpread: shared.committedPerSecond / spread.committedPerSecond, sharedFeeItem };
  }

  /**
   * Write units per committed N-participant transfer by AWS's rules, from the items read before and after
   * each write: in a run of its own, at one in flight, so the extra reads neither race other writes nor
   * slow the cells whose latency is reported.
   */
  async awsUnits(n: number): Promise<AwsUnitsResult> {
    const count = this.options.profile.awsUnitsTransactions;
    // Each spread transfer's payer, funded up front as every workload's payers are (setUp); its payees are new.
    await this.recorder.outside(() =>
      Promise.all(Array.from({ length: count }, (_, seq) => openAccount(this.dynamo, this.table(bankName(0)), `spread-payer-${n}-${seq}`, OPENING_BALANCE))),
    );
    this.recorder.capturing = true;
    try {
      const run = async (system: System, shape: 'hot' | 'spread' = 'hot') => {
        // Items earlier runs left listed are tidied uncounted, so the counted tidy is this run's own.
        await this.recorder.outside(() => this.tidySweep().sweep());
        const { results } = await driveLoad({ concurrency: 1, seconds: 0, minTransactions: count }, (_w, seq) =>
          system !== 'pakka'
            ? this.baselineTransaction(system, `ub${n}-${seq}`, transferWrites(n, 'base-payer-0', 'base-payee-0'))
            : shape === 'hot'
              ? this.pakkaTransaction(`u${n}-${seq}`, transferWrites(n, 'payer-0', 'payee-0'))
              : this.pakkaTransaction(`us${n}-${seq}`, transferWrites(n, `spread-payer-${n}-${seq}`, `spread-payee-${n}-${seq}`)),
        );
        const counted = (await this.settle(results)).filter((m) => m.outcome === 'COMMITTED' && m.awsWriteUnits !== null);
        const mean = (f: (m: TxnMeasurement) => number) => (counted.length ? counted.reduce((s, m) => s + f(m), 0) / counted.length : Number.NaN);
        return {
          transactions: counted.length,
          aws: mean((m) => m.awsWriteUnits ?? 0),
          local: mean((m) => m.writeUnits),
          breakdown: awsUnitsBreakdown(counted, this.pakka.tables.coordinatorLog),
          tidy: system === 'pakka' ? await this.tidyUnits(`tidy-${shape}-${n}`, counted.length) : { writes: 0, tableUnits: 0, indexUnits: 0 },
        };
      };
      const pakka = await run('pakka');
      const spreadRun = await run('pakka', 'spread');
      const baseline = await run('transactWriteItems');
      const steadyShape = this.options.profile.steadyHot;
      const steady = steadyShape?.participants === n ? await this.steadyHotUnits(n, steadyShape) : null;
      const onePhaseShape = this.options.profile.steadyHotOnePhase;
      const onePhase = n === 1 && onePhaseShape ? await this.steadyHotOnePhaseUnits(onePhaseShape) : null;
      const withTidy = (r: { aws: number; tidy: TidyUnits }) => (r.aws + r.tidy.tableUnits + r.tidy.indexUnits).toFixed(1);
      this.log(
        `write units N=${String(n).padStart(2)}: ${pakka.aws.toFixed(1)} by AWS's rules (DynamoDB Local ${pakka.local.toFixed(1)}); one TransactWriteItems ${baseline.aws.toFixed(1)}`,
      );
      this.log(`  hot: same accounts every transfer: ${pakka.aws.toFixed(1)}, ${withTidy(pakka)} with the tidy (${tidyLine(pakka.tidy)})`);
      for (const line of renderBreakdown(pakka.breakdown)) this.log(line);
      this.log(`  spread: new accounts every transfer: ${spreadRun.aws.toFixed(1)}, ${withTidy(spreadRun)} with the tidy (${tidyLine(spreadRun.tidy)})`);
      for (const line of renderBreakdown(spreadRun.breakdown)) this.log(line);
      if (steady) {
        this.log(`  steady hot: ${steadyLine(steady)}`);
        for (const line of renderBreakdown(steady.breakdown)) this.log(line);
      }
      if (onePhase) this.log(`  ${STEADY_ONE_PHASE_SHAPE}`);
      for (const run of onePhase ?? []) {
        this.log(`  steady hot one-phase, ${run.inFlight} in flight: ${steadyLine(run)}`);
        for (const line of renderBreakdown(run.breakdown)) this.log(line);
      }
      return {
        participants: n,
        transactions: pakka.transactions,
        awsWriteUnits: pakka.aws,
        dynamoDbLocalWriteUnits: pakka.local,
        baselineAwsWriteUnits: baseline.aws,
        baselineDynamoDbLocalWriteUnits: baseline.local,
        breakdown: pakka.breakdown,
        tidy: pakka.tidy,
        spreadAccounts: { transactions: spreadRun.transactions, awsWriteUnits: spreadRun.aws, breakdown: spreadRun.breakdown, tidy: spreadRun.tidy },
        steadyHot: steady,
        steadyHotOnePhase: onePhase,
      };
    } finally {
      this.recorder.capturing = false;
    }
  }

  /**
   * The steady hot shape (SteadyHotShape) on accounts of its own, so no earlier run's entries are in its items, at
   * one in flight: counted once the items carry a horizon's worth of finished entries (steadyUnits).
   */
  private steadyHotUnits(n: number, shape: SteadyHotShape): Promise<SteadyHotUnits> {
    return this.steadyUnits({
      n,
      inFlight: 1,
      warmupMs: INTENT_HORIZON_MS + STEADY_MARGIN_MS,
      load: shape,
      payer: `steady-payer-${n}`,
      payee: `steady-payee-${n}`,
      txnId: (phase, seq) => `uh${n}-${phase}-${seq}`,
    });
  }

  /**
   * The steady hot one-phase shape (SteadyHotOnePhaseShape): one run per number in flight, each on a payer item of
   * its own, counted once its commits' entries are old enough to go (steadyUnits).
   */
  private async steadyHotOnePhaseUnits(shape: SteadyHotOnePhaseShape): Promise<SteadyHotUnits[]> {
    const runs: SteadyHotUnits[] = [];
    for (const inFlight of shape.inFlight) {
      runs.push(
        await this.steadyUnits({
          n: 1,
          inFlight,
          warmupMs: ONE_PHASE_WARMUP_MS,
          load: shape,
          payer: `steady-one-phase-payer-${inFlight}`,
          payee: `steady-one-phase-payee-${inFlight}`,
          // What the API generates for a request that names none (transactionIdFor): an entry's key is its txnId.
          txnId: () => `txn-${randomUUID()}`,
        }),
      );
    }
    return runs;
  }

  /**
   * Transfers on one payer (and payee) of their own, `inFlight` at a time: `warmupMs` uncounted, then counted as the
   * hot run is, while the payer's item is read beside them. Runs inside awsUnits, while the recorder captures images,
   * warm-up included, so the rate (and with it the entries an item carries) is the same before and during the count.
   */
  private async steadyUnits(run: SteadyRun): Promise<SteadyHotUnits> {
    await this.recorder.outside(() => openAccount(this.dynamo, this.table(bankName(0)), run.payer, OPENING_BALANCE));
    const one = (phase: string) => (_w: number, seq: number) => this.pakkaTransaction(run.txnId(phase, seq), transferWrites(run.n, run.payer, run.payee));
    // Back to back, settled only after both: no pause in which the items' entries age out unreplaced.
    const warm = await driveLoad({ concurrency: run.inFlight, seconds: run.warmupMs / 1000, minTransactions: 1 }, one('warm'));
    // The payer's item as the counted transfers find it: its own reads beside them, never counted.
    const sampler = sampleItem(() => this.itemSample(bankName(0), run.payer), ITEM_SAMPLE_MS);
    const { results, wallMs } = await driveLoad(
      { concurrency: run.inFlight, seconds: run.load.seconds, minTransactions: run.load.minTransactions },
      one('run'),
    );
    const payerItem = itemSampleSummary(await sampler.stop());
    await this.settle(warm.results);
    const measured = await this.settle(results);
    const counted = measured.filter((m) => m.outcome === 'COMMITTED' && m.awsWriteUnits !== null);
    const notCommitted = measured.filter((m) => m.outcome !== 'COMMITTED');
    return {
      inFlight: run.inFlight,
      warmupMs: run.warmupMs,
      transfers: measured.length,
      transactions: counted.length,
      transfersPerSecond: results.length / (wallMs / 1000),
      warmupTransfersPerSecond: warm.results.length / (warm.wallMs / 1000),
      awsWriteUnits: counted.length ? counted.reduce((sum, m) => sum + (m.awsWriteUnits ?? 0), 0) / counted.length : Number.NaN,
      breakdown: awsUnitsBreakdown(counted, this.pakka.tables.coordinatorLog),
      items: itemSizeSummary(businessItemBilledSizes(counted, this.pakka.tables.coordinatorLog)),
      payerItem,
      waitedForLock: measured.filter((m) => m.lockWaits > 0).length,
      abortReasons: tally(notCommitted.map((m) => (m.outcome === 'UNFINISHED' ? 'UNFINISHED' : (m.abortReason ?? 'UNKNOWN')))),
    };
  }

  /** Recovery as local mode runs it, its clock past the idle window (and the horizon), so every idle item is tidied. */
  private tidySweep(): LocalRecovery {
    return new LocalRecovery(this.pakka, { dynamo: this.dynamo, now: () => Date.now() + HELD_IDLE_MS + INTENT_HORIZON_MS });
  }

  /** One sweep counted as `tag`: its item writes by AWS's rules, per committed transaction of the run before it. */
  private async tidyUnits(tag: string, transactions: number): Promise<TidyUnits> {
    await this.recorder.within(tag, () => this.tidySweep().sweep());
    await this.recorder.idle();
    const writes = this.recorder.take(tag).calls.flatMap((call) => call.awsItemWrites ?? []);
    const per = Math.max(1, transactions);
    return {
      writes: writes.length / per,
      tableUnits: writes.reduce((sum, w) => sum + w.tableUnits, 0) / per,
      indexUnits: writes.reduce((sum, w) => sum + w.indexUnits, 0) / per,
    };
  }

  close(): void {
    this.dynamo.destroy();
    this.reader.destroy();
  }
}

/** How long the fee run lasted against the horizon, and the item's sizes: the fees log line and BENCHMARKS.md's. */
export const feeItemLine = (f: FeeAccountResult['sharedFeeItem']) =>
  `largest ${f.maxBytes} bytes (${f.writeUnitsAtMax} WRU a write), mean ${f.meanBytes} bytes (${f.meanWriteUnits.toFixed(2)} WRU a write), ${f.samples} samples over a ${(f.runMs / 1000).toFixed(1)} s run${f.runMs < f.horizonMs ? ` (shorter than the ${f.horizonMs / 1000} s horizon; commits leave no entry, so the item holds the transfers in flight)` : ''}`;

export const steadyLine = (s: SteadyHotUnits) =>
  `${s.awsWriteUnits.toFixed(1)} per transfer over ${s.transactions} committed of ${s.transfers} transfers (${s.transfersPerSecond.toFixed(1)}/s, ${s.inFlight} in flight) counted after ${(s.warmupMs / 1000).toFixed(0)} s at ${s.warmupTransfersPerSecond.toFixed(1)}/s on the same accounts; business items billed on up to ${s.items.maxBytes} bytes (${s.items.writeUnitsAtMax} WRU a write), ${s.items.meanBytes} on average (${s.items.meanWriteUnits.toFixed(2)} WRU a write); ${payerItemLine(s.payerItem)}; ${refusalsLine(s)}`;

/** The payer's item as a steady run read it. */
const payerItemLine = (p: ItemSampleSummary) =>
  `the payer's item, read ${p.samples} times beside the count, up to ${p.maxBytes} bytes (${p.meanBytes} on average) with up to ${p.maxEntries} entries (${p.meanEntries.toFixed(1)} on average, ${p.bytesPerEntry.toFixed(0)} bytes each), the oldest ${(p.meanOldestEntryAgeMs / 1000).toFixed(1)} s old on average (${(p.maxEntryAgeMs / 1000).toFixed(1)} s at most)`;

const refusalsLine = (s: SteadyHotUnits) => {
  const others = Object.entries(s.abortReasons).filter(([reason]) => reason !== 'LOCK_CONFLICT');
  return `LOCK_CONFLICT: ${s.waitedForLock} refused and retried after 1 s, ${s.abortReasons.LOCK_CONFLICT ?? 0} aborted${others.length ? `; other outcomes: ${others.map(([reason, count]) => `${reason} ${count}`).join(', ')}` : ''}`;
};

const tidyLine = (t: TidyUnits) => `tidy ${t.writes.toFixed(2)} writes, ${t.tableUnits.toFixed(2)} table + ${t.indexUnits.toFixed(2)} index units per transfer`;

function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function comparisons(cells: readonly CellResult[]): Comparison[] {
  const out: Comparison[] = [];
  for (const pakka of cells.filter((c) => c.system === 'pakka')) {
    for (const base of cells.filter((c) => c.system !== 'pakka' && c.participants === pakka.participants && c.concurrency === pakka.concurrency)) {
      out.push({
        participants: pakka.participants,
        concurrency: pakka.concurrency,
        baseline: base.system,
        latencyP50Ratio: pakka.latencyMs.p50 / base.latencyMs.p50,
        latencyP99Ratio: pakka.latencyMs.p99 / base.latencyMs.p99,
        throughputRatio: pakka.committedPerSecond / base.committedPerSecond,
      });
    }
  }
  return out;
}

function costs(cells: readonly CellResult[], units: readonly AwsUnitsResult[], profile: BenchProfile, prices: Prices): CostResult[] {
  return profile.costParticipantCounts.flatMap((n) => {
    const pakka = cells.find((c) => c.system === 'pakka' && c.participants === n && c.concurrency === 1);
    const base = cells.find((c) => c.system === 'transactWriteItems' && c.participants === n && c.concurrency === 1);
    const aws = units.find((u) => u.participants === n);
    const work = pakka?.committedWork;
    if (!pakka || !work || !aws) return [];
    const perCommit: WorkPerCommit = {
      stateTransitions: work.stateTransitions.mean,
      lambdaInvocations: work.lambdaInvocations.mean,
      lambdaBilledMs: work.lambdaBilledMs.mean,
      writeUnits: aws.awsWriteUnits,
      readUnits: work.readUnits.mean,
      // The execution alone: the start call is the caller's StartExecution request, not billed Express duration.
      executionMs: pakka.executionMsMean,
    };
    const baseWork = base?.committedWork;
    return [
      {
        participants: n,
        perCommit,
        dynamoDbLocalWriteUnits: work.writeUnits.mean,
        standard: standardCost(perCommit, prices),
        express: expressCost(perCommit, prices),
        baselineDynamo: baseWork ? dynamoOnlyCost(aws.baselineAwsWriteUnits, baseWork.readUnits.mean, prices) : Number.NaN,
      },
    ];
  });
}

function targets(cells: readonly CellResult[], contention: ContentionResult): Targets {
  const pakka = cells.filter((c) => c.system === 'pakka' && c.committedWork);
  const byN = new Map<number, CellResult[]>();
  for (const c of pakka) byN.set(c.participants, [...(byN.get(c.participants) ?? []), c]);
  const writesPerCommit = [...byN.entries()].map(([n, list]) => {
    const measured = spread(list.flatMap((c) => [c.committedWork!.writeRequests.min, c.committedWork!.writeRequests.max]));
    measured.mean = list.reduce((s, c) => s + c.committedWork!.writeRequests.mean * c.committed, 0) / list.reduce((s, c) => s + c.committed, 0);
    return {
      participants: n,
      measured,
      documented: PAKKA_COMMIT_WRITES(n),
      protocolMinimum: PROTOCOL_MINIMUM_COMMIT_WRITES(n),
      target: 2 * n + 1,
      met: measured.max <= 2 * n + 1,
    };
  });
  const toOutcome = Math.max(...pakka.map((c) => c.committedWork!.roundTripsToOutcome?.max ?? Number.POSITIVE_INFINITY));
  const toCompletion = Math.max(...pakka.map((c) => c.committedWork!.roundTripsToCompletion.max));
  const n4 = pakka.find((c) => c.participants === 4 && c.concurrency === 1);
  return {
    writesPerCommit,
    roundTripsToOutcome: { max: toOutcome, floor: 2, target: 2, met: toOutcome <= 2 },
    roundTripsToCompletion: { max: toCompletion, floor: 3, target: 3, met: toCompletion <= 3 },
    coordinatorOverhead: n4?.time
      ? { participants: 4, concurrency: 1, share: n4.time.engine, startShare: n4.time.start, target: 0.25, met: n4.time.engine <= 0.25 }
      : null,
    contention: {
      deadlockFree: contention.deadlockFree,
      p99Ms: contention.latencyMs.p99,
      maxMs: contention.latencyMs.max,
      boundMs: contention.boundMs,
      met: contention.deadlockFree && contention.invariants.conserved && contention.invariants.locksLeft === 0 && contention.invariants.openTransactions === 0,
    },
  };
}

function conflictsRaised(endpoint: string): BenchResults['conflicts'] {
  const ledger = itemsInFlight(endpoint);
  return ledger ? { ...ledger.raised, marginMs: ledger.marginMs } : null;
}

export interface WorkloadResults {
  profile: string;
  startedAt: string;
  durationMs: number;
  contention?: ContentionResult;
  feeAccounts?: FeeAccountResult;
  awsUnits?: AwsUnitsResult[];
  conflicts: BenchResults['conflicts'];
}

/** Some workloads alone (`npm run bench -- --only fees,contention`), without the cells and their report. */
export async function runWorkloads(options: BenchOptions, only: ReadonlySet<Workload>): Promise<WorkloadResults> {
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const bench = new Bench(options);
  try {
    await bench.setUp();
    const results: WorkloadResults = { profile: options.profile.name, startedAt, durationMs: 0, conflicts: null };
    if (only.has('contention')) results.contention = await bench.contention();
    if (only.has('fees')) results.feeAccounts = await bench.feeAccounts();
    if (only.has('units')) {
      results.awsUnits = [];
      for (const n of options.profile.costParticipantCounts) results.awsUnits.push(await bench.awsUnits(n));
    }
    return { ...results, durationMs: performance.now() - began, conflicts: conflictsRaised(options.endpoint) };
  } finally {
    bench.close();
  }
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResults> {
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const { profile, prices } = options;
  const bench = new Bench(options);
  try {
    await bench.setUp();
    const cells: CellResult[] = [];
    for (const n of profile.participantCounts) {
      for (const concurrency of profile.concurrencies) {
        cells.push(await bench.cell('pakka', n, concurrency));
        cells.push(await bench.cell('transactWriteItems', n, concurrency));
        if (n === 1) cells.push(await bench.cell('updateItem', n, concurrency));
      }
    }
    const aborts: AbortResult[] = [];
    for (const n of profile.abortParticipantCounts) aborts.push(await bench.aborts(n));
    const contention = await bench.contention();
    const feeAccounts = await bench.feeAccounts();
    const awsUnits: AwsUnitsResult[] = [];
    for (const n of profile.costParticipantCounts) awsUnits.push(await bench.awsUnits(n));
    return {
      profile: profile.name,
      startedAt,
      durationMs: performance.now() - began,
      cells,
      comparisons: comparisons(cells),
      aborts,
      contention,
      feeAccounts,
      costs: costs(cells, awsUnits, profile, prices),
      awsUnits,
      conflicts: conflictsRaised(options.endpoint),
      targets: targets(cells, contention),
      // maxRSS is in kilobytes and covers the whole life of this process.
      memory: { benchmarkPeakRssMb: process.resourceUsage().maxRSS / 1024 },
      uncountedRequests: bench.recorder.unattributed,
      prices: { checked: prices.checked, region: prices.region, lambdaMemoryMb: prices.lambda.memoryMb, lambdaMemoryIsAssumed: prices.lambda.memoryIsAssumed },
    };
  } finally {
    bench.close();
  }
}
