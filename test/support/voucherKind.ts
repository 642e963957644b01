/**
 * A team's kind with abort reasons of its own (contract 1.3): gift vouchers, as docs/library.md declares
 * them, each no saying what happened in the team's words.
 */
import { z } from 'zod';
import { BUILT_IN_KINDS, kindRegistry } from '../../lambdas/participants/kinds/index.js';
import { itemKey, positiveMinorUnits } from '../../lambdas/participants/kinds/fields.js';
import { type OperationPlan, defineKind } from '../../lambdas/participants/kind.js';

const issue = z.strictObject({ op: z.literal('issue'), key: itemKey, amount: positiveMinorUnits });
const redeem = z.strictObject({ op: z.literal('redeem'), key: itemKey });
const operation = z.discriminatedUnion('op', [issue, redeem]);

export const vouchers = defineKind<z.infer<typeof operation>>({
  name: 'voucher',
  description: 'gift vouchers, each redeemed once',
  operation,
  operationNames: ['issue', 'redeem'],
  abortReasons: ['VOUCHER_EXISTS', 'NO_SUCH_VOUCHER'],
  plan(op): OperationPlan {
    if (op.op === 'issue') {
      return {
        hold: 'exclusive',
        key: op.key,
        creates: true,
        prepare: { condition: 'attribute_not_exists(amount)', failureReason: 'VOUCHER_EXISTS' },
        commit: { set: ['amount = :amount', 'redeemed = :no'], values: { ':amount': op.amount, ':no': false } },
      };
    }
    return {
      hold: 'exclusive',
      key: op.key,
      creates: false,
      // Never issued, or already redeemed: either way there is no voucher to redeem.
      prepare: { condition: 'redeemed = :no', values: { ':no': false }, failureReason: 'NO_SUCH_VOUCHER' },
      commit: { set: ['redeemed = :yes'], values: { ':yes': true } },
    };
  },
  view: (item) => ({ amount: item.amount ?? null, redeemed: item.redeemed ?? null }),
});

export const voucherKinds = (...more: Parameters<typeof kindRegistry>[0]) => kindRegistry([...BUILT_IN_KINDS.values(), vouchers, ...more]);
