/**
 * The team's participant over its card gateway (authorize, capture, void), written with Pakka's barrier
 * SDK: prepare authorizes, commit captures, abort voids, and Pakka's barrier decides when each runs. Every
 * gateway request carries the idempotency key `<txnId>:<card>`, so a call the barrier repeats after a
 * crash does the work once. The kind lets the API validate card operations before a transaction starts.
 */
import { TransientFailure, defineBarrierParticipant, itemKey, ownFunctionKind, positiveMinorUnits } from 'pakka/participants';
import { z } from 'zod';

const charge = z.strictObject({ op: z.literal('charge'), key: itemKey, amount: positiveMinorUnits });
export const cardOperation = z.discriminatedUnion('op', [charge]);
export type CardOperation = z.infer<typeof cardOperation>;

/** `kind: "card"` in participants.json: answered by the team's own function, not by Pakka's runtime. */
export const cardKind = ownFunctionKind<CardOperation>({
  name: 'card',
  description: 'card payments through the team gateway (authorize, capture, void)',
  operation: cardOperation,
  operationNames: ['charge'],
});

const authorization = z.object({ status: z.string(), id: z.string() });

export function cardPayments(gatewayUrl: string) {
  async function send(path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${gatewayUrl}${path}`, {
        method: 'POST',
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

  return defineBarrierParticipant<CardOperation>({
    operation: cardOperation,
    async prepare({ txnId, operations }) {
      const hold: Record<string, string> = {};
      for (const op of operations) {
        const { status, json } = await send(`/authorizations/${keyOf(txnId, op.key)}`, { card: op.key, amount: op.amount });
        // A decline may follow authorizations of earlier cards: the barrier runs abort, which voids them.
        if (status === 402 || status === 409) return { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' };
        if (status !== 200 && status !== 201) throw new Error(`card gateway refused the authorization: ${status} ${JSON.stringify(json)}`);
        hold[op.key] = authorization.parse(json).id;
      }
      return { vote: 'VOTE_COMMIT', hold };
    },
    async commit({ txnId, operations }) {
      for (const op of operations) {
        const { status, json } = await send(`/authorizations/${keyOf(txnId, op.key)}/capture`);
        if (status !== 200) throw new Error(`capture of ${op.key} failed: ${status} ${JSON.stringify(json)}`);
      }
    },
    async abort({ txnId, operations }) {
      for (const op of operations) {
        const { status, json } = await send(`/authorizations/${keyOf(txnId, op.key)}/void`);
        if (status !== 200) throw new Error(`void of ${op.key} failed: ${status} ${JSON.stringify(json)}`);
      }
    },
  });
}
