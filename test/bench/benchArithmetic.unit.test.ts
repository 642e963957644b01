/** The benchmark's pure arithmetic: round-trip chains, covered time, percentiles, capacity units, prices. */
import { describe, expect, it } from 'vitest';
import { awsUnitsBreakdown, writtenKind } from '../../bench/awsUnitsBreakdown.js';
import { failedWriteUnits, itemSize, reportedUnits } from '../../bench/capacity.js';
import type { TxnMeasurement } from '../../bench/measurement.js';
import { CoordinatorTasks } from '../../bench/coordinatorTasks.js';
import { expressCost, loadPrices, standardCost } from '../../bench/costModel.js';
import { type ItemSample, businessItemBilledSizes, itemSampleOf, itemSampleSummary, itemSizeSummary, sampleItem } from '../../bench/hotItemSize.js';
import { steadyOnePhaseBlock } from '../../bench/report.js';
import { STEADY_ONE_PHASE_SHAPE, type SteadyHotUnits } from '../../bench/suite.js';
import { allStates, loadDefinition } from '../../local/stateMachine.js';
import { coveredTime, longestSequentialChain, percentile, summarize } from '../../bench/timeline.js';
import { benchParticipantConfig } from '../../bench/workload.js';

const at = (start: number, end: number) => ({ start, end });

describe('longestSequentialChain', () => {
  it('counts requests that wait for each other, not those that run side by side', () => {
    // begin, four prepares in parallel, decision, four commits in parallel, mark
    const prepares = [at(10, 20), at(11, 25), at(10, 22), at(12, 24)];
    const commits = [at(31, 40), at(31, 41), at(32, 39), at(31, 45)];
    expect(longestSequentialChain([at(0, 10), ...prepares, at(25, 30), ...commits, at(45, 50)])).toBe(5);
    expect(longestSequentialChain(prepares)).toBe(1);
    expect(longestSequentialChain([])).toBe(0);
  });

  it('lets a request start at the instant the previous one ended', () => {
    expect(longestSequentialChain([at(0, 5), at(5, 9)])).toBe(2);
    expect(longestSequentialChain([at(0, 5), at(4.9, 9)])).toBe(1);
  });
});

describe('coveredTime', () => {
  it('merges overlapping intervals and clips to the window', () => {
    expect(coveredTime([at(0, 10), at(5, 15), at(20, 30)])).toBe(25);
    expect(coveredTime([at(0, 10), at(5, 15), at(20, 30)], 8, 22)).toBe(9);
    expect(coveredTime([])).toBe(0);
  });
});

describe('percentiles', () => {
  it('uses the nearest rank, so every figure is an observed value', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(summarize([3, 1, 2])).toMatchObject({ count: 3, p50: 2, p95: 3, p99: 3, max: 3, mean: 2 });
    expect(Number.isNaN(summarize([]).p50)).toBe(true);
  });
});

describe('capacity units', () => {
  it('sizes items by AWS rules: names and values, numbers by significant digits, maps with overhead', () => {
    expect(itemSize({ pk: { S: 'ITEM#a' } })).toBe(2 + 6);
    expect(itemSize({ balance: { N: '1000000000000' } })).toBe(7 + 2);
    expect(itemSize({ m: { M: { ab: { S: 'xyz' } } } })).toBe(1 + 3 + 1 + 2 + 3);
    expect(itemSize({ ok: { BOOL: true } })).toBe(3);
  });

  it('reads reported units for one request or a transaction', () => {
    expect(reportedUnits('TransactWriteItems', [{ CapacityUnits: 4 }, { CapacityUnits: 2 }])).toEqual({ write: 6, read: 0 });
    expect(reportedUnits('GetItem', { CapacityUnits: 1 })).toEqual({ write: 0, read: 1 });
    expect(reportedUnits('PutItem', undefined)).toBeUndefined();
  });

  it('estimates a failed write from the larger of the sent and the existing item', () => {
    const big = { pk: { S: 'x' }, blob: { S: 'y'.repeat(1500) } };
    expect(failedWriteUnits('PutItem', { Item: { pk: { S: 'x' } } }, [undefined])).toBe(1);
    expect(failedWriteUnits('UpdateItem', { Key: { pk: { S: 'x' } } }, [big])).toBe(2);
    expect(
      failedWriteUnits('TransactWriteItems', { TransactItems: [{ Put: { Item: { pk: { S: 'r' } } } }, { Update: { Key: { pk: { S: 'x' } } } }] }, [
        undefined,
        big,
      ]),
    ).toBe(2 + 4);
    expect(failedWriteUnits('GetItem', {}, [])).toBe(0);
  });
});

