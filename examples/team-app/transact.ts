/**
 * Runs the team's participants on Pakka's local service (DynamoDB Local at DYNAMO_ENDPOINT) with its fake
 * card gateway on a free loopback port: a purchase across the bank, the card gateway and the loyalty
 * points commits on all three; one whose second card is declined aborts on all three with nothing
 * changed (the card authorized first is voided); a redemption of more points than the member has aborts.
 * Items are read back over the HTTP API and cards from the gateway. Prints one JSON line.
 */
import { startLocalService } from 'pakka/local';
import { barrierParticipant } from 'pakka/participants';
import { startCardGateway } from './cardGateway.js';
import { cardPayments } from './cardPayments.js';
import { participants } from './participants.js';

const dynamoEndpoint = process.env.DYNAMO_ENDPOINT;
if (!dynamoEndpoint) throw new Error('DYNAMO_ENDPOINT is not set');
const gateway = await startCardGateway();
try {
  const service = await startLocalService({
    port: 0,
    dynamoEndpoint,
    config: participants,
    tablePrefix: `team-${process.pid}-`,
    recovery: { timer: false },
    // Locally the card participant's own function is its handler in-process, on the table Pakka made for it.
    pakka: {
      ownParticipants: { cards: ({ name, tableName, client }) => barrierParticipant({ name, definition: cardPayments(gateway.url), tableName, client }) },
    },
  });
  try {
    const member = `member-${process.pid}`;
    const account = `acct-${process.pid}`;
    const card = `card-${process.pid}`;
    const smallCard = `small-card-${process.pid}`;
    const seed = async (key: string, limit: number) => {
      const response = await fetch(`${gateway.url}/cards/${key}`, { method: 'PUT', body: JSON.stringify({ limit }) });
      if (!response.ok) throw new Error(`seeding ${key} failed: ${response.status}`);
    };
    await seed(card, 50_000);
    await seed(smallCard, 100);
    const transact = async (body: unknown) => {
      const result = await service.pakka.runTransaction(body);
      return result.ok ? { status: result.value.status, reason: result.value.reason } : { invalid: result.error };
    };
    const item = async (name: string, key: string) => (await fetch(`${service.url}/participants/${name}/items/${key}`)).json();
    const cardView = async (key: string) => (await fetch(`${gateway.url}/cards/${key}`)).json();
    const state = async () => ({
      bank: await item('bank', account),
      rewards: await item('rewards', member),
      card: await cardView(card),
      smallCard: await cardView(smallCard),
    });

    const fund = await transact({ participants: [{ name: 'bank', operations: [{ op: 'credit', key: account, amount: 10_000 }] }] });
    const purchase = await transact({
      participants: [
        { name: 'bank', operations: [{ op: 'debit', key: account, amount: 2_500 }] },
        { name: 'cards', operations: [{ op: 'charge', key: card, amount: 4_000 }] },
        { name: 'rewards', operations: [{ op: 'earn', key: member, points: 25 }] },
      ],
    });
    const afterPurchase = await state();
    const declined = await transact({
      participants: [
        { name: 'bank', operations: [{ op: 'debit', key: account, amount: 1_000 }] },
        {
          name: 'cards',
          operations: [
            { op: 'charge', key: card, amount: 3_000 },
            { op: 'charge', key: smallCard, amount: 500 },
          ],
        },
        { name: 'rewards', operations: [{ op: 'redeem', key: member, points: 10 }] },
      ],
    });
    const afterDeclined = await state();
    const overRedeem = await transact({
      participants: [
        { name: 'bank', operations: [{ op: 'debit', key: account, amount: 1_000 }] },
        { name: 'rewards', operations: [{ op: 'redeem', key: member, points: 40 }] },
      ],
    });
    const wrongOperation = await transact({ participants: [{ name: 'rewards', operations: [{ op: 'debit', key: member, amount: 1 }] }] });
    const wrongCardOperation = await transact({ participants: [{ name: 'cards', operations: [{ op: 'refund', key: card, amount: 1 }] }] });
    console.log(
      JSON.stringify({ fund, purchase, declined, overRedeem, wrongOperation, wrongCardOperation, afterPurchase, afterDeclined, final: await state() }),
    );
  } finally {
    await service.stop();
  }
} finally {
  await gateway.close();
}
