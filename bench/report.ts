/** Renders benchmark results as Markdown tables, the same text the terminal and BENCHMARKS.md show. Pure. */
import { INTENT_HORIZON_MS } from '../lambdas/protocol/heldIntent.js';
import { renderBreakdown } from './awsUnitsBreakdown.js';
import { type BenchResults, type CostResult, STEADY_ONE_PHASE_SHAPE, type SteadyHotUnits, feeItemLine, steadyLine } from './suite.js';
import type { CellResult, Spread } from './summary.js';
import type { LatencySummary } from './timeline.js';

const fixed = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');
const usd = (v: number) => (Number.isFinite(v) ? `$${v.toFixed(2)}` : '–');
const latency = (l: LatencySummary) => `${fixed(l.p50)} / ${fixed(l.p95)} / ${fixed(l.p99)}`;
const range = (s: Spread, digits = 0) => (s.min === s.max ? fixed(s.min, digits) : `${fixed(s.mean, 1)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`);
const verdict = (met: boolean) => (met ? 'met' : '**MISSED**');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function find(cells: readonly CellResult[], system: CellResult['system'], n: number, c: number) {
  return cells.find((x) => x.system === system && x.participants === n && x.concurrency === c);
}

function latencyTable(r: BenchResults): string {
  const rows: string[][] = [];
  for (const pakka of r.cells.filter((c) => c.system === 'pakka')) {
    for (const system of ['transactWriteItems', 'updateItem'] as const) {
      const base = find(r.cells, system, pakka.participants, pakka.concurrency);
      if (!base) continue;
      rows.push([
        String(pakka.participants),
        String(pakka.concurrency),
        latency(pakka.latencyMs),
        fixed(pakka.committedPerSecond),
        system === 'updateItem' ? 'UpdateItem' : 'TransactWriteItems',
        latency(base.latencyMs),
        fixed(base.committedPerSecond),
        `${fixed(pakka.latencyMs.p50 / base.latencyMs.p50)}×`,
        `${fixed(pakka.committedPerSecond / base.committedPerSecond, 2)}×`,
      ]);
    }
  }
  return table(
    [
      'N',
      'in flight',
      'Pakka p50 / p95 / p99 ms',
      'Pakka commits/s',
      'baseline',
      'baseline p50 / p95 / p99 ms',
      'baseline commits/s',
      'latency p50 Pakka/baseline',
      'throughput Pakka/baseline',
    ],
    rows,
  );
}

function workTable(r: BenchResults): string {
  const rows = r.targets.writesPerCommit.map((t) => {
    const cell = find(r.cells, 'pakka', t.participants, 1) ?? r.cells.find((c) => c.system === 'pakka' && c.participants === t.participants);
    const base = find(r.cells, 'transactWriteItems', t.participants, 1);
    const w = cell?.committedWork;
    return [
      String(t.participants),
      range(t.measured),
      String(t.documented),
      String(t.protocolMinimum),
      String(t.target),
      w ? range(w.readRequests) : '–',
      w ? range(w.writeUnits) : '–',
      base?.committedWork ? range(base.committedWork.writeUnits) : '–',
      w?.roundTripsToOutcome ? range(w.roundTripsToOutcome) : '–',
      w ? range(w.roundTripsToCompletion) : '–',
      w ? range(w.stateTransitions) : '–',
      w ? range(w.lambdaInvocations) : '–',
    ];
  });
  return table(
    [
      'N',
      'write requests',
      'documented 2N+1',
      'minimum 2N+1',
      'target ≤ 2N+1',
      'read requests',
      'write units',
      'baseline write units',
      'round trips to outcome (floor 2)',
      'round trips to completion (floor 3)',
      'state transitions',
      'Lambda invocations',
    ],
    rows,
  );
}

function sourcesLine(r: BenchResults, n: number): string {
  const w = find(r.cells, 'pakka', n, 1)?.committedWork;
  if (!w) return '';
  const parts = Object.entries(w.writesBySource).map(
    ([source, mean]) => `${source} ${fixed(mean, Number.isInteger(mean) ? 0 : 2)} (${fixed(w.writeUnitsBySource[source] ?? 0, 1)} units)`,
  );
  const states = Object.entries(w.statesEntered).map(([state, mean]) => `${state} ${fixed(mean, Number.isInteger(mean) ? 0 : 2)}`);
  return [
    `Write requests (and write units) of one committed N=${n} transaction, by sender: ${parts.join(', ')}.`,
    '',
    `States entered by one committed N=${n} transaction (each a billed transition on a Standard workflow): ${states.join(', ')}.`,
  ].join('\n');
}