describe('CoordinatorTasks', () => {
  const substitutions = { CoordinatorLogTable: 'log' };
  const tasks = new CoordinatorTasks(substitutions);
  const states = Object.fromEntries(
    allStates((loadDefinition(substitutions) as unknown as { States: Parameters<typeof allStates>[0] }).States),
  ) as unknown as Record<string, { Parameters: Record<string, unknown> }>;

  /** The request a state sends, as far as its constants go (paths are filled at run time). */
  function requestOf(state: string, operation: string) {
    const parameters = states[state]!.Parameters as {
      UpdateExpression?: string;
      ConditionExpression?: string;
      ExpressionAttributeValues: Record<string, Record<string, unknown>>;
    };
    const values = Object.fromEntries(
      Object.entries(parameters.ExpressionAttributeValues).map(([name, v]) => [name, Object.fromEntries(Object.entries(v).filter(([t]) => !t.endsWith('.$')))]),
    );
    return { operation, updateExpression: parameters.UpdateExpression, conditionExpression: parameters.ConditionExpression, values };
  }

  it('finds the decision writes by their write-once condition', () => {
    expect(tasks.identify(requestOf('LogCommitDecision', 'UpdateItem'))).toMatchObject({ state: 'LogCommitDecision', isDecision: true });
    expect(tasks.identify(requestOf('LogAbortDecision', 'UpdateItem'))).toMatchObject({ state: 'LogAbortDecision', isDecision: true });
    expect(tasks.identify(requestOf('CommitLeftToRecovery', 'UpdateItem'))).toMatchObject({ state: 'CommitLeftToRecovery', isDecision: false });
  });

  it('tells CommitLeftToRecovery from AbortLeftToRecovery by the constant values they write', () => {
    expect(tasks.identify(requestOf('CommitLeftToRecovery', 'UpdateItem'))?.state).toBe('CommitLeftToRecovery');
    expect(tasks.identify(requestOf('AbortLeftToRecovery', 'UpdateItem'))?.state).toBe('AbortLeftToRecovery');
    expect(tasks.identify({ operation: 'DeleteItem', updateExpression: undefined, conditionExpression: undefined })).toBeUndefined();
  });
});

describe('cost model', () => {
  const prices = loadPrices();
  const work = { stateTransitions: 20, lambdaInvocations: 4, lambdaBilledMs: 100, writeUnits: 40, readUnits: 0, executionMs: 150 };

  it('prices a Standard workflow per transition, Lambda per request and GB-second, DynamoDB per unit', () => {
    const cost = standardCost(work, prices);
    expect(cost.stepFunctions).toBeCloseTo(20 * prices.stepFunctions.standardPerStateTransition * 1e6, 9);
    expect(cost.lambdaRequests).toBeCloseTo(4 * prices.lambda.perRequest * 1e6, 9);
    expect(cost.lambdaDuration).toBeCloseTo(0.1 * (prices.lambda.memoryMb / 1024) * prices.lambda.perGbSecondArm64 * 1e6, 9);
    expect(cost.dynamodbWrites).toBeCloseTo(40 * prices.dynamodb.perWriteRequestUnit * 1e6, 9);
  });

  it('bills an Express execution per request and per started 100 ms of one 64 MB chunk', () => {
    const sf = prices.stepFunctions;
    const cost = expressCost(work, prices);
    expect(cost.stepFunctions).toBeCloseTo((sf.expressPerRequest + 0.2 * (64 / 1024) * sf.expressPerGbSecond) * 1e6, 9);
    expect(cost.dynamodbWrites).toBe(standardCost(work, prices).dynamodbWrites);
  });
});

