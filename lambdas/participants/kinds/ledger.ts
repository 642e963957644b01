/** Accounts with a balance in minor units: a bank, a wallet, a UPI switch's fee account. */
import { z } from 'zod';
import { type OperationPlan, defineKind } from '../kind.js';
import { itemKey, positiveMinorUnits } from './fields.js';

const credit = z.strictObject({ op: z.literal('credit'), key: itemKey, amount: positiveMinorUnits });
const debit = z.strictObject({ op: z.literal('debit'), key: itemKey, amount: positiveMinorUnits });
const assertBalanceAtLeast = z.strictObject({ op: z.literal('assertBalanceAtLeast'), key: itemKey, amount: positiveMinorUnits });
const operation = z.discriminatedUnion('op', [credit, debit, assertBalanceAtLeast]);
type LedgerOperation = z.infer<typeof operation>;

export const ledger = defineKind<LedgerOperation>({
  name: 'ledger',
  description: 'accounts with an integer balance in minor units',
  operation,
  operationNames: ['credit', 'debit', 'assertBalanceAtLeast'],
  plan(op): OperationPlan {
    switch (op.op) {
      case 'credit':
        return {
          key: op.key,
          readOnly: false,
          creates: true,
          prepare: { initialise: ['balance = if_not_exists(balance, :zero)'], values: { ':zero': 0 }, failureReason: () => 'ERROR' },
          commit: { set: ['balance = balance + :amount'], values: { ':amount': op.amount } },
        };
      case 'debit':
        return {
          key: op.key,
          readOnly: false,
          creates: false,
          prepare: {
            condition: 'attribute_exists(balance) AND balance >= :amount',
            values: { ':amount': op.amount },
            failureReason: () => 'INSUFFICIENT_FUNDS',
          },
          commit: { set: ['balance = balance - :amount'], values: { ':amount': op.amount } },
        };
      case 'assertBalanceAtLeast':
        return {
          key: op.key,
          readOnly: true,
          creates: false,
          prepare: {
            condition: 'attribute_exists(balance) AND balance >= :amount',
            values: { ':amount': op.amount },
            failureReason: () => 'INSUFFICIENT_FUNDS',
          },
          commit: {},
        };
    }
  },
  view: (item) => ({ balance: item.balance ?? 0 }),
});
