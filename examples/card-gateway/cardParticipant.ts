/**
 * A team's participant over an external card gateway: prepare authorizes, commit captures, abort voids.
 * This is all the team writes; Pakka's barrier decides when each runs. Every gateway request carries the
 * idempotency key `<txnId>:<card>`, so a call the barrier repeats after a crash does the work once.
 */
import { z } from 'zod';
import { TransientFailure, defineBarrierParticipant } from '../../lambdas/participants/barrier/index.js';
import { itemKey, positiveMinorUnits } from '../../lambdas/participants/kinds/fields.js';

const charge = z.strictObject({ op: z.literal('charge'), key: itemKey, amount: positiveMinorUnits });
/** Checks the card could pay, holding nothing: a participant of only these votes READ_ONLY. */
const verify = z.strictObject({ op: z.literal('verify'), key: itemKey, amount: positiveMinorUnits });
export const cardOperation = z.discriminatedUnion('op', [charge, verify]);
export type CardOperation = z.infer<typeof cardOperation>;

const gatewayAnswer = z.object({ status: z.string(), id: z.string().optional() });
const cardView = z.object({ available: z.number() });

export function cardParticipant(gatewayUrl: string) {
  async function send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${gatewayUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new TransientFailure(`card gateway unreachable: ${String(error)}`, { cause: error });
    }
    if (response.status >= 500) throw new TransientFailure(`card gateway answered ${response.status}`);
    return { status: response.status, json: await response.json() };
  }
  const keyOf = (txnId: string, card: string) => encodeURIComponent(`${txnId}:${card}`);
  const charges = (operations: readonly CardOperation[]) => operations.filter((o) => o.op === 'charge');

  return defineBarrierParticipant<CardOperation>({
    operation: cardOperation,
    async prepare({ txnId, operations }) {
      for (const op of operations.filter((o) => o.op === 'verify')) {
        const { status, json } = await send('GET', `/cards/${encodeURIComponent(op.key)}`);
        if (status !== 200 || cardView.parse(json).available < op.amount) return { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' };
      }
      const hold: Record<string, string> = {};
      for (const op of charges(operations)) {
        const { status, json } = await send('POST', `/authorizations/${keyOf(txnId, op.key)}`, { card: op.key, amount: op.amount });
        // A decline may follow authorizations of earlier cards: the barrier runs abort, which voids them.
        if (status === 402 || status === 409) return { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' };
        if (status !== 200 && status !== 201) throw new Error(`card gateway refused the authorization: ${status} ${JSON.stringify(json)}`);
        hold[op.key] = gatewayAnswer.parse(json).id ?? '';
      }
      return charges(operations).length ? { vote: 'VOTE_COMMIT', hold } : { vote: 'READ_ONLY' };
    },
    async commit({ txnId, operations }) {
      for (const op of charges(operations)) {
        const { status, json } = await send('POST', `/authorizations/${keyOf(txnId, op.key)}/capture`);
        if (status !== 200) throw new Error(`capture of ${op.key} failed: ${status} ${JSON.stringify(json)}`);
      }
    },
    async abort({ txnId, operations }) {
      for (const op of charges(operations)) {
        const { status, json } = await send('POST', `/authorizations/${keyOf(txnId, op.key)}/void`);
        if (status !== 200) throw new Error(`void of ${op.key} failed: ${status} ${JSON.stringify(json)}`);
      }
    },
  });
}
