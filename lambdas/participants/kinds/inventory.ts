/** Stock levels per SKU: a warehouse. Stock never goes below zero (invariant I4). */
import { z } from 'zod';
import { type OperationPlan, defineKind } from '../kind.js';
import { itemKey, positiveMinorUnits } from './fields.js';

const restock = z.strictObject({ op: z.literal('restock'), key: itemKey, quantity: positiveMinorUnits });
const reserve = z.strictObject({ op: z.literal('reserve'), key: itemKey, quantity: positiveMinorUnits });
const operation = z.discriminatedUnion('op', [restock, reserve]);
type InventoryOperation = z.infer<typeof operation>;

export const inventory = defineKind<InventoryOperation>({
  name: 'inventory',
  description: 'stock levels per SKU, never negative',
  operation,
  operationNames: ['restock', 'reserve'],
  plan(op): OperationPlan {
    switch (op.op) {
      case 'restock':
        return {
          key: op.key,
          readOnly: false,
          creates: true,
          prepare: { initialise: ['stock = if_not_exists(stock, :zero)'], values: { ':zero': 0 }, failureReason: () => 'ERROR' },
          commit: { set: ['stock = stock + :quantity'], values: { ':quantity': op.quantity } },
        };
      case 'reserve':
        return {
          key: op.key,
          readOnly: false,
          creates: false,
          prepare: {
            condition: 'attribute_exists(stock) AND stock >= :quantity',
            values: { ':quantity': op.quantity },
            failureReason: () => 'OUT_OF_STOCK',
          },
          commit: { set: ['stock = stock - :quantity'], values: { ':quantity': op.quantity } },
        };
    }
  },
  view: (item) => ({ stock: item.stock ?? 0 }),
});
