/**
 * Where a transaction's prepared state lives, chosen from its operations alone, so prepare, commit and
 * abort all make the same choice without a read (docs/design.md, "Holds that live in the item"):
 * - `item`: exactly one escrow operation (a credit or debit, a reserve or restock) on an unsharded key.
 *   Its hold is an entry in that item, written by single-item writes (./itemIntents.ts), which never
 *   conflict with one another under AWS's rules, so concurrent escrows on one hot item all go through.
 * - `record`: everything else (several items, exclusive locks, checks, sharded keys): the record and
 *   TransactWriteItems (./transactions.ts).
 */
import type { EscrowPlan, OperationPlan } from './kind.js';
import type { ShardedKeys } from './hotItems.js';
import { PARTITION_KEY, itemKeyOf } from './table.js';

export type HoldLayout = { kind: 'record' } | { kind: 'item'; target: ItemHoldTarget };

/** The one item a hold in the item lives in, and its escrow plan. */
export interface ItemHoldTarget {
  pk: string;
  plan: EscrowPlan;
}

/**
 * Whether a participant without `holdsInItems` in its config holds one-item escrows in the item: yes, the
 * item layout is the layout (issue 19); `"holdsInItems": false` keeps every hold in a record. Every reader of
 * the switch (the config, the Lambda's `HOLDS_IN_ITEMS`, the CDK construct, the benchmark) follows this constant.
 */
export const HOLDS_IN_ITEMS_BY_DEFAULT = true;

export function holdLayoutOf(plans: readonly OperationPlan[], sharded: ShardedKeys, holdsInItems: boolean = HOLDS_IN_ITEMS_BY_DEFAULT): HoldLayout {
  const [only, ...others] = plans;
  if (!holdsInItems || !only || others.length || only.hold !== 'escrow' || sharded.has(only.key)) return { kind: 'record' };
  return { kind: 'item', target: { pk: itemKeyOf(only.key)[PARTITION_KEY]!, plan: only } };
}
