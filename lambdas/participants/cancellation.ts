/**
 * Reading a cancelled TransactWriteItems: which item's condition failed, and so which vote reason
 * the participant gives. DynamoDB reports one CancellationReason per item, in request order.
 */
import type { AbortReason } from '../protocol/vote.js';
import type { OperationPlan } from './kind.js';

export interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

export type CancellationVerdict =
  | { kind: 'recordExists'; record: Record<string, unknown> | undefined }
  | { kind: 'voteAbort'; reason: AbortReason }
  | { kind: 'transient' }
  | { kind: 'unexpected'; codes: string[] };

const TRANSIENT_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * `reasons[0]` is the prepared-state record, `reasons[i + 1]` is `plans[i]`'s item.
 * A record that already exists outranks everything: the answer then comes from it.
 */
export function readCancellation(txnId: string, reasons: readonly CancellationReason[], plans: readonly OperationPlan[]): CancellationVerdict {
  const recordReason = reasons[0];
  if (recordReason?.Code === 'ConditionalCheckFailed') return { kind: 'recordExists', record: recordReason.Item };
  for (let i = 0; i < plans.length; i++) {
    const reason = reasons[i + 1];
    const plan = plans[i];
    if (!plan || reason?.Code !== 'ConditionalCheckFailed') continue;
    const lockedBy = reason.Item?.lockedBy;
    if (typeof lockedBy === 'string' && lockedBy !== txnId) return { kind: 'voteAbort', reason: 'LOCK_CONFLICT' };
    return { kind: 'voteAbort', reason: plan.prepare.failureReason(reason.Item) };
  }
  if (reasons.some((r) => r.Code !== undefined && TRANSIENT_CODES.has(r.Code))) return { kind: 'transient' };
  return { kind: 'unexpected', codes: reasons.map((r) => r.Code ?? 'None') };
}
