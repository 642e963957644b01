/**
 * Hot items: one logical item (a UPI switch's fee account) spread over K shard items, declared per
 * participant in the config (`shardedKeys`). One DynamoDB item takes about 1,000 write units a second
 * and a transactional write costs 2 per item, so a single item tops out near 250 escrowed credits a
 * second (prepare and commit each write it); K shards multiply that by K. Pure placement rules here.
 *
 * - A supply (credit) lands on one shard chosen from the txnId, so every repeat, commit and abort of
 *   that transaction finds the same shard without reading anything.
 * - A consumption (debit) is split over the shards that have the amount available, chosen at prepare
 *   from a read; the split is stored in the prepared-state record, and commit and abort follow it.
 * - Reading the key sums its shards. The key's own unsharded item (what it held before it was declared
 *   sharded) counts as one more shard, number K, that debits may draw from and credits never grow.
 */
import { MAX_QUANTITY } from './escrow.js';
import type { EscrowPlan, OperationPlan } from './kind.js';
import { PARTITION_KEY, itemKeyOf, shardKeyOf, spreadOf } from './table.js';

export type ShardedKeys = ReadonlyMap<string, number>;

/** An escrowed amount's part on one item of a sharded key. */
export interface Placement {
  /** The shard item's key: the record names the item itself, so a later change of the shard count cannot move it. */
  pk: string;
  amount: number;
}

/** Where each escrowed operation on a sharded key landed, as the prepared-state record stores it. */
export type Placements = Readonly<Record<string, readonly Placement[]>>;

/** One physical item one operation touches; for escrow, `plan.amount` is this item's part. */
export interface ItemTarget {
  pk: string;
  plan: OperationPlan;
  /** The most this item may hold, when less than MAX_QUANTITY: a shard's share of its key's largest value. */
  max?: number;
  /** A part of a split debit: a shortfall here may be met by splitting again, not a final no. */
  split?: true;
}

export const MAX_SHARDS = 64;

/**
 * The most one item of a key spread over `shards` shards may hold: the key's value lives in K shard
 * items and its own unsharded item, so each holds at most a (K + 1)th of MAX_QUANTITY and their sum,
 * the value the API shows, stays at or below 2^53 - 1 (issue 21 D13), without reading every shard.
 */
export const shardCapacity = (shards: number): number => Math.floor(MAX_QUANTITY / (shards + 1));

export const supplyShard = (txnId: string, key: string, shards: number) => spreadOf(`${txnId}/${key}`, shards);

/**
 * Takes `amount` from the items in turn, from `start` on, each giving what it has available; a single
 * item that covers it all is preferred (one write instead of several). Undefined when all together
 * fall short.
 */
export function splitConsumption(amount: number, available: readonly number[], start: number): Array<{ index: number; amount: number }> | undefined {
  const n = available.length;
  for (let i = 0; i < n; i++) {
    const index = (start + i) % n;
    if ((available[index] ?? 0) >= amount) return [{ index, amount }];
  }
  const parts: Array<{ index: number; amount: number }> = [];
  let left = amount;
  for (let i = 0; i < n && left > 0; i++) {
    const index = (start + i) % n;
    const take = Math.min(left, Math.max(0, available[index] ?? 0));
    if (take > 0) parts.push({ index, amount: take });
    left -= take;
  }
  return left === 0 ? parts : undefined;
}

/** A debit of a sharded key: where it lands depends on what the shards hold, so prepare must read them. */
export const needsSplit = (plan: OperationPlan, sharded: ShardedKeys): plan is EscrowPlan =>
  plan.hold === 'escrow' && plan.direction === 'consume' && sharded.has(plan.key);

/** A credit of a sharded key lands on the shard its transaction picks. */
export function supplyPlacement(txnId: string, plan: EscrowPlan, shards: number): Placement[] {
  return [{ pk: shardKeyOf(plan.key, supplyShard(txnId, plan.key, shards))[PARTITION_KEY]!, amount: plan.amount }];
}

/**
 * The physical items the plans touch, in order; the order fixes how cancellation reasons are read.
 * A recorded placement wins over the config, so phase 2 finds what prepare reserved.
 */
export function targetsOf(plans: readonly OperationPlan[], txnId: string, sharded: ShardedKeys, placements: Placements = {}): ItemTarget[] {
  return plans.flatMap((plan): ItemTarget[] => {
    const unsharded = [{ pk: itemKeyOf(plan.key)[PARTITION_KEY]!, plan }];
    if (plan.hold !== 'escrow') return unsharded;
    const shards = sharded.get(plan.key);
    // A credit to a shard may fill only the shard's share of the key's largest value.
    const capped = shards !== undefined && plan.direction === 'supply' ? { max: shardCapacity(shards) } : {};
    const recorded = placements[plan.key];
    if (recorded)
      return recorded.map((p) => ({
        pk: p.pk,
        plan: { ...plan, amount: p.amount },
        ...capped,
        ...(plan.direction === 'consume' ? { split: true as const } : {}),
      }));
    if (shards === undefined) return unsharded;
    if (plan.direction === 'supply') return supplyPlacement(txnId, plan, shards).map((p) => ({ pk: p.pk, plan, ...capped }));
    throw new Error(`no placement for the debit of sharded key ${plan.key}`);
  });
}

/** Shard `shards` is the key's own unsharded item. */
const shardPkOf = (key: string, shard: number, shards: number): string => (shard === shards ? itemKeyOf(key) : shardKeyOf(key, shard))[PARTITION_KEY]!;

/** Every item a sharded key's value lives in, by shard number: K shards, then the unsharded item. */
export const shardPksOf = (key: string, shards: number): string[] => Array.from({ length: shards + 1 }, (_, i) => shardPkOf(key, i, shards));

/**
 * A sharded key read as one item: its quantities summed over the shard items that exist (a shard's
 * `headroom` is its own, so it is left out), committed once any shard has been committed.
 */
export function mergeShards(items: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> | undefined {
  if (items.length === 0) return undefined;
  const merged: Record<string, unknown> = {};
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      if (name === PARTITION_KEY || name === 'headroom') continue;
      if (name === 'version') merged.version = Math.max(typeof merged.version === 'number' ? merged.version : 0, typeof value === 'number' ? value : 0);
      else if (typeof value === 'number') merged[name] = (typeof merged[name] === 'number' ? (merged[name] as number) : 0) + value;
      else if (merged[name] === undefined) merged[name] = value;
    }
  }
  return merged;
}
