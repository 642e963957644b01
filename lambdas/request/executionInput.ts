/** The input of one state machine execution, built from a validated request. Pure. */
import type { ParticipantConfig } from '../config/participantConfig.js';
import type { ParticipantFunctions } from '../config/participantFunctions.js';
import { logShardOf, openPartitionOf } from '../coordinatorLog/logShards.js';
import type { CoordinatorFault } from './coordinatorFault.js';
import { type TransactionRequest, requestDigest } from './transactionRequest.js';

export interface ParticipantInput {
  name: string;
  /** The function the state machine invokes for this participant (from the deploy-time map, never from the name). */
  functionArn: string;
  prepareTimeoutSeconds: number;
  commitTimeoutSeconds: number;
  operations: Array<Record<string, unknown>>;
  /**
   * Prepare is sent as commitOnePhase: this is the transaction's only participant, so its own atomic
   * write can be the decision (docs/design.md, coordinator step 2). Only where the config allows it
   * (ParticipantSpec.onePhaseCommit: Pakka's own runtime, not a team's own function by default).
   */
  onePhase: boolean;
}

export interface ExecutionInput {
  txnId: string;
  timeoutSeconds: number;
  requestDigest: string;
  idempotencyKey: string;
  participants: ParticipantInput[];
  /** Prepare is tried once more when every no is a LOCK_CONFLICT; CountLockRetry counts this down. */
  lockRetries: { left: number };
  /** The log item's index shard, computed here because ASL has no hash-to-number intrinsic. */
  logShards: { shard: string; open: string };
  /**
   * Only on a deployment with fault injection enabled, and only when the request asked for it
   * (coordinatorFault.ts): the state machine built with the fault states stops after prepare.
   */
  fault?: CoordinatorFault;
}

export function executionInput(
  txnId: string,
  request: TransactionRequest,
  config: ParticipantConfig,
  functions: ParticipantFunctions,
  idempotencyKey?: string,
): ExecutionInput {
  const shard = logShardOf(txnId);
  return {
    txnId,
    timeoutSeconds: request.timeoutSeconds,
    requestDigest: requestDigest(request),
    idempotencyKey: idempotencyKey ?? txnId,
    participants: request.participants.map((p) => {
      const spec = config.get(p.name);
      if (!spec) throw new Error(`participant ${p.name} is not configured`); // validation rules this out
      const functionArn = functions.get(p.name);
      // The API and local mode check at start that every configured participant has a function.
      if (!functionArn) throw new Error(`participant ${p.name} has no function`);
      return {
        name: p.name,
        functionArn,
        // A participant never gets longer to prepare than the whole transaction has.
        prepareTimeoutSeconds: Math.min(spec.prepareTimeoutSeconds, request.timeoutSeconds),
        commitTimeoutSeconds: spec.commitTimeoutSeconds,
        operations: p.operations,
        onePhase: request.participants.length === 1 && spec.onePhaseCommit,
      };
    }),
    lockRetries: { left: 1 },
    logShards: { shard: String(shard), open: openPartitionOf(shard) },
  };
}
