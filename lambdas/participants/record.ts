/** The prepared-state record as stored in the participant's table, read back through one schema. */
import { z } from 'zod';
import { RECORD_STATES, type RecordFacts } from '../protocol/participantState.js';
import { abortReason } from '../contract/participantProtocol.js';

const stored = z.object({
  txnId: z.string(),
  state: z.enum(RECORD_STATES),
  digest: z.string().optional(),
  operations: z.array(z.unknown()).optional(),
  /**
   * RECORD_LAYOUT (2) or ITEM_HOLD_LAYOUT (3). Absent only on a record Pakka 0.1 wrote, which this version
   * refuses to finish (`refuseLayoutless`); 0.x was never published.
   */
  layout: z.number().int().optional(),
  /** Keys this record holds a reservation or a lock on. */
  lockedKeys: z.array(z.string()).optional(),
  /** Which shard items each escrowed operation on a sharded key landed on (hotItems.ts). */
  placements: z.record(z.string(), z.array(z.object({ pk: z.string(), amount: z.number().int().positive() }))).optional(),
  voteReason: abortReason.optional(),
  /** Written by a one-phase commit (or its no): the record itself is the transaction's decision. */
  onePhase: z.boolean().optional(),
  preparedAt: z.string().optional(),
  /** A hold in the item (layout 3): which landing of the prepare this decision is about (the `P` entry's `n`). */
  holdId: z.string().optional(),
  committedAt: z.string().optional(),
  abortedAt: z.string().optional(),
});
export type StoredRecord = z.infer<typeof stored>;
/** The stored layout, for runtimes that extend it (the barrier participant adds its PREPARING intent). */
export const storedRecordSchema = stored;

export const storedRecord = (item: Record<string, unknown>): StoredRecord => stored.parse(item);

/**
 * A record without `layout` was prepared by Pakka 0.1 (every item locked, no escrow sums). 0.x was never
 * published, so this version carries none of 0.1's expressions: finishing such a record fails loudly (the
 * delivery errors, the transaction stays open for an operator) instead of applying the wrong ones.
 */
export function refuseLayoutless(txnId: string, record: { layout?: number | undefined } | undefined): void {
  if (record !== undefined && record.layout === undefined) {
    throw new Error(
      `record TXN#${txnId} has no layout: Pakka 0.1 prepared it, and this version does not finish 0.1's records (0.x was never published); finish it with the version that prepared it, or delete it`,
    );
  }
}

export const recordFacts = (record: StoredRecord): RecordFacts => ({
  state: record.state,
  ...(record.digest !== undefined ? { digest: record.digest } : {}),
  ...(record.voteReason !== undefined ? { voteReason: record.voteReason } : {}),
  ...(record.onePhase ? { onePhase: true } : {}),
});
