/**
 * The txnId claim: the API's conditional write of the coordinator log item before any execution
 * starts, so that a txnId (or the Idempotency-Key it is derived from) names the first request under
 * it and no other, on both workflows and in every state. Express never refuses a second execution of
 * one name, and before the decision there was no log item to compare with: the claim is that item,
 * written first. It holds the request (its digest, its participants and their operations, its
 * deadline) but no decision, so the decision write stays the single write-once commit point.
 *
 * Pure: the item (described with every other log write in coordinatorLog/logWrites.ts) and the verdict
 * on an existing one; lambdas/api/claimWrite.ts writes it.
 */
import type { PutCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ExecutionInput } from './executionInput.js';
import { logShardOf, openPartitionOf, statusPartitionOf } from '../coordinatorLog/logShards.js';
import type { SdkArguments } from '../coordinatorLog/logWrite.js';
import { itemOf, toSdk } from '../coordinatorLog/logWriteSdk.js';
import { TXN_CLAIM } from '../coordinatorLog/logWrites.js';

/** What a claimed item says of each participant: only what recovery and the views need (no function ARN, no timeouts). */
export interface LoggedParticipant {
  name: string;
  operations: Array<Record<string, unknown>>;
  /** Sent commitOnePhase: its own write decides, so recovery learns the outcome from it, never presumes it. */
  onePhase?: true;
}

export const loggedParticipants = (input: Pick<ExecutionInput, 'participants'>): LoggedParticipant[] =>
  input.participants.map((p) => ({ name: p.name, operations: p.operations, ...(p.onePhase ? { onePhase: true as const } : {}) }));

/** Only the first claim of a txnId is written; any later one finds the item and is judged by claimVerdict. */
export const CLAIM_CONDITION = TXN_CLAIM.condition;

/**
 * The claim's values. It is PREPARING in the byStatus index and in the open index from the start: an
 * undecided transaction (one-phase without its receipt, a coordinator that died before the decision)
 * is then listed, and recovery finds it past its deadline and decides it, never waiting on a record
 * some participant may not hold.
 */
function claimArguments(input: ExecutionInput, now: string): SdkArguments<typeof TXN_CLAIM> {
  const shard = logShardOf(input.txnId);
  return {
    txnId: input.txnId,
    statusPartition: statusPartitionOf('PREPARING', shard),
    openPartition: openPartitionOf(shard),
    createdAt: now,
    timeoutSeconds: input.timeoutSeconds,
    requestDigest: input.requestDigest,
    idempotencyKey: input.idempotencyKey,
    participants: JSON.stringify(loggedParticipants(input)),
  };
}

/** The claimed item. */
export const claimItem = (input: ExecutionInput, now: string): Record<string, unknown> => itemOf(TXN_CLAIM, claimArguments(input, now));

/** The claim's conditional PutItem. */
export const claimPut = (tableName: string, input: ExecutionInput, now: string): PutCommandInput => toSdk(TXN_CLAIM, tableName, claimArguments(input, now));

export type ClaimOutcome =
  /** This request wrote the claim: it is the txnId's request, and its execution may start. */
  | { kind: 'claimed' }
  /** The txnId was claimed by this same request (a retry): `decided` says whether its decision is logged. */
  | { kind: 'same'; decided: boolean }
  /** Another request holds the txnId: this one must change nothing (409). */
  | { kind: 'conflict' };

/**
 * The verdict on a txnId already claimed. An item recovery logged for an orphan (PREPARED records,
 * no request known) carries no digest: it is no other request, as before the claim existed.
 */
export function claimVerdict(existing: { requestDigest?: string | undefined; decision?: string | undefined }, requestDigest: string): ClaimOutcome {
  if (existing.requestDigest !== undefined && existing.requestDigest !== requestDigest) return { kind: 'conflict' };
  return { kind: 'same', decided: existing.decision !== undefined };
}
