/** Stock levels per SKU: a warehouse. Stock never goes below zero (invariant I4). */
import { z } from 'zod';
import { type OperationPlan, defineKind } from '../kind.js';
import { escrowView } from './escrowView.js';
import { itemKey, positiveMinorUnits } from './fields.js';

const restock = z.strictObject({ op: z.literal('restock'), key: itemKey, quantity: positiveMinorUnits });
const reserve = z.strictObject({ op: z.literal('reserve'), key: itemKey, quantity: positiveMinorUnits });
const operation = z.discriminatedUnion('op', [restock, reserve]);
type InventoryOperation = z.infer<typeof operation>;

export const inventory = defineKind<InventoryOperation>({
  name: 'inventory',
  description: 'stock levels per SKU, never negative; reservations and restocks never lock',
  operation,
  operationNames: ['restock', 'reserve'],
  escrowQuantity: 'stock',
  plan(op): OperationPlan {
    switch (op.op) {
      case 'restock':
        return { hold: 'escrow', key: op.key, quantity: 'stock', direction: 'supply', amount: op.quantity, shortReason: 'LIMIT_EXCEEDED' };
      case 'reserve':
        return { hold: 'escrow', key: op.key, quantity: 'stock', direction: 'consume', amount: op.quantity, shortReason: 'OUT_OF_STOCK' };
    }
  },
  view: (item) => escrowView(item, 'stock'),
});