describe('awsUnitsBreakdown', () => {
  const write = (source: string, operation: string, table: string, key: string, units: number, bytes: [number, number], refused = false) => ({
    source,
    operation,
    table,
    key,
    transactional: false,
    bytesBefore: bytes[0],
    bytesAfter: bytes[1],
    tableUnits: units,
    indexUnits: 1,
    ...(refused ? { refused: true as const } : {}),
  });
  const txn = (writes: TxnMeasurement['awsItemWrites']) => ({ awsItemWrites: writes }) as TxnMeasurement;

  it('tells the log, a record and a business item apart', () => {
    expect(writtenKind('log', 'txn-1', 'log')).toBe('log');
    expect(writtenKind('bank', 'TXN#t', 'log')).toBe('record');
    expect(writtenKind('bank', 'ITEM#a', 'log')).toBe('item');
  });

  it('averages each sender’s writes per transaction, refused ones apart, with the sizes they were billed on', () => {
    const rows = awsUnitsBreakdown(
      [
        txn([
          write('participant:prepare', 'UpdateItem', 'bank', 'ITEM#a', 2, [1000, 1100]),
          write('participant:prepare', 'UpdateItem', 'bank', 'ITEM#b', 1, [0, 80], true),
        ]),
        txn([write('participant:prepare', 'UpdateItem', 'bank', 'ITEM#a', 1, [600, 700])]),
      ],
      'log',
    );
    expect(rows).toEqual([
      {
        source: 'participant:prepare',
        operation: 'UpdateItem',
        kind: 'item',
        writes: 1,
        tableUnits: 1.5,
        indexUnits: 1,
        meanBytesBefore: 800,
        meanBytesAfter: 900,
        maxBilledBytes: 1100,
      },
      {
        source: 'participant:prepare',
        operation: 'UpdateItem (refused)',
        kind: 'item',
        writes: 0.5,
        tableUnits: 0.5,
        indexUnits: 0.5,
        meanBytesBefore: 0,
        meanBytesAfter: 80,
        maxBilledBytes: 80,
      },
    ]);
  });
});

describe('hot item sizes', () => {
  it('bills a standard write on whole KB of the size: 1024 bytes is 1 unit, 1025 is 2, and nothing is still 1', () => {
    expect(itemSizeSummary([1024, 1025, 3000])).toEqual({ samples: 3, maxBytes: 3000, meanBytes: 1683, writeUnitsAtMax: 3, meanWriteUnits: 2 });
    expect(itemSizeSummary([10])).toMatchObject({ writeUnitsAtMax: 1, meanWriteUnits: 1 });
    expect(itemSizeSummary([])).toEqual({ samples: 0, maxBytes: 0, meanBytes: 0, writeUnitsAtMax: 0, meanWriteUnits: 0 });
  });

  it('takes the business items’ writes at the larger of before and after, not the log’s or the records’', () => {
    const w = (table: string, key: string, bytesBefore: number, bytesAfter: number) => ({
      source: 's',
      operation: 'UpdateItem',
      table,
      key,
      transactional: false,
      bytesBefore,
      bytesAfter,
      tableUnits: 1,
      indexUnits: 0,
    });
    const txns = [
      { awsItemWrites: [w('log', 'txn-1', 5000, 5000), w('bank', 'TXN#t', 4000, 4000), w('bank', 'ITEM#a', 1200, 1100)] },
      { awsItemWrites: [w('bank', 'ITEM#b', 0, 90)] },
    ] as TxnMeasurement[];
    expect(businessItemBilledSizes(txns, 'log')).toEqual([1200, 90]);
  });

  it('samples an item until stopped, then once more, leaving out reads that found no item', async () => {
    const answers = [undefined, 100, 200, 300, 400, 500];
    let reads = 0;
    const sampler = sampleItem(async () => answers[reads++], 1);
    while (reads < 4) await new Promise((resolve) => setTimeout(resolve, 1));
    const sizes = await sampler.stop();
    // Every read but the first (no item) is a sample, the one stop() makes included, in order.
    expect(sizes).toEqual(answers.slice(1, reads));
    expect(sizes.at(-1)).toBe(answers[reads - 1]);
    expect(reads).toBeGreaterThanOrEqual(5);
  });
});

describe('a hot item read beside a run', () => {
  const entry = (at: string) => ({ M: { s: { S: 'C' }, d: { S: 'x'.repeat(64) }, at: { S: at }, one: { BOOL: true } } });
  const readAt = Date.parse('2026-12-08T01:00:30.000Z');

  it('counts the entries of its intents map, weighs them by AWS rules (the map’s own 3 bytes left out) and ages the oldest', () => {
    const item = {
      pk: { S: 'ITEM#a' },
      balance: { N: '5' },
      intents: { M: { 't-1': entry('2026-12-08T01:00:10.000Z'), 't-22': entry('2026-12-08T01:00:07.500Z') } },
    };
    // One entry's value: 3 for the map, then per attribute 1 + name + value: s 1+1+1, d 1+1+64, at 1+2+24, one 1+3+1.
    const value = 3 + 3 + 66 + 27 + 5;
    expect(itemSampleOf(item, readAt)).toEqual({ bytes: itemSize(item), entries: 2, entryBytes: 1 + 3 + value + (1 + 4 + value), oldestEntryAgeMs: 22_500 });
    expect(itemSampleOf({ pk: { S: 'ITEM#a' } }, readAt)).toEqual({ bytes: 8, entries: 0, entryBytes: 0, oldestEntryAgeMs: 0 });
    expect(itemSampleOf({ pk: { S: 'ITEM#a' }, intents: { M: {} } }, readAt)).toMatchObject({ entries: 0, entryBytes: 0, oldestEntryAgeMs: 0 });
  });

  it('summarizes sizes as the fee item does, with the most and mean entries and the mean bytes of one', () => {
    const samples: ItemSample[] = [
      { bytes: 300, entries: 0, entryBytes: 0, oldestEntryAgeMs: 0 },
      { bytes: 2000, entries: 10, entryBytes: 1400, oldestEntryAgeMs: 21_000 },
      { bytes: 3100, entries: 20, entryBytes: 2800, oldestEntryAgeMs: 24_000 },
    ];
    expect(itemSampleSummary(samples)).toEqual({
      ...itemSizeSummary([300, 2000, 3100]),
      maxEntries: 20,
      meanEntries: 10,
      bytesPerEntry: 140,
      maxEntryAgeMs: 24_000,
      meanOldestEntryAgeMs: 15_000,
    });
    expect(itemSampleSummary([])).toEqual({
      ...itemSizeSummary([]),
      maxEntries: 0,
      meanEntries: 0,
      bytesPerEntry: 0,
      maxEntryAgeMs: 0,
      meanOldestEntryAgeMs: 0,
    });
  });
});

