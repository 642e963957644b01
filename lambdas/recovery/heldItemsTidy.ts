/**
 * The lazy leaving of `heldItems` (docs/design.md, "The sparse index"): commit and abort leave a busy item's index
 * keys in place (a cold one's leave in their own write), so an item busy with one transaction after another writes
 * no index entry; the sweep, which
 * reads every item the index lists anyway (consistently), takes out those that have held nothing for
 * HELD_IDLE_MS, so the index stays about as large as the set of items used in the last minute or two.
 * The index may list an item that holds nothing, never miss one that holds: the tidy's condition is the
 * item's own `prepared = 0`, checked atomically with the removal (itemIntents.ts heldKeysTidy).
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isTransactionConflict } from '../participants/conflictRetry.js';
import { heldKeysTidy } from '../participants/itemIntents.js';
import { PARTITION_KEY } from '../participants/table.js';
import { HELD_IDLE_MS, idleHeldItem } from '../protocol/heldIntent.js';

export interface TidyReport {
  /** Items taken out of the index. */
  tidied: number;
  /** Items whose tidy was refused: a prepare landed first, or (AWS's rule) a transaction was writing the item. */
  skipped: number;
}

/** Tidies the idle ones among the items of one table that a sweep read through `heldItems`. */
export type HeldItemsTidy = (tableName: string, items: ReadonlyArray<Record<string, unknown>>) => Promise<TidyReport>;

/** Tidies at once: a sweep with many idle items must not open hundreds of requests together. */
const AT_ONCE = 8;

/**
 * `onFailure` hears of a tidy that failed for another reason (a throttled request, a missing grant): the item
 * stays listed, which costs the next sweep a read and nothing else, so it never fails the sweep.
 */
export function heldItemsTidy(client: DynamoDBDocumentClient, now: () => number, onFailure?: (error: unknown) => void): HeldItemsTidy {
  return async (tableName, items) => {
    const idleBefore = new Date(now() - HELD_IDLE_MS).toISOString();
    const idle = items.flatMap((item) => (typeof item[PARTITION_KEY] === 'string' && idleHeldItem(item, idleBefore) ? [item[PARTITION_KEY]] : []));
    const report: TidyReport = { tidied: 0, skipped: 0 };
    for (let i = 0; i < idle.length; i += AT_ONCE) {
      await Promise.all(
        idle.slice(i, i + AT_ONCE).map(async (pk) => {
          try {
            await client.send(new UpdateCommand(heldKeysTidy(tableName, pk, idleBefore)));
            report.tidied++;
          } catch (error) {
            // Refused: the item holds a P entry again (or was re-listed since); skipped until a sweep finds it idle.
            if ((error instanceof Error && error.name === 'ConditionalCheckFailedException') || isTransactionConflict(error)) report.skipped++;
            else onFailure?.(error);
          }
        }),
      );
    }
    return report;
  };
}
