/**
 * Reading a cancelled TransactWriteItems: which item's condition failed, and so which vote reason
 * the participant gives. DynamoDB reports one CancellationReason per item, in request order.
 */
import type { AbortReason } from '../protocol/vote.js';
import type { ItemTarget } from './hotItems.js';
import { planAbortReason } from './kind.js';

export interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

export type CancellationVerdict =
  | { kind: 'recordExists'; record: Record<string, unknown> | undefined }
  | { kind: 'voteAbort'; reason: AbortReason }
  /** A part of a split debit found its shard drained by a concurrent debit: split again. */
  | { kind: 'resplit' }
  | { kind: 'transient' }
  | { kind: 'unexpected'; codes: string[] };

const TRANSIENT_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * `reasons[0]` is the prepared-state record, `reasons[i + 1]` is `targets[i]`'s item.
 * A record that already exists outranks everything: the answer then comes from it. A business
 * "no" is final and outranks a lock that might be released by a retry.
 */
export function readCancellation(txnId: string, reasons: readonly CancellationReason[], targets: readonly ItemTarget[]): CancellationVerdict {
  const recordReason = reasons[0];
  if (recordReason?.Code === 'ConditionalCheckFailed') return { kind: 'recordExists', record: recordReason.Item };
  let locked = false;
  let resplit = false;
  for (let i = 0; i < targets.length; i++) {
    const reason = reasons[i + 1];
    const target = targets[i];
    if (!target || reason?.Code !== 'ConditionalCheckFailed') continue;
    const lockedBy = reason.Item?.lockedBy;
    if (typeof lockedBy === 'string' && lockedBy !== txnId) locked = true;
    else if (target.split) resplit = true;
    // The operation's own rule said no (a lock is ruled out first).
    else return { kind: 'voteAbort', reason: planAbortReason(target.plan) };
  }
  if (locked) return { kind: 'voteAbort', reason: 'LOCK_CONFLICT' };
  if (resplit) return { kind: 'resplit' };
  if (reasons.some((r) => r.Code !== undefined && TRANSIENT_CODES.has(r.Code))) return { kind: 'transient' };
  return { kind: 'unexpected', codes: reasons.map((r) => r.Code ?? 'None') };
}
