/**
 * One transaction's figures, computed from what the recorder saw: requests and units, sequential
 * round trips, and where its wall time went. Pure.
 */
import type { AwsItemWrite, DynamoCall, Invocation } from './recorder.js';
import type { StateHistory } from './stateHistory.js';
import { coveredTime, longestSequentialChain } from './timeline.js';

export type Outcome = 'COMMITTED' | 'ABORTED' | 'UNFINISHED';

export interface TxnMeasurement {
  txnId: string;
  participants: number;
  outcome: Outcome;
  abortReason: string | null;
  latencyMs: number;
  writeRequests: number;
  readRequests: number;
  httpAttempts: number;
  writeUnits: number;
  /** By AWS's rules (awsWriteUnits.ts), when every write of the transaction was followed; else null. */
  awsWriteUnits: number | null;
  readUnits: number;
  estimatedUnits: number;
  /** Each item write by AWS's rules, in order, with who sent it (keyed as writesBySource); empty unless images were captured. */
  awsItemWrites: Array<AwsItemWrite & { source: string; operation: string }>;
  /** Write requests by who sent them: a coordinator Task state, or `participant:<action>`. */
  writesBySource: Record<string, number>;
  /** Write units by who spent them, keyed as writesBySource. */
  writeUnitsBySource: Record<string, number>;
  /** Requests the local runner makes after the execution (reading the outcome back): local only, not counted above. */
  readBackRequests: number;
  /** Sequential round trips until the decision write ended; null when no decision was written. */
  roundTripsToOutcome: number | null;
  roundTripsToCompletion: number;
  /** Wall time with a DynamoDB request of this transaction in flight. */
  dynamoMs: number;
  /** Wall time inside a participant handler with none of its requests in flight (the handler's own code). */
  participantCodeMs: number;
  /** The rest: time only the engine and its adapters were working (or waiting, as in WaitForLock). */
  engineMs: number;
  /**
   * Of engineMs, the synchronous start call: building the execution input and starting the engine's
   * run. Kept apart because on AWS it is the caller's StartExecution request, not the execution.
   */
  startMs: number;
  stateTransitions: number;
  /** States entered, by name (retries are in stateTransitions, not here). */
  statesEntered: Record<string, number>;
  /** Times the execution went through WaitForLock (a prepare met a held lock and waited 1 s to retry). */
  lockWaits: number;
  lambdaInvocations: number;
  /** Lambda duration as AWS bills it: each invocation rounded up to the next millisecond. */
  lambdaBilledMs: number;
}

export interface TxnTrace {
  txnId: string;
  participants: number;
  outcome: Outcome;
  abortReason: string | null;
  start: number;
  /** When the synchronous start call returned. */
  started: number;
  /** When the execution ended. */
  end: number;
  calls: readonly DynamoCall[];
  invocations: readonly Invocation[];
  history: StateHistory | null;
}

/** A coordinator-side request after the execution ended is the local runner reading the outcome back. */
const isReadBack = (call: DynamoCall, end: number) => call.participant === undefined && call.label !== 'baseline' && call.start >= end;

export function measure(trace: TxnTrace): TxnMeasurement {
  const { invocations, start, end } = trace;
  const calls = trace.calls.filter((c) => !isReadBack(c, end));
  const writes = calls.filter((c) => c.isWrite);
  const decision = calls.find((c) => c.isDecision && c.ok);
  const dynamoMs = coveredTime(calls, start, end);
  const busyMs = coveredTime([...calls, ...invocations], start, end);
  const writesBySource: Record<string, number> = {};
  const writeUnitsBySource: Record<string, number> = {};
  const awsItemWrites: TxnMeasurement['awsItemWrites'] = [];
  for (const call of writes) {
    const source = call.participant ? `participant:${call.label.slice(call.participant.length + 1)}` : call.label;
    writesBySource[source] = (writesBySource[source] ?? 0) + 1;
    writeUnitsBySource[source] = (writeUnitsBySource[source] ?? 0) + call.writeUnits;
    for (const item of call.awsItemWrites ?? []) awsItemWrites.push({ ...item, source, operation: call.operation });
  }
  return {
    txnId: trace.txnId,
    participants: trace.participants,
    outcome: trace.outcome,
    abortReason: trace.abortReason,
    latencyMs: end - start,
    writeRequests: writes.length,
    readRequests: calls.length - writes.length,
    httpAttempts: calls.reduce((s, c) => s + c.attempts, 0),
    writeUnits: calls.reduce((s, c) => s + c.writeUnits, 0),
    awsWriteUnits: writes.every((c) => c.awsWriteUnits !== undefined) ? writes.reduce((s, c) => s + (c.awsWriteUnits ?? 0), 0) : null,
    readUnits: calls.reduce((s, c) => s + c.readUnits, 0),
    estimatedUnits: calls.reduce((s, c) => s + (c.unitsEstimated ? c.writeUnits + c.readUnits : 0), 0),
    awsItemWrites,
    writesBySource,
    writeUnitsBySource,
    readBackRequests: trace.calls.length - calls.length,
    roundTripsToOutcome: decision ? longestSequentialChain(calls.filter((c) => c.end <= decision.end)) : null,
    roundTripsToCompletion: longestSequentialChain(calls),
    dynamoMs,
    participantCodeMs: busyMs - dynamoMs,
    engineMs: Math.max(0, end - start - busyMs),
    startMs: trace.started - start,
    stateTransitions: trace.history?.transitions ?? 0,
    statesEntered: trace.history?.entered ?? {},
    lockWaits: trace.history?.entered.WaitForLock ?? 0,
    lambdaInvocations: invocations.length,
    lambdaBilledMs: invocations.reduce((s, i) => s + Math.max(1, Math.ceil(i.end - i.start)), 0),
  };
}