describe('the steady hot one-phase lines of the report', () => {
  const run = (inFlight: number, refused: number, aborted: Record<string, number>): SteadyHotUnits => ({
    inFlight,
    warmupMs: 22_000,
    transfers: 50,
    transactions: 50 - Object.values(aborted).reduce((sum, n) => sum + n, 0),
    transfersPerSecond: 10,
    warmupTransfersPerSecond: 12.5,
    awsWriteUnits: 33.25,
    breakdown: [
      {
        source: 'participant:commitOnePhase',
        operation: 'UpdateItem',
        kind: 'item',
        writes: 2,
        tableUnits: 56,
        indexUnits: 0,
        meanBytesBefore: 28_000,
        meanBytesAfter: 27_900,
        maxBilledBytes: 29_000,
      },
    ],
    items: itemSizeSummary([28_000, 29_000]),
    payerItem: { ...itemSizeSummary([28_100]), maxEntries: 200, meanEntries: 199.5, bytesPerEntry: 140.4, maxEntryAgeMs: 21_260, meanOldestEntryAgeMs: 20_540 },
    waitedForLock: refused,
    abortReasons: aborted,
  });

  it('describe the shape and give, per number in flight, the units, the item’s size and entries, and the LOCK_CONFLICT refusals', () => {
    const text = steadyOnePhaseBlock([run(1, 0, {}), run(4, 3, { LOCK_CONFLICT: 2, UNFINISHED: 1 })]);
    expect(text.startsWith(STEADY_ONE_PHASE_SHAPE)).toBe(true);
    expect(STEADY_ONE_PHASE_SHAPE).toContain('commitOnePhase');
    expect(STEADY_ONE_PHASE_SHAPE).toContain('22 s uncounted');
    expect(text).toContain(
      '- 1 in flight: 33.3 per transfer over 50 committed of 50 transfers (10.0/s, 1 in flight) counted after 22 s at 12.5/s on the same accounts; business items billed on up to 29000 bytes (29 WRU a write), 28500 on average (28.50 WRU a write)',
    );
    expect(text).toContain(
      "the payer's item, read 1 times beside the count, up to 28100 bytes (28100 on average) with up to 200 entries (199.5 on average, 140 bytes each), the oldest 20.5 s old on average (21.3 s at most)",
    );
    expect(text).toMatch(/- 1 in flight: .*LOCK_CONFLICT: 0 refused and retried after 1 s, 0 aborted\.$/m);
    // Each run's units by sender follow its line: here the commit's item write and its pass's, both on the whole item.
    expect(text).toContain(
      '0 aborted.\n  participant:commitOnePhase UpdateItem item: 2 writes, 56 table + 0 index units; bytes 28000 → 27900 (billed on up to 29000)',
    );
    expect(text).toMatch(/- 4 in flight: .*LOCK_CONFLICT: 3 refused and retried after 1 s, 2 aborted; other outcomes: UNFINISHED 1\.$/m);
  });

  it('say so when the profile did not run it', () => {
    expect(steadyOnePhaseBlock([])).toBe('Steady hot one-phase: not run in this profile (the full profile runs it).');
  });
});

describe('the benchmark banks', () => {
  it('hold one-item escrows in their items by default, and every hold in a record with --record-layout', () => {
    expect([...benchParticipantConfig().values()].every((spec) => spec.holdsInItems)).toBe(true);
    expect([...benchParticipantConfig(true).values()].every((spec) => !spec.holdsInItems)).toBe(true);
  });
});
