/**
 * Runs the team's participants on Pakka's local service (DynamoDB Local at DYNAMO_ENDPOINT): a
 * purchase that pays from the bank and earns points commits on both, a redemption of more points than
 * the member has aborts on both, and the items are read back over the HTTP API. Prints one JSON line.
 */
import { startLocalService } from 'pakka/local';
import { participants } from './participants.js';

const dynamoEndpoint = process.env.DYNAMO_ENDPOINT;
if (!dynamoEndpoint) throw new Error('DYNAMO_ENDPOINT is not set');
const service = await startLocalService({ port: 0, dynamoEndpoint, config: participants, tablePrefix: `team-${process.pid}-`, recovery: { timer: false } });
try {
  const member = `member-${process.pid}`;
  const account = `acct-${process.pid}`;
  const transact = async (body: unknown) => {
    const result = await service.pakka.runTransaction(body);
    return result.ok ? { status: result.value.status, reason: result.value.reason } : { invalid: result.error };
  };
  const fund = await transact({ participants: [{ name: 'bank', operations: [{ op: 'credit', key: account, amount: 10_000 }] }] });
  const purchase = await transact({
    participants: [
      { name: 'bank', operations: [{ op: 'debit', key: account, amount: 2_500 }] },
      { name: 'rewards', operations: [{ op: 'earn', key: member, points: 25 }] },
    ],
  });
  const overRedeem = await transact({
    participants: [
      { name: 'bank', operations: [{ op: 'debit', key: account, amount: 1_000 }] },
      { name: 'rewards', operations: [{ op: 'redeem', key: member, points: 40 }] },
    ],
  });
  const wrongOperation = await transact({ participants: [{ name: 'rewards', operations: [{ op: 'debit', key: member, amount: 1 }] }] });
  const item = async (name: string, key: string) => (await fetch(`${service.url}/participants/${name}/items/${key}`)).json();
  console.log(JSON.stringify({ fund, purchase, overRedeem, wrongOperation, bank: await item('bank', account), rewards: await item('rewards', member) }));
} finally {
  await service.stop();
}
