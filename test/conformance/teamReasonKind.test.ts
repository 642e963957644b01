/**
 * A team's kind with abort reasons of its own (contract 1.3) passes the conformance kit, its noes
 * answered and raised as the Lambda entry raises them (`Pakka.VoteAbort.TEAM`, the reason as the message).
 */
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { raisingVoteAbort } from '../../lambdas/participants/voteAbortRaised.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { createTables } from '../../local/tables.js';
import { type Operations, participantConformance } from '../../testing/conformance.js';
import { itemSnapshot } from '../../testing/itemSnapshot.js';
import { uniqueId } from '../support/pakka.js';
import { vouchers } from '../support/voucherKind.js';

const client = documentClient(localDynamoClient(inject('dynamoEndpoint')));
const prefix = uniqueId('conf');
const tableName = `${prefix}-participant-voucher`;
const tablesReady = createTables(localDynamoClient(inject('dynamoEndpoint')), {
  coordinatorLog: `${prefix}-log`,
  participants: new Map([['voucher', tableName]]),
});
const participant = 'conformance-vouchers';
const handler = participantHandler({ name: participant, kind: vouchers, tableName, client });

/** A voucher issued through the protocol itself, as a real participant would get it. */
async function issued(): Promise<string> {
  await tablesReady;
  const key = uniqueId('GIFT');
  const operations = [{ op: 'issue', key, amount: 500 }];
  const txnId = uniqueId('seed');
  await handler({ action: 'prepare', txnId, operations });
  await handler({ action: 'commit', txnId, operations });
  return key;
}

for (const raised of [false, true]) {
  participantConformance({
    participant,
    name: raised ? 'a team kind, its own reasons raised as the Lambda entry raises them' : 'a team kind with reasons of its own',
    handler: () => (raised ? raisingVoteAbort(handler) : handler),
    snapshot: async (operations: Operations) => {
      await tablesReady;
      return itemSnapshot(client, tableName, operations);
    },
    yes: async () => [{ op: 'redeem', key: await issued() }],
    no: { reason: 'NO_SUCH_VOUCHER', setup: async () => [{ op: 'redeem', key: uniqueId('NONE') }] },
    allOrNothing: {
      reason: 'NO_SUCH_VOUCHER',
      setup: async () => [
        { op: 'redeem', key: await issued() },
        { op: 'redeem', key: uniqueId('NONE') },
      ],
    },
  });
}