function timeTable(r: BenchResults): string {
  const rows = r.cells
    .filter((c) => c.system === 'pakka' && c.time)
    .map((c) => {
      const t = c.time!;
      return [
        String(c.participants),
        String(c.concurrency),
        fixed(c.latencyMs.mean),
        pct(t.dynamo),
        pct(t.participantCode),
        pct(t.engine),
        pct(t.start),
        pct(t.engine - t.start),
      ];
    });
  return table(
    [
      'N',
      'in flight',
      'mean latency ms',
      'DynamoDB in flight',
      'participant code alone',
      'engine and adapters alone (coordinator overhead)',
      'of which the start call',
      'of which the rest of the execution',
    ],
    rows,
  );
}

function abortTable(r: BenchResults): string {
  const rows = r.aborts.map((a) => [
    String(a.participants),
    `${a.aborted}/${a.transactions}`,
    Object.entries(a.reasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '–',
    a.work ? range(a.work.writeRequests) : '–',
    a.work ? range(a.work.readRequests) : '–',
    a.work ? `${range(a.work.writeUnits)}${a.work.estimatedUnits > 0 ? ' (part estimated)' : ''}` : '–',
    a.work?.roundTripsToOutcome ? range(a.work.roundTripsToOutcome) : '–',
    fixed(a.latencyMs.p50),
  ]);
  return table(['N', 'aborted', 'reasons', 'write requests', 'read requests', 'write units', 'round trips to outcome', 'p50 ms'], rows);
}

function contentionBlock(r: BenchResults): string {
  const c = r.contention;
  const reasons =
    Object.entries(c.abortReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    table(
      [
        'accounts',
        'in flight',
        'transactions',
        'committed',
        'aborted (rate)',
        'abort reasons',
        'commits/s',
        'p50 / p95 / p99 ms (all finished)',
        'max ms',
        'went through WaitForLock',
        'unfinished',
      ],
      [
        [
          String(c.accounts),
          String(c.inFlight),
          String(c.transactions),
          String(c.committed),
          `${c.aborted} (${pct(c.abortRate)})`,
          reasons,
          fixed(c.committedPerSecond),
          latency(c.latencyMs),
          fixed(c.latencyMs.max, 0),
          String(c.waitedForLock),
          String(c.unfinished),
        ],
      ],
    ),
    '',
    `WaitForLock: ${c.waitedForLock} of ${c.transactions} transactions met a held lock and waited 1 s before preparing again; their p50 / p99 was ${fixed(c.waitedLatencyMs.p50, 0)} / ${fixed(c.waitedLatencyMs.p99, 0)} ms, against ${fixed(c.notWaitedLatencyMs.p50, 0)} / ${fixed(c.notWaitedLatencyMs.p99, 0)} ms for those that did not wait.`,
    `Checks after the run: sum of balances ${c.invariants.balanceBefore} before, ${c.invariants.balanceAfter} after (${c.invariants.conserved ? 'conserved' : '**NOT conserved**'}); locks left ${c.invariants.locksLeft}; transactions not final ${c.invariants.openTransactions}; every transaction finished within ${c.boundMs} ms: ${c.deadlockFree ? 'yes' : '**no**'}.`,
    c.committedWork && c.abortedWork
      ? `Work under contention: ${fixed(c.committedWork.writeRequests.mean)} write requests per commit, ${fixed(c.abortedWork.writeRequests.mean)} per abort (${fixed(c.abortedWork.writeUnits.mean)} write units, ${fixed(c.abortedWork.estimatedUnits / Math.max(1, c.abortedWork.transactions))} of them estimated).`
      : '',
  ].join('\n');
}

function hotItemsBlock(r: BenchResults): string {
  const f = r.feeAccounts;
  const row = (run: typeof f.shared) => [
    run.feeAccounts === 'shared' ? 'one shared fee account' : 'a fee account per transfer',
    String(run.transfers),
    `${run.committed} (${pct(run.commitRate)})`,
    Object.entries(run.abortReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none',
    fixed(run.committedPerSecond),
    latency(run.latencyMs),
  ];
  const lockConflicts = r.contention.abortReasons.LOCK_CONFLICT ?? 0;
  return [
    `The UPI flow (payer bank debit, payee bank credit, the switch's fee credit), ${f.shape.inFlight} in flight, every payer funded: the same load with all fees credited to one account and with one fee account per transfer.`,
    '',
    table(['fee accounts', 'transfers', 'committed', 'abort reasons', 'commits/s', 'p50 / p95 / p99 ms'], [row(f.shared), row(f.spread)]),
    '',
    `Shared over spread commits per second: ${fixed(f.sharedOverSpread, 2)} (target >= 0.8: ${verdict(f.sharedOverSpread >= 0.8)}); every good transfer committed: ${verdict(f.shared.commitRate === 1 && f.spread.commitRate === 1)}.`,
    `The shared fee account's item, read consistently beside the run, ${f.sharedFeeItem.sampleEveryMs} ms between reads: ${feeItemLine(f.sharedFeeItem)}.`,
    `Contention workload: ${lockConflicts} of ${r.contention.transactions} transfers (${pct(r.contention.transactions ? lockConflicts / r.contention.transactions : 0)}) aborted with LOCK_CONFLICT, every payer funded (target below 2%: ${verdict(r.contention.transactions > 0 && lockConflicts / r.contention.transactions < 0.02)}).`,
  ].join('\n');
}

/** AWS's rule for a write's units, as the hot-item figures apply it. */
export const WRITE_UNITS_RULE = `A write is billed on the larger of the item before and after, 1 WRU per 1 KB rounded up (DynamoDB developer guide, "DynamoDB read and write operations", "Capacity unit consumption for write operations"); a two-phase commit or abort removes its entry, so a hot item holds the transfers in flight and the tombstones of the last ${INTENT_HORIZON_MS / 1000} s, and a one-phase commit's entry (claimed first) goes once its record is final; the steady shapes, counted once that time has passed, show whether writes grow with the rate.`;

function awsUnitsBlock(r: BenchResults): string {
  // N = 4's steady shape and N = 1's one-phase runs share the steady columns.
  const steadyRuns = (u: BenchResults['awsUnits'][number]): SteadyHotUnits[] => [...(u.steadyHot ? [u.steadyHot] : []), ...(u.steadyHotOnePhase ?? [])];
  const cell = (runs: SteadyHotUnits[], show: (s: SteadyHotUnits) => string) => (runs.length ? runs.map(show).join('; ') : '–');
  const rows = r.awsUnits.map((u) => [
    String(u.participants),
    fixed(u.awsWriteUnits),
    fixed(u.spreadAccounts.awsWriteUnits),
    cell(steadyRuns(u), (s) => `${fixed(s.awsWriteUnits)} (${s.transactions} at ${fixed(s.transfersPerSecond)}/s, ${s.inFlight} in flight)`),
    cell(steadyRuns(u), (s) => `${s.items.maxBytes} (${s.items.writeUnitsAtMax} WRU a write), ${s.payerItem.maxEntries} entries`),
    fixed(u.baselineAwsWriteUnits),
  ]);
  const steady = r.awsUnits.find((u) => u.steadyHot);
  return [
    WRITE_UNITS_RULE,
    '',
    table(
      [
        'N',
        'hot: same accounts, short run',
        'spread: new accounts every transfer',
        'steady hot: counted once entries go as fast as they come',
        "steady hot: largest business item, bytes; most entries in the payer's item",
        'one TransactWriteItems',
      ],
      rows,
    ),
    '',
    steady?.steadyHot ? `Steady hot, N=${steady.participants}: ${steadyLine(steady.steadyHot)}.` : 'Steady hot: not run in this profile.',
    '',
    steadyOnePhaseBlock(r.awsUnits.flatMap((u) => u.steadyHotOnePhase ?? [])),
  ].join('\n');
}

/** The steady hot one-phase shape's description and one line per run (none: the profile did not run it). */
export function steadyOnePhaseBlock(runs: readonly SteadyHotUnits[]): string {
  if (!runs.length) return 'Steady hot one-phase: not run in this profile (the full profile runs it).';
  return [STEADY_ONE_PHASE_SHAPE, '', ...runs.flatMap((s) => [`- ${s.inFlight} in flight: ${steadyLine(s)}.`, ...renderBreakdown(s.breakdown)])].join('\n');
}

function costTable(r: BenchResults): string {
  const rows = r.costs.flatMap((c: CostResult) => [
    [
      String(c.participants),
      'Standard',
      `${fixed(c.perCommit.stateTransitions, 0)} transitions: ${usd(c.standard.stepFunctions)}`,
      `${fixed(c.perCommit.lambdaInvocations, 0)} × ${usd(c.standard.lambdaRequests / c.perCommit.lambdaInvocations)}: ${usd(c.standard.lambdaRequests)}`,
      `${fixed(c.perCommit.lambdaBilledMs, 0)} ms: ${usd(c.standard.lambdaDuration)}`,
      `${fixed(c.perCommit.writeUnits, 1)} WRU by AWS's rules (DynamoDB Local reports ${fixed(c.dynamoDbLocalWriteUnits, 1)}): ${usd(c.standard.dynamodbWrites)}`,
      `${fixed(c.perCommit.readUnits, 1)} RRU: ${usd(c.standard.dynamodbReads)}`,
      `**${usd(c.standard.total)}**`,
      usd(c.baselineDynamo),
    ],
    [
      String(c.participants),
      'Express',
      `1 request + ${fixed(c.perCommit.executionMs, 0)} ms: ${usd(c.express.stepFunctions)}`,
      usd(c.express.lambdaRequests),
      usd(c.express.lambdaDuration),
      usd(c.express.dynamodbWrites),
      usd(c.express.dynamodbReads),
      `**${usd(c.express.total)}**`,
      usd(c.baselineDynamo),
    ],
  ]);
  return table(
    [
      'N',
      'workflow',
      'Step Functions',
      'Lambda requests',
      'Lambda duration',
      'DynamoDB writes',
      'DynamoDB reads',
      'total per million commits',
      'baseline TransactWriteItems (DynamoDB only)',
    ],
    rows,
  );
}

function targetsBlock(r: BenchResults): string {
  const t = r.targets;
  const lines = [
    ...t.writesPerCommit.map((w) => `- Write requests per commit, N=${w.participants}: measured ${range(w.measured)}, target ≤ ${w.target}: ${verdict(w.met)}`),
    `- Sequential round trips to a known outcome: max ${t.roundTripsToOutcome.max}, target ≤ ${t.roundTripsToOutcome.target}: ${verdict(t.roundTripsToOutcome.met)}`,
    `- Sequential round trips to completion: max ${t.roundTripsToCompletion.max}, target ≤ ${t.roundTripsToCompletion.target}: ${verdict(t.roundTripsToCompletion.met)}`,
    t.coordinatorOverhead
      ? `- Coordinator overhead at N=4, one in flight: ${pct(t.coordinatorOverhead.share)}, target ≤ 25%: ${verdict(t.coordinatorOverhead.met)} (without the start call: ${pct(t.coordinatorOverhead.share - t.coordinatorOverhead.startShare)})`
      : '- Coordinator overhead at N=4, one in flight: not measured in this profile',
    `- Contention: no deadlock (max ${fixed(t.contention.maxMs, 0)} ms < bound ${t.contention.boundMs} ms), p99 ${fixed(t.contention.p99Ms, 0)} ms, invariants hold: ${verdict(t.contention.met)}`,
  ];
  return lines.join('\n');
}

export function renderReport(r: BenchResults, header: string[] = []): string {
  return [
    ...header,
    `Profile ${r.profile}, started ${r.startedAt}, took ${fixed(r.durationMs / 1000, 0)} s. Latencies in ms; "in flight" is the number of transactions kept running at once.`,
    '',
    '### Latency and throughput (committed transactions)',
    latencyTable(r),
    '',
    '### Work per committed transaction (counted by SDK middleware)',
    workTable(r),
    '',
    sourcesLine(r, 4) || sourcesLine(r, r.targets.writesPerCommit[0]?.participants ?? 1),
    '',
    '### Where the time goes (share of end-to-end latency)',
    timeTable(r),
    '',
    '### Work per aborted transaction (first bank votes INSUFFICIENT_FUNDS)',
    abortTable(r),
    '',
    '### Contention',
    contentionBlock(r),
    '',
    '### Hot items: one fee account for every transfer',
    hotItemsBlock(r),
    '',
    "### Write units per committed transaction by AWS's rules, hot and spread items",
    awsUnitsBlock(r),
    '',
    `### Cost per million committed transactions on AWS (${r.prices.region}, prices checked ${r.prices.checked}, Lambda ${r.prices.lambdaMemoryMb} MB arm64${r.prices.lambdaMemoryIsAssumed ? ' assumed' : ''})`,
    costTable(r),
    '',
    '### Targets',
    targetsBlock(r),
    '',
    `Peak RSS of the benchmark process: ${fixed(r.memory.benchmarkPeakRssMb, 0)} MB. Requests outside measured transactions (setup, read-back), not counted: ${r.uncountedRequests}.`,
  ].join('\n');
}
