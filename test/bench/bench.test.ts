/**
 * A tiny run of the benchmark, on the shared DynamoDB Local with its own tables, so the benchmark
 * cannot rot: the shape of its results and the figures that must hold whatever the machine's speed.
 * No wall-clock asserts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadPrices } from '../../bench/costModel.js';
import { renderReport } from '../../bench/report.js';
import { INTENT_HORIZON_MS } from '../../lambdas/protocol/heldIntent.js';
import {
  type BenchProfile,
  type BenchResults,
  PAKKA_COMMIT_WRITES,
  STEADY_MARGIN_MS,
  type WorkloadResults,
  runBenchmark,
  runWorkloads,
} from '../../bench/suite.js';

const tiny: BenchProfile = {
  name: 'tiny',
  participantCounts: [1, 2],
  concurrencies: [1, 2],
  pakkaCell: { seconds: 0, minTransactions: 3, warmupTransactions: 1 },
  baselineCell: { seconds: 0, minTransactions: 3, warmupTransactions: 1 },
  abortTransactions: 2,
  abortParticipantCounts: [2],
  contention: { accounts: 2, inFlight: 3, seconds: 0, minTransactions: 4 },
  feeAccounts: { inFlight: 3, transfers: 6 },
  costParticipantCounts: [2],
  boundMs: 30_000,
  awsUnitsTransactions: 2,
  steadyHot: null,
  // 22 s uncounted a run (the one-phase entries' record age): the full profile's alone.
  steadyHotOnePhase: null,
};

const prices = loadPrices();
let results: BenchResults;

beforeAll(async () => {
  // The record layout (`--record-layout`): the write and round-trip counts pinned below are that layout's
  // (PAKKA_COMMIT_WRITES, as BENCHMARKS.md documents them). Holds in the item, the benchmark's default, write the
  // record and then the item at commit, and an item's first hold may be refused once for want of its map, so
  // their counts differ.
  results = await runBenchmark({ endpoint: inject('dynamoEndpoint'), tablePrefix: `b${randomUUID().slice(0, 8)}-`, profile: tiny, prices, recordLayout: true });
}, 120_000);

describe('benchmark (tiny run)', () => {
  it('runs every cell: Pakka and TransactWriteItems for each N and concurrency, UpdateItem for N = 1', () => {
    const keys = results.cells.map((c) => `${c.system}/${c.participants}/${c.concurrency}`).sort();
    expect(keys).toEqual(
      [
        'pakka/1/1',
        'pakka/1/2',
        'pakka/2/1',
        'pakka/2/2',
        'transactWriteItems/1/1',
        'transactWriteItems/1/2',
        'transactWriteItems/2/1',
        'transactWriteItems/2/2',
        'updateItem/1/1',
        'updateItem/1/2',
      ].sort(),
    );
    for (const cell of results.cells) {
      expect(cell.transactions).toBeGreaterThanOrEqual(3);
      expect(cell.committed).toBe(cell.transactions);
      expect(cell.unfinished).toBe(0);
      expect(cell.committedPerSecond).toBeGreaterThan(0);
      const l = cell.latencyMs;
      expect(l.count).toBe(cell.committed);
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p50).toBeLessThanOrEqual(l.p95);
      expect(l.p95).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.max);
    }
    expect(results.comparisons).toHaveLength(6);
  });

  it('counts exactly 2N+2 write requests (the claim and 2N+1) and no read on the commit path, with the documented senders', () => {
    for (const cell of results.cells.filter((c) => c.system === 'pakka')) {
      const n = cell.participants;
      const work = cell.committedWork!;
      expect(work.writeRequests).toEqual({ mean: PAKKA_COMMIT_WRITES(n), min: PAKKA_COMMIT_WRITES(n), max: PAKKA_COMMIT_WRITES(n) });
      expect(work.readRequests.max).toBe(0);
      expect(work.httpAttempts.max).toBe(PAKKA_COMMIT_WRITES(n));
      // The API's claim of the txnId first; one participant then commits in one phase: its one write, then the receipt.
      expect(work.writesBySource).toEqual(
        n === 1
          ? { ClaimTxnId: 1, 'participant:commitOnePhase': 1, LogOnePhaseCommit: 1 }
          : { ClaimTxnId: 1, 'participant:prepare': n, LogCommitDecision: 1, 'participant:commit': n },
      );
      expect(work.writeUnits.min).toBeGreaterThanOrEqual(PAKKA_COMMIT_WRITES(n));
      expect(work.estimatedUnits).toBe(0);
      expect(work.lambdaInvocations.max).toBe(n === 1 ? 1 : 2 * n);
      expect(work.stateTransitions.min).toBeGreaterThan(0);
    }
    expect(results.targets.writesPerCommit.map((t) => t.documented)).toEqual([PAKKA_COMMIT_WRITES(1), PAKKA_COMMIT_WRITES(2)]);
  });

  it("finds the round trips: the txnId's claim, then the protocol's floors (2 to the logged decision, 3 to completion)", () => {
    for (const cell of results.cells.filter((c) => c.system === 'pakka')) {
      // A one-phase commit knows its outcome from the participant's write, and completes with the receipt; the claim comes first.
      const [toOutcome, toCompletion] = cell.participants === 1 ? [2, 3] : [3, 4];
      expect(cell.committedWork!.roundTripsToOutcome).toEqual({ mean: toOutcome, min: toOutcome, max: toOutcome });
      expect(cell.committedWork!.roundTripsToCompletion).toEqual({ mean: toCompletion, min: toCompletion, max: toCompletion });
    }
    // The claim is one round trip over the protocol's floors, and the report says the targets are missed by it.
    expect(results.targets.roundTripsToOutcome).toMatchObject({ max: 3, met: false });
    expect(results.targets.roundTripsToCompletion).toMatchObject({ max: 4, met: false });
  });

  it('counts the baseline as one request of two units per item (one unit for a plain UpdateItem)', () => {
    for (const cell of results.cells.filter((c) => c.system !== 'pakka')) {
      const work = cell.committedWork!;
      expect(work.writeRequests.max).toBe(1);
      expect(work.writeUnits.max).toBe(cell.system === 'updateItem' ? 1 : 2 * cell.participants);
      expect(work.lambdaInvocations.max).toBe(0);
    }
  });

  it('splits latency into shares that add up to the whole', () => {
    for (const cell of results.cells.filter((c) => c.system === 'pakka')) {
      const t = cell.time!;
      expect(t.dynamo + t.participantCode + t.engine).toBeCloseTo(1, 6);
      expect(t.start).toBeGreaterThanOrEqual(0);
      expect(t.start).toBeLessThanOrEqual(t.engine + 1e-9);
    }
  });

  it('aborts on insufficient funds with the failed writes estimated, not reported', () => {
    const [abort] = results.aborts;
    expect(abort).toBeDefined();
    expect(abort!.aborted).toBe(abort!.transactions);
    expect(abort!.reasons).toEqual({ INSUFFICIENT_FUNDS: abort!.transactions });
    expect(abort!.work!.estimatedUnits).toBeGreaterThan(0);
    expect(abort!.work!.writesBySource.LogAbortDecision).toBe(1);
  });

  it('under contention finishes every transaction, conserves balances and leaves no lock', () => {
    const c = results.contention;
    expect(c.transactions).toBeGreaterThanOrEqual(4);
    expect(c.committed + c.aborted).toBe(c.transactions);
    expect(c.unfinished).toBe(0);
    expect(c.deadlockFree).toBe(true);
    expect(c.invariants).toMatchObject({ conserved: true, locksLeft: 0, openTransactions: 0 });
    expect(Object.values(c.abortReasons).reduce((s, v) => s + v, 0)).toBe(c.aborted);
  });

  it('prices a million commits from the counted figures', () => {
    const [cost] = results.costs;
    expect(cost?.participants).toBe(2);
    const s = cost!.standard;
    expect(s.stepFunctions).toBeCloseTo(cost!.perCommit.stateTransitions * prices.stepFunctions.standardPerStateTransition * 1e6, 6);
    expect(s.total).toBeCloseTo(s.stepFunctions + s.lambdaRequests + s.lambdaDuration + s.dynamodbWrites + s.dynamodbReads, 6);
    expect(cost!.express.total).toBeLessThan(s.total);
    expect(cost!.baselineDynamo).toBeCloseTo(4 * prices.dynamodb.perWriteRequestUnit * 1e6, 6);
  });

  it('reports memory and renders every section', () => {
    expect(results.memory.benchmarkPeakRssMb).toBeGreaterThan(0);
    expect(results.uncountedRequests).toBeGreaterThan(0);
    const text = renderReport(results);
    for (const heading of [
      'Latency and throughput',
      'Work per committed transaction',
      'Where the time goes',
      'Work per aborted transaction',
      'Contention',
      'Cost per million',
      'Targets',
    ]) {
      expect(text).toContain(heading);
    }
  });
  it('runs the UPI flow with one shared fee account beside spread ones, and every funded transfer commits in both', () => {
    const { shared, spread } = results.feeAccounts;
    expect(shared).toMatchObject({ feeAccounts: 'shared', transfers: 6, committed: 6, abortReasons: {} });
    expect(spread).toMatchObject({ feeAccounts: 'spread', transfers: 6, committed: 6, abortReasons: {} });
    expect(renderReport(results, [])).toContain('### Hot items: one fee account for every transfer');
  });
});

describe("write units by AWS's rules", () => {
  it('the cost table takes its write units from the count by AWS rules, kept beside what DynamoDB Local reports', () => {
    const [units] = results.awsUnits;
    const [cost] = results.costs;
    expect(units?.participants).toBe(2);
    expect(units?.transactions).toBeGreaterThan(0);
    expect(cost?.perCommit.writeUnits).toBe(units?.awsWriteUnits);
    expect(cost?.dynamoDbLocalWriteUnits).toBeGreaterThan(0);
    // One TransactWriteItems of two small items (under 1 KB, no index): 2 write units each on AWS.
    expect(units?.baselineAwsWriteUnits).toBe(4);
  });

  it('breaks the units down by sender, request and kind of item, and the rows add up to the total', () => {
    const [units] = results.awsUnits;
    const rows = units?.breakdown ?? [];
    const total = rows.reduce((sum, row) => sum + row.tableUnits + row.indexUnits, 0);
    expect(total).toBeCloseTo(units?.awsWriteUnits ?? Number.NaN, 9);
    expect(rows.map((row) => `${row.source} ${row.kind}`)).toEqual(
      expect.arrayContaining(['ClaimTxnId log', 'LogCommitDecision log', 'participant:prepare record']),
    );
    for (const row of rows) expect(row.maxBilledBytes).toBeGreaterThanOrEqual(Math.max(row.meanBytesBefore, row.meanBytesAfter));
  });

  it('the spread run (new accounts every transfer) is counted beside the hot one, each with the tidy after it', () => {
    const [units] = results.awsUnits;
    const spread = units?.spreadAccounts;
    expect(spread?.transactions).toBeGreaterThan(0);
    const total = (spread?.breakdown ?? []).reduce((sum, row) => sum + row.tableUnits + row.indexUnits, 0);
    expect(total).toBeCloseTo(spread?.awsWriteUnits ?? Number.NaN, 9);
    for (const tidy of [units?.tidy, spread?.tidy]) {
      expect(tidy?.writes).toBeGreaterThanOrEqual(0);
      expect((tidy?.tableUnits ?? Number.NaN) >= tidy!.writes).toBe(true);
    }
  });

  it('the fee-account runs say what each committed transfer wrote', () => {
    const { shared, spread } = results.feeAccounts;
    // Three participants: their prepares and commits, the claim and the decision, at least.
    for (const run of [shared, spread]) expect(run.work?.writeRequests.mean).toBeGreaterThanOrEqual(2 * 3 + 2);
  });
});

describe('hot items, holds in the item (the default layout): the steady hot shape and the shared fee account', () => {
  // The units and fee workloads alone, holds in the item: the run above keeps every hold in a record, whose
  // items never grow. The horizon is the protocol's (10 s): the steady shape cannot be shorter, so this pays it once.
  let hot: WorkloadResults;
  beforeAll(async () => {
    const profile: BenchProfile = { ...tiny, steadyHot: { participants: 2, seconds: 0, minTransactions: 2 } };
    hot = await runWorkloads({ endpoint: inject('dynamoEndpoint'), tablePrefix: `h${randomUUID().slice(0, 8)}-`, profile, prices }, new Set(['units', 'fees']));
  }, 120_000);

  it('the record layout run above has no steady hot shape, and says so', () => {
    expect(results.awsUnits.every((u) => u.steadyHot === null)).toBe(true);
    expect(renderReport(results, [])).toContain('Steady hot: not run in this profile.');
    expect(renderReport(results, [])).toContain('Steady hot one-phase: not run in this profile');
    expect(results.awsUnits.every((u) => u.steadyHotOnePhase === null)).toBe(true);
  });

  it('the steady hot run counts only after the horizon, and its items, holding only what is in flight (commit and abort leave no entry), stay the size of fresh ones', () => {
    const [units] = hot.awsUnits ?? [];
    const steady = units?.steadyHot;
    expect(steady?.warmupMs).toBe(INTENT_HORIZON_MS + STEADY_MARGIN_MS);
    expect(steady?.transactions).toBeGreaterThanOrEqual(2);
    const rows = steady?.breakdown ?? [];
    const total = rows.reduce((sum, row) => sum + row.tableUnits + row.indexUnits, 0);
    expect(total).toBeCloseTo(steady?.awsWriteUnits ?? Number.NaN, 9);
    // The item sizes are those of the counted transfers' business-item writes, every one of them.
    const itemRows = rows.filter((row) => row.kind === 'item');
    expect(steady?.items.samples).toBe(Math.round(itemRows.reduce((sum, row) => sum + row.writes, 0) * (steady?.transactions ?? 0)));
    expect(steady?.items.maxBytes).toBe(Math.max(...itemRows.map((row) => row.maxBilledBytes)));
    expect(steady?.items.writeUnitsAtMax).toBe(Math.ceil((steady?.items.maxBytes ?? 0) / 1024));
    // A spread transfer's items are new (their own entry at most). Were finished entries kept for the horizon, the steady
    // items would carry every transfer of the last 10 s (over twice a fresh item's size at this rate, as this test showed then).
    const spreadItemBytes = Math.max(...(units?.spreadAccounts.breakdown ?? []).filter((row) => row.kind === 'item').map((row) => row.maxBilledBytes));
    expect(steady?.items.maxBytes).toBeLessThan(2 * spreadItemBytes);
    expect(steady?.items.writeUnitsAtMax).toBe(1);
    // Read beside the count: the payer's item holds the one transfer in flight at most, and nothing was refused.
    expect(steady?.payerItem.samples).toBeGreaterThanOrEqual(1);
    expect(steady?.payerItem.maxEntries).toBeLessThanOrEqual(1);
    expect(steady).toMatchObject({ inFlight: 1, waitedForLock: 0, abortReasons: {} });
    expect(steady?.transfers).toBe(steady?.transactions);
  });

  it('the shared fee run samples its fee account’s item, which holds only the transfers in flight', () => {
    const item = hot.feeAccounts!.sharedFeeItem;
    expect(item.samples).toBeGreaterThanOrEqual(1);
    expect(item.maxBytes).toBeGreaterThanOrEqual(item.meanBytes);
    expect(item.writeUnitsAtMax).toBe(Math.max(1, Math.ceil(item.maxBytes / 1024)));
    // Six committed transfers, three in flight: at most three P entries at once, none kept after its commit, so one unit a
    // write. (With finished entries kept for the horizon it held all six, and more on a longer run.)
    expect(item.writeUnitsAtMax).toBe(1);
  });

  it('the report says the write-unit rule and shows the steady hot and fee item figures', () => {
    // The full report of the tiny run, with the units and fee figures of the run with holds in the item.
    const text = renderReport({ ...results, awsUnits: hot.awsUnits!, feeAccounts: hot.feeAccounts! }, []);
    expect(text).toContain("### Write units per committed transaction by AWS's rules, hot and spread items");
    expect(text).toContain('larger of the item before and after, 1 WRU per 1 KB');
    expect(text).toContain(`Steady hot, N=2: ${hot.awsUnits?.[0]?.steadyHot?.awsWriteUnits.toFixed(1)} per transfer`);
    expect(text).toContain(
      `The shared fee account's item, read consistently beside the run, ${hot.feeAccounts!.sharedFeeItem.sampleEveryMs} ms between reads: largest ${hot.feeAccounts!.sharedFeeItem.maxBytes} bytes`,
    );
  });
});
