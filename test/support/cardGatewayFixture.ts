/**
 * The conformance fixture of the example card participant: a fake gateway on loopback, a barrier table on
 * DynamoDB Local, cards seeded per case. `wrap` and `definition` let the kit's own tests break it on purpose.
 */
import { afterAll, beforeAll } from 'vitest';
import { type CardGateway, startCardGateway } from '../../examples/team-app/cardGateway.js';
import { cardParticipant } from '../../examples/card-gateway/cardParticipant.js';
import { barrierParticipant } from '../../lambdas/participants/barrier/index.js';
import type { AnyParticipantHandler, Operations, ParticipantConformanceFixture } from '../../testing/conformance.js';
import { barrierClient, barrierTable, dyingAtFirstUpdate } from './barrierTable.js';
import { uniqueId } from './pakka.js';

export interface CardFixtureOptions {
  wrap?: (handler: AnyParticipantHandler) => AnyParticipantHandler;
  definition?: (gatewayUrl: string) => ReturnType<typeof cardParticipant>;
}

export function cardGatewayFixture(options: CardFixtureOptions = {}): ParticipantConformanceFixture<unknown> {
  let gateway: CardGateway;
  let tableName: string;
  const client = barrierClient();
  const name = 'card-payments';
  beforeAll(async () => {
    gateway = await startCardGateway();
    tableName = await barrierTable(name);
  });
  afterAll(() => gateway.close());

  const wrap = options.wrap ?? ((h) => h);
  const definition = options.definition ?? cardParticipant;
  const handlerWith = (c: typeof client) => wrap(barrierParticipant({ name, definition: definition(gateway.url), tableName, client: c }));

  async function card(limit: number): Promise<string> {
    const key = uniqueId('card');
    const response = await fetch(`${gateway.url}/cards/${key}`, { method: 'PUT', body: JSON.stringify({ limit }) });
    if (!response.ok) throw new Error(`seeding ${key} failed: ${response.status}`);
    return key;
  }

  return {
    name: 'barrier participant over a card gateway',
    participant: name,
    handler: () => handlerWith(client),
    yes: async () => [
      { op: 'charge', key: await card(10_000), amount: 2_500 },
      { op: 'charge', key: await card(500), amount: 500 },
    ],
    no: { reason: 'INSUFFICIENT_FUNDS', setup: async () => [{ op: 'charge', key: await card(100), amount: 101 }] },
    readOnly: async () => [{ op: 'verify', key: await card(700), amount: 700 }],
    allOrNothing: {
      reason: 'INSUFFICIENT_FUNDS',
      setup: async () => [
        { op: 'charge', key: await card(10_000), amount: 100 },
        { op: 'charge', key: await card(50), amount: 100 },
      ],
    },
    snapshot: async (operations: Operations) =>
      Promise.all(
        operations.map(async (op) => {
          const response = await fetch(`${gateway.url}/cards/${String(op.key)}`);
          const { limit, held, captured, available } = (await response.json()) as Record<string, number>;
          return { limit, held, captured, available };
        }),
      ),
    externalCalls: () => gateway.calls(),
    crashAfterExternalCall: () => handlerWith(dyingAtFirstUpdate(client)),
  };
}
