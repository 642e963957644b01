/**
 * Messages (an SMS, an email) that become visible only when the transaction commits:
 * the transactional outbox. Prepare reserves the message key; commit writes the message.
 */
import { z } from 'zod';
import { defineKind } from '../kind.js';
import { itemKey, message } from './fields.js';

const enqueue = z.strictObject({ op: z.literal('enqueue'), key: itemKey, message });
const operation = z.discriminatedUnion('op', [enqueue]);
type OutboxOperation = z.infer<typeof operation>;

export const outbox = defineKind<OutboxOperation>({
  name: 'outbox',
  description: 'messages that become visible only when the transaction commits',
  operation,
  operationNames: ['enqueue'],
  plan(op) {
    return {
      key: op.key,
      hold: 'exclusive',
      creates: true,
      prepare: { condition: 'attribute_not_exists(message)', failureReason: 'DUPLICATE_MESSAGE' },
      commit: { set: ['message = :message', 'messageStatus = :ready'], values: { ':message': op.message, ':ready': 'READY' } },
    };
  },
  view: (item) => ({ message: item.message ?? null, messageStatus: item.messageStatus ?? null }),
});
