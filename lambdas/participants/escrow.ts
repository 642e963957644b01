/**
 * Escrow: the DynamoDB expressions that let many transactions hold parts of one item's quantity at
 * once (O'Neil's escrow method, with both bounds). Pure; the transaction builders use them.
 *
 * An escrowed item stores, besides its committed quantity Q (`balance`, `stock`):
 *   reserved  = what prepared consumers (debit, reserve) hold
 *   incoming  = what prepared suppliers (credit, restock) promise
 *   available = Q - reserved              (what a new debit may still reserve)
 *   headroom  = MAX_QUANTITY - Q - incoming (what a new credit may still promise)
 * DynamoDB conditions cannot do arithmetic, so the two derived sums are stored and kept in step by
 * every update below; each update keeps the four equations true. Every bound a transition needs is
 * a plain comparison: prepare checks `available >= a` or `headroom >= a`, and phase 2 checks that the
 * reservation it releases is there (`reserved >= a`, `incoming >= a`), so a reservation is released
 * only by the decision that its own record allows, and never twice.
 */
import type { AttributeValueMap, EscrowPlan } from './kind.js';

/**
 * The largest quantity (balance, stock) Pakka holds: 2^53 - 1, so every value, sum and view stays an
 * exact JavaScript number. A credit that could pass it votes VOTE_ABORT / LIMIT_EXCEEDED at prepare.
 */
export const MAX_QUANTITY = Number.MAX_SAFE_INTEGER;

export const ESCROW_ATTRIBUTES = ['available', 'reserved', 'incoming', 'headroom'] as const;

export interface ItemUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: AttributeValueMap;
}

const names = (plan: Pick<EscrowPlan, 'quantity'>) => ({ '#q': plan.quantity });
const bumpVersion = 'version = if_not_exists(version, :zero) + :one';

/** No exclusive lock from an older Pakka (or another kind's operation) stands on the item. */
const NOT_LOCKED = 'attribute_not_exists(lockedBy)';

/**
 * `max` is the most this item may hold: MAX_QUANTITY, or a shard's share of it (hotItems.ts
 * shardCapacity), so a key spread over several items never holds more than MAX_QUANTITY in all. A new
 * item takes it as its headroom; an item's headroom then keeps it.
 */
export function escrowPrepare(plan: EscrowPlan, max: number = MAX_QUANTITY): ItemUpdate {
  if (plan.direction === 'consume') {
    return {
      UpdateExpression: 'SET available = available - :amount, reserved = reserved + :amount',
      ConditionExpression: `${NOT_LOCKED} AND available >= :amount`,
      ExpressionAttributeNames: {},
      ExpressionAttributeValues: { ':amount': plan.amount },
    };
  }
  // A credit to an item that does not exist yet creates it with nothing committed (no `version`):
  // reads treat such an item as absent until a commit reaches it.
  return {
    UpdateExpression:
      'SET #q = if_not_exists(#q, :zero), available = if_not_exists(available, :zero), reserved = if_not_exists(reserved, :zero), ' +
      'incoming = if_not_exists(incoming, :zero) + :amount, headroom = if_not_exists(headroom, :max) - :amount',
    ConditionExpression: `${NOT_LOCKED} AND (headroom >= :amount OR (attribute_not_exists(headroom) AND attribute_not_exists(#q)))`,
    ExpressionAttributeNames: names(plan),
    ExpressionAttributeValues: { ':amount': plan.amount, ':zero': 0, ':max': max },
  };
}

export function escrowCommit(plan: EscrowPlan): ItemUpdate {
  if (plan.direction === 'consume') {
    return {
      UpdateExpression: `SET #q = #q - :amount, reserved = reserved - :amount, headroom = headroom + :amount, ${bumpVersion}`,
      ConditionExpression: 'reserved >= :amount',
      ExpressionAttributeNames: names(plan),
      ExpressionAttributeValues: { ':amount': plan.amount, ':zero': 0, ':one': 1 },
    };
  }
  return {
    UpdateExpression: `SET #q = #q + :amount, available = available + :amount, incoming = incoming - :amount, ${bumpVersion}`,
    ConditionExpression: 'incoming >= :amount',
    ExpressionAttributeNames: names(plan),
    ExpressionAttributeValues: { ':amount': plan.amount, ':zero': 0, ':one': 1 },
  };
}

export function escrowAbort(plan: EscrowPlan): ItemUpdate {
  if (plan.direction === 'consume') {
    return {
      UpdateExpression: 'SET available = available + :amount, reserved = reserved - :amount',
      ConditionExpression: 'reserved >= :amount',
      ExpressionAttributeNames: {},
      ExpressionAttributeValues: { ':amount': plan.amount },
    };
  }
  return {
    UpdateExpression: 'SET incoming = incoming - :amount, headroom = headroom + :amount',
    ConditionExpression: 'incoming >= :amount',
    ExpressionAttributeNames: {},
    ExpressionAttributeValues: { ':amount': plan.amount },
  };
}

/**
 * One-phase commit: prepare and commit in one update, for a transaction whose only writer is this
 * participant. The same bound as prepare, and the sums end where prepare then commit would leave them.
 */
export function escrowOnePhase(plan: EscrowPlan, max: number = MAX_QUANTITY): ItemUpdate {
  if (plan.direction === 'consume') {
    return {
      UpdateExpression: `SET #q = #q - :amount, available = available - :amount, headroom = headroom + :amount, ${bumpVersion}`,
      ConditionExpression: `${NOT_LOCKED} AND available >= :amount`,
      ExpressionAttributeNames: names(plan),
      ExpressionAttributeValues: { ':amount': plan.amount, ':zero': 0, ':one': 1 },
    };
  }
  const prepare = escrowPrepare(plan, max);
  return {
    UpdateExpression:
      'SET #q = if_not_exists(#q, :zero) + :amount, available = if_not_exists(available, :zero) + :amount, reserved = if_not_exists(reserved, :zero), ' +
      `incoming = if_not_exists(incoming, :zero), headroom = if_not_exists(headroom, :max) - :amount, ${bumpVersion}`,
    ConditionExpression: prepare.ConditionExpression,
    ExpressionAttributeNames: names(plan),
    ExpressionAttributeValues: { ...prepare.ExpressionAttributeValues, ':one': 1 },
  };
}

/**
 * After an abort: an item that only uncommitted credits ever touched (no `version`) and that nothing
 * holds any more is deleted, so an aborted credit to a new account leaves no trace. Whichever abort
 * releases the last promise deletes it; a concurrent prepare simply creates it again.
 */
export const ESCROW_PROVISIONAL_REMOVAL = {
  ConditionExpression: `attribute_not_exists(version) AND incoming = :zero AND reserved = :zero AND ${NOT_LOCKED}`,
  ExpressionAttributeValues: { ':zero': 0 },
} as const;

/** The attributes of an escrowed item that holds `value` committed and nothing reserved or promised. */
export function settledEscrowItem(quantity: string, value: number): Record<string, number> {
  return { [quantity]: value, available: value, reserved: 0, incoming: 0, headroom: MAX_QUANTITY - value, version: 1 };
}
