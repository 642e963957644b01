/**
 * The team's own kind: loyalty points per member, earned when a purchase commits and redeemed from a
 * reservation, never below zero. Declared with the same `defineKind` as Pakka's ledger.
 */
import { type OperationPlan, defineKind, escrowView, itemKey, positiveMinorUnits } from 'pakka/participants';
import { z } from 'zod';

const earn = z.strictObject({ op: z.literal('earn'), key: itemKey, points: positiveMinorUnits });
const redeem = z.strictObject({ op: z.literal('redeem'), key: itemKey, points: positiveMinorUnits });
const operation = z.discriminatedUnion('op', [earn, redeem]);

export const loyaltyPoints = defineKind<z.infer<typeof operation>>({
  name: 'loyalty',
  description: 'loyalty points per member',
  operation,
  operationNames: ['earn', 'redeem'],
  escrowQuantity: 'points',
  plan(op): OperationPlan {
    return op.op === 'earn'
      ? { hold: 'escrow', key: op.key, quantity: 'points', direction: 'supply', amount: op.points, shortReason: 'LIMIT_EXCEEDED' }
      : { hold: 'escrow', key: op.key, quantity: 'points', direction: 'consume', amount: op.points, shortReason: 'INSUFFICIENT_FUNDS' };
  },
  view: (item) => escrowView(item, 'points'),
});
