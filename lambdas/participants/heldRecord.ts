/**
 * What the participant step sees of a transaction whose hold may live in its item: the record, or the item's
 * entry when no record of this layout answers yet. Pure, and apart from the runtime that writes, so the API's
 * readers use the same view without bundling the participant's writes (whose IAM they do not have).
 */
import { type IntentEntry, intentFacts } from '../protocol/heldIntent.js';
import { ITEM_HOLD_LAYOUT } from './itemIntents.js';
import { type StoredRecord, storedRecord } from './record.js';

/** A record as the step reads it; for this layout, possibly assembled from the item's entry. */
export type HeldRecord = StoredRecord & { itemBehind?: boolean; recordBehind?: boolean; claimed?: boolean };

/** A one-phase record of this layout put as a claim before its item write (PREPARED: this layout writes no other). */
export const isClaim = (record: StoredRecord | undefined): boolean =>
  record?.layout === ITEM_HOLD_LAYOUT && record.state === 'PREPARED' && record.onePhase === true;

/** The step's view of a transaction in this layout: the record when it is of this layout, else the entry. */
export function heldRecordOf(txnId: string, record: StoredRecord | undefined, entry: IntentEntry | undefined): HeldRecord | undefined {
  // A null abort sent without operations writes the older layout's tombstone (nothing names an item): it holds
  // nothing in either layout, so a `P` entry a racing prepare left beside it is this layout's to finish.
  const tombstone = record?.state === 'ABORTED' && record.digest === undefined && entry?.s === 'P';
  if (record && record.layout !== ITEM_HOLD_LAYOUT && !tombstone) return record;
  // The claim answers nothing until resolved; what the item shows decides it (participantStep.ts resolvingClaim).
  if (isClaim(record)) return { ...(record as StoredRecord), claimed: true };
  const decided =
    record && record.state !== 'PREPARED'
      ? { state: record.state, ...(record.digest !== undefined ? { digest: record.digest } : {}), onePhase: record.onePhase ?? false }
      : undefined;
  const facts = intentFacts(decided, entry);
  if (!facts || facts.state === 'PREPARING') return undefined;
  if (record) return { ...record, ...(tombstone ? { layout: ITEM_HOLD_LAYOUT } : {}), ...(facts.itemBehind ? { itemBehind: true } : {}) };
  return {
    txnId,
    state: facts.state,
    layout: ITEM_HOLD_LAYOUT,
    ...(facts.digest !== undefined ? { digest: facts.digest } : {}),
    ...(facts.voteReason !== undefined ? { voteReason: facts.voteReason, recordBehind: true } : {}),
    ...(facts.onePhase ? { onePhase: true } : {}),
    ...(facts.recordBehind ? { recordBehind: true } : {}),
    ...(entry?.s === 'P' ? { operations: [entry.op], preparedAt: entry.at, ...(entry.n !== undefined ? { holdId: entry.n } : {}) } : {}),
  };
}

/** A stored record, typed for this layout's view. */
export const heldRecord = (item: Record<string, unknown>): HeldRecord => storedRecord(item);
