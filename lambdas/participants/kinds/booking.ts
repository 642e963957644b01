/** Slots that one holder at a time may hold: a cinema seat, a wedding vendor's date. */
import { z } from 'zod';
import { type OperationPlan, defineKind } from '../kind.js';
import { holder, itemKey } from './fields.js';

const hold = z.strictObject({ op: z.literal('hold'), key: itemKey, holder });
const release = z.strictObject({ op: z.literal('release'), key: itemKey, holder });
const operation = z.discriminatedUnion('op', [hold, release]);
type BookingOperation = z.infer<typeof operation>;

export const booking = defineKind<BookingOperation>({
  name: 'booking',
  description: 'slots (seats, dates) held by at most one holder',
  operation,
  operationNames: ['hold', 'release'],
  plan(op): OperationPlan {
    switch (op.op) {
      case 'hold':
        return {
          key: op.key,
          hold: 'exclusive',
          creates: true,
          prepare: { condition: 'attribute_not_exists(heldBy)', failureReason: 'ALREADY_HELD' },
          commit: { set: ['heldBy = :holder'], values: { ':holder': op.holder } },
        };
      case 'release':
        return {
          key: op.key,
          hold: 'exclusive',
          creates: false,
          prepare: { condition: 'heldBy = :holder', values: { ':holder': op.holder }, failureReason: 'NOT_HOLDER' },
          commit: { remove: ['heldBy'] },
        };
    }
  },
  view: (item) => ({ heldBy: item.heldBy ?? null }),
});
