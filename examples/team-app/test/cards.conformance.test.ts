/**
 * The team's card participant held to every rule of the participant protocol by Pakka's conformance kit:
 * its barrier code over the fake gateway (started here on a free loopback port, closed by its handle), on a
 * prepared-state table in DynamoDB Local (DYNAMO_ENDPOINT) made by Pakka's local mode.
 */
import { LocalPakka, localDynamoClient } from 'pakka/local';
import { barrierParticipant, parseParticipantConfig } from 'pakka/participants';
import { type Operations, participantConformance } from 'pakka/testing';
import { afterAll, beforeAll } from 'vitest';
import { type CardGateway, startCardGateway } from '../cardGateway.js';
import { cardPayments } from '../cardPayments.js';
import { kinds } from '../participants.js';

type DocumentClient = Parameters<typeof barrierParticipant>[0]['client'];

const name = 'cards';
let gateway: CardGateway;
let table: { tableName: string; client: DocumentClient };

beforeAll(async () => {
  const endpoint = process.env.DYNAMO_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMO_ENDPOINT is not set');
  gateway = await startCardGateway();
  const config = parseParticipantConfig(
    { defaults: { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 }, participants: { [name]: { kind: 'card' } } },
    kinds,
  );
  const pakka = new LocalPakka({
    dynamo: localDynamoClient(endpoint),
    config,
    tablePrefix: `cards-conformance-${process.pid}-`,
    ownParticipants: {
      [name]: (t) => {
        table = t;
        return barrierParticipant({ name, definition: cardPayments(gateway.url), tableName: t.tableName, client: t.client });
      },
    },
  });
  await pakka.createTables();
});
afterAll(() => gateway?.close());

/** A client whose first record update fails, as if the Lambda died right after the gateway call (every barrier update follows the team's code). */
function dyingAtFirstUpdate(real: DocumentClient): DocumentClient {
  let died = false;
  return {
    send: (command: { input?: { UpdateExpression?: unknown } }) => {
      if (command.input?.UpdateExpression !== undefined && !died) {
        died = true;
        return Promise.reject(new Error('Lambda died after the gateway call'));
      }
      return real.send(command as never);
    },
  } as unknown as DocumentClient;
}

let cardNumber = 0;
async function card(limit: number): Promise<string> {
  const key = `card-${process.pid}-${++cardNumber}`;
  const response = await fetch(`${gateway.url}/cards/${key}`, { method: 'PUT', body: JSON.stringify({ limit }) });
  if (!response.ok) throw new Error(`seeding ${key} failed: ${response.status}`);
  return key;
}

const handlerWith = (client: DocumentClient) => barrierParticipant({ name, definition: cardPayments(gateway.url), tableName: table.tableName, client });

participantConformance({
  name: 'the team card participant',
  participant: name,
  handler: () => handlerWith(table.client),
  yes: async () => [
    { op: 'charge', key: await card(10_000), amount: 2_500 },
    { op: 'charge', key: await card(500), amount: 500 },
  ],
  no: { reason: 'INSUFFICIENT_FUNDS', setup: async () => [{ op: 'charge', key: await card(100), amount: 101 }] },
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
  crashAfterExternalCall: () => handlerWith(dyingAtFirstUpdate(table.client)),
});
