/** A team's kind for the construct tests: loyalty points, escrowed like a balance. */
import { z } from 'zod';
import { escrowView } from '../../lambdas/participants/kinds/escrowView.js';
import { itemKey, positiveMinorUnits } from '../../lambdas/participants/kinds/fields.js';
import { BUILT_IN_KINDS, kindRegistry } from '../../lambdas/participants/kinds/index.js';
import { type OperationPlan, defineKind } from '../../lambdas/participants/kind.js';

const operation = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('earn'), key: itemKey, points: positiveMinorUnits }),
  z.strictObject({ op: z.literal('redeem'), key: itemKey, points: positiveMinorUnits }),
]);

export const loyalty = defineKind<z.infer<typeof operation>>({
  name: 'loyalty',
  description: 'team loyalty points (construct test)',
  operation,
  operationNames: ['earn', 'redeem'],
  escrowQuantity: 'points',
  plan(op): OperationPlan {
    const direction = op.op === 'earn' ? 'supply' : 'consume';
    return {
      hold: 'escrow',
      key: op.key,
      quantity: 'points',
      direction,
      amount: op.points,
      shortReason: direction === 'supply' ? 'LIMIT_EXCEEDED' : 'INSUFFICIENT_FUNDS',
    };
  },
  view: (item) => escrowView(item, 'points'),
});

export const teamKinds = kindRegistry([...BUILT_IN_KINDS.values(), loyalty]);
