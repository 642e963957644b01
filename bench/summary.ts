/** Folds per-transaction figures into the figures a cell of the report shows. Pure. */
import type { Outcome, TxnMeasurement } from './measurement.js';
import { type LatencySummary, summarize } from './timeline.js';

export interface Spread {
  mean: number;
  min: number;
  max: number;
}

export interface WorkSummary {
  transactions: number;
  writeRequests: Spread;
  readRequests: Spread;
  httpAttempts: Spread;
  writeUnits: Spread;
  readUnits: Spread;
  /** Units computed from item sizes (failed writes), summed over the transactions; 0 means all were reported. */
  estimatedUnits: number;
  roundTripsToOutcome: Spread | null;
  roundTripsToCompletion: Spread;
  stateTransitions: Spread;
  lambdaInvocations: Spread;
  lambdaBilledMs: Spread;
  /** Mean write requests per transaction, by the Task state or participant action that sent them. */
  writesBySource: Record<string, number>;
  /** Mean write units per transaction, by sender. */
  writeUnitsBySource: Record<string, number>;
  /** Mean times each state was entered per transaction: where the billed transitions go. */
  statesEntered: Record<string, number>;
  /** Local-only requests reading the outcome back after the execution, per transaction (not in the figures above). */
  readBackRequests: number;
}

/** Shares of the summed end-to-end latency: DynamoDB in flight, participant code alone, engine alone. */
export interface TimeShares {
  dynamo: number;
  participantCode: number;
  /** Everything else: the coordinator overhead of the local engine and its adapters... */
  engine: number;
  /** ...of which the synchronous start call (building the input and starting the run; the ASL is validated once per machine). */
  start: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { mean: values.reduce((s, v) => s + v, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

export function workSummary(measurements: readonly TxnMeasurement[]): WorkSummary | null {
  if (measurements.length === 0) return null;
  const of = (pick: (m: TxnMeasurement) => number) => spread(measurements.map(pick));
  const toOutcome = measurements.map((m) => m.roundTripsToOutcome).filter((r): r is number => r !== null);
  const meanBySource = (pick: (m: TxnMeasurement) => Record<string, number>) => {
    const totals: Record<string, number> = {};
    for (const m of measurements) for (const [source, value] of Object.entries(pick(m))) totals[source] = (totals[source] ?? 0) + value;
    return Object.fromEntries(Object.entries(totals).map(([source, total]) => [source, total / measurements.length]));
  };
  return {
    transactions: measurements.length,
    writeRequests: of((m) => m.writeRequests),
    readRequests: of((m) => m.readRequests),
    httpAttempts: of((m) => m.httpAttempts),
    writeUnits: of((m) => m.writeUnits),
    readUnits: of((m) => m.readUnits),
    estimatedUnits: measurements.reduce((s, m) => s + m.estimatedUnits, 0),
    roundTripsToOutcome: toOutcome.length ? spread(toOutcome) : null,
    roundTripsToCompletion: of((m) => m.roundTripsToCompletion),
    stateTransitions: of((m) => m.stateTransitions),
    lambdaInvocations: of((m) => m.lambdaInvocations),
    lambdaBilledMs: of((m) => m.lambdaBilledMs),
    writesBySource: meanBySource((m) => m.writesBySource),
    writeUnitsBySource: meanBySource((m) => m.writeUnitsBySource),
    statesEntered: meanBySource((m) => m.statesEntered),
    readBackRequests: measurements.reduce((s, m) => s + m.readBackRequests, 0) / measurements.length,
  };
}

export function timeShares(measurements: readonly TxnMeasurement[]): TimeShares | null {
  const total = measurements.reduce((s, m) => s + m.latencyMs, 0);
  if (total <= 0) return null;
  const share = (pick: (m: TxnMeasurement) => number) => measurements.reduce((s, m) => s + pick(m), 0) / total;
  return {
    dynamo: share((m) => m.dynamoMs),
    participantCode: share((m) => m.participantCodeMs),
    engine: share((m) => m.engineMs),
    start: share((m) => m.startMs),
  };
}

export type System = 'pakka' | 'transactWriteItems' | 'updateItem';

export interface CellResult {
  system: System;
  participants: number;
  concurrency: number;
  transactions: number;
  committed: number;
  aborted: number;
  unfinished: number;
  wallMs: number;
  committedPerSecond: number;
  /** Latency of committed transactions, start to end of execution (or of the DynamoDB call). */
  latencyMs: LatencySummary;
  /** Mean of the same without the synchronous start call: how long the execution itself ran. */
  executionMsMean: number;
  committedWork: WorkSummary | null;
  time: TimeShares | null;
}

export const count = (measurements: readonly TxnMeasurement[], outcome: Outcome) => measurements.filter((m) => m.outcome === outcome).length;

export function cellResult(system: System, participants: number, concurrency: number, measurements: readonly TxnMeasurement[], wallMs: number): CellResult {
  const committed = measurements.filter((m) => m.outcome === 'COMMITTED');
  return {
    system,
    participants,
    concurrency,
    transactions: measurements.length,
    committed: committed.length,
    aborted: count(measurements, 'ABORTED'),
    unfinished: count(measurements, 'UNFINISHED'),
    wallMs,
    committedPerSecond: wallMs > 0 ? committed.length / (wallMs / 1000) : 0,
    latencyMs: summarize(committed.map((m) => m.latencyMs)),
    executionMsMean: spread(committed.map((m) => m.latencyMs - m.startMs)).mean,
    committedWork: workSummary(committed),
    time: timeShares(committed),
  };
}
