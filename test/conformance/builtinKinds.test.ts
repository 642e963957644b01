/** Pakka's own kinds, through the participant runtime on DynamoDB Local, pass the conformance kit. */
import { inject, it } from 'vitest';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { raisingVoteAbort } from '../../lambdas/participants/voteAbortRaised.js';
import { BUILT_IN_KINDS } from '../../lambdas/participants/kinds/index.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { createTables } from '../../local/tables.js';
import { CONFORMANCE_RULES, type Operations, participantConformance } from '../../testing/conformance.js';
import { uniqueId } from '../support/pakka.js';
import { itemSnapshot } from '../../testing/itemSnapshot.js';

const client = documentClient(localDynamoClient(inject('dynamoEndpoint')));
const prefix = uniqueId('conf');
const tables = new Map([...BUILT_IN_KINDS.keys()].map((kind) => [kind, `${prefix}-participant-${kind}`]));
const tablesReady = createTables(localDynamoClient(inject('dynamoEndpoint')), { coordinatorLog: `${prefix}-log`, participants: tables });

function builtin(kindName: string) {
  const kind = BUILT_IN_KINDS.get(kindName);
  const tableName = tables.get(kindName);
  if (!kind || !tableName) throw new Error(`no kind ${kindName}`);
  const handler = participantHandler({ name: `conformance-${kindName}`, kind, tableName, client });
  /** Committed state made through the protocol itself, as a real participant would get it. */
  const seed = async (operations: Operations) => {
    await tablesReady;
    const txnId = uniqueId('seed');
    await handler({ action: 'prepare', txnId, operations });
    await handler({ action: 'commit', txnId, operations });
  };
  const base = {
    participant: `conformance-${kindName}`,
    handler: () => handler,
    snapshot: async (operations: Operations) => {
      await tablesReady;
      return itemSnapshot(client, tableName, operations);
    },
  };
  return { base, seed };
}

for (const raised of [false, true]) {
  const { base, seed } = builtin('ledger');
  const account = async (balance: number) => {
    const key = uniqueId('acct');
    await seed([{ op: 'credit', key, amount: balance }]);
    return key;
  };
  participantConformance({
    ...base,
    // As the Lambda entry delivers it too: its noes raised as Pakka.VoteAbort.<REASON>, held to the same rules.
    ...(raised ? { handler: () => raisingVoteAbort(base.handler()) } : {}),
    name: raised ? 'ledger, its noes raised as the Lambda entry raises them' : 'ledger',
    yes: async () => [
      { op: 'debit', key: await account(1000), amount: 300 },
      { op: 'credit', key: await account(5), amount: 300 },
    ],
    no: { reason: 'INSUFFICIENT_FUNDS', setup: async () => [{ op: 'debit', key: await account(100), amount: 101 }] },
    readOnly: async () => [{ op: 'assertBalanceAtLeast', key: await account(500), amount: 500 }],
    allOrNothing: {
      reason: 'INSUFFICIENT_FUNDS',
      setup: async () => [
        { op: 'debit', key: await account(1000), amount: 100 },
        { op: 'credit', key: uniqueId('new'), amount: 100 },
        { op: 'debit', key: await account(5), amount: 100 },
      ],
    },
  });
}

{
  const { base, seed } = builtin('inventory');
  const sku = async (stock: number) => {
    const key = uniqueId('sku');
    await seed([{ op: 'restock', key, quantity: stock }]);
    return key;
  };
  const inventory = {
    ...base,
    name: 'inventory',
    yes: async () => [{ op: 'reserve', key: await sku(10), quantity: 3 }],
    no: { reason: 'OUT_OF_STOCK', setup: async () => [{ op: 'reserve', key: await sku(2), quantity: 3 }] },
    allOrNothing: {
      reason: 'OUT_OF_STOCK',
      setup: async () => [
        { op: 'reserve', key: await sku(10), quantity: 3 },
        { op: 'restock', key: uniqueId('sku'), quantity: 4 },
        { op: 'reserve', key: await sku(1), quantity: 3 },
      ],
    },
  };
  participantConformance(inventory, { rules: CONFORMANCE_RULES.filter((rule) => rule !== 'mismatch') });
  // A known gap of holds in the item, kept in sight (docs/design.md, "Holds that live in the item", the Open
  // paragraph after "The prepare reads the record beside its write"): the yes case is one reserve, held in its
  // item with no record, so a repeat whose operations name another item finds nothing that tells of the first
  // body. Pakka's coordinator never sends one (the txnId claim fixes one body per txnId). `it.fails` turns red
  // the day the gap closes, so this line goes then.
  participantConformance(
    { ...inventory, name: 'inventory, a repeat naming another item before any record (known gap)' },
    { rules: ['mismatch'], test: (title, body) => it.fails(title, body, 60_000) },
  );
}

{
  const { base, seed } = builtin('booking');
  const heldSlot = async () => {
    const key = uniqueId('seat');
    await seed([{ op: 'hold', key, holder: 'asha' }]);
    return key;
  };
  participantConformance({
    ...base,
    name: 'booking',
    yes: async () => [
      { op: 'hold', key: uniqueId('seat'), holder: 'ravi' },
      { op: 'release', key: await heldSlot(), holder: 'asha' },
    ],
    no: { reason: 'ALREADY_HELD', setup: async () => [{ op: 'hold', key: await heldSlot(), holder: 'ravi' }] },
    allOrNothing: {
      reason: 'ALREADY_HELD',
      setup: async () => [
        { op: 'hold', key: uniqueId('seat'), holder: 'ravi' },
        { op: 'hold', key: await heldSlot(), holder: 'ravi' },
      ],
    },
  });
}

{
  const { base, seed } = builtin('outbox');
  const sent = async () => {
    const key = uniqueId('msg');
    await seed([{ op: 'enqueue', key, message: 'already sent' }]);
    return key;
  };
  participantConformance({
    ...base,
    name: 'outbox',
    yes: async () => [{ op: 'enqueue', key: uniqueId('msg'), message: 'your transfer is done' }],
    no: { reason: 'DUPLICATE_MESSAGE', setup: async () => [{ op: 'enqueue', key: await sent(), message: 'twice' }] },
    allOrNothing: {
      reason: 'DUPLICATE_MESSAGE',
      setup: async () => [
        { op: 'enqueue', key: uniqueId('msg'), message: 'new' },
        { op: 'enqueue', key: await sent(), message: 'twice' },
      ],
    },
  });
}
