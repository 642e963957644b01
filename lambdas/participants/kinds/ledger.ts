/** Accounts with a balance in minor units: a bank, a wallet, a UPI switch's fee account. */
import { z } from 'zod';
import { type OperationPlan, defineKind } from '../kind.js';
import { escrowView } from './escrowView.js';
import { itemKey, positiveMinorUnits } from './fields.js';

const credit = z.strictObject({ op: z.literal('credit'), key: itemKey, amount: positiveMinorUnits });
const debit = z.strictObject({ op: z.literal('debit'), key: itemKey, amount: positiveMinorUnits });
const assertBalanceAtLeast = z.strictObject({ op: z.literal('assertBalanceAtLeast'), key: itemKey, amount: positiveMinorUnits });
const operation = z.discriminatedUnion('op', [credit, debit, assertBalanceAtLeast]);
type LedgerOperation = z.infer<typeof operation>;

export const ledger = defineKind<LedgerOperation>({
  name: 'ledger',
  description: 'accounts with an integer balance in minor units; debits reserve, credits promise, nothing locks',
  operation,
  operationNames: ['credit', 'debit', 'assertBalanceAtLeast'],
  escrowQuantity: 'balance',
  plan(op): OperationPlan {
    switch (op.op) {
      case 'credit':
        return { hold: 'escrow', key: op.key, quantity: 'balance', direction: 'supply', amount: op.amount, shortReason: 'LIMIT_EXCEEDED' };
      case 'debit':
        return { hold: 'escrow', key: op.key, quantity: 'balance', direction: 'consume', amount: op.amount, shortReason: 'INSUFFICIENT_FUNDS' };
      case 'assertBalanceAtLeast':
        // The committed balance: what prepared debits reserve is still the payer's until they commit.
        return { hold: 'check', key: op.key, condition: 'balance >= :amount', values: { ':amount': op.amount }, failureReason: 'INSUFFICIENT_FUNDS' };
    }
  },
  view: (item) => escrowView(item, 'balance'),
});
