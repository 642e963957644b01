/**
 * The participants of a transaction are listed in one order on every call: the order asked for (the
 * config's), not the order in which the participants' tables happen to answer. The second table's read
 * is held until the first one's answer arrived, and then the other way round: both give the same list.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { tableReads } from '../../lambdas/api/tableReads.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { createTables } from '../../local/tables.js';
import { uniqueId } from '../support/pakka.js';

const NAMES = ['alpha-bank', 'beta-bank', 'gamma-bank'];
const dynamo = localDynamoClient(inject('dynamoEndpoint'));
const client = documentClient(dynamo);
const prefix = uniqueId('order');
const tables = { coordinatorLog: `${prefix}-log`, participants: new Map(NAMES.map((name) => [name, `${prefix}-${name}`])) };
const config = parseParticipantConfig({ participants: Object.fromEntries(NAMES.map((name) => [name, { kind: 'ledger' }])) });

/** A client whose batch reads answer table by table in `order`: each waits for the one before it to have answered. */
function answeringInOrder(order: readonly string[]): DynamoDBDocumentClient {
  const answered = new Map(
    order.map((name) => {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      return [name, { promise, resolve }];
    }),
  );
  return {
    send: async (command: { input?: { RequestItems?: Record<string, unknown> } }) => {
      const table = Object.keys(command.input?.RequestItems ?? {})[0];
      const name = NAMES.find((n) => tables.participants.get(n) === table);
      const before = name === undefined ? -1 : order.indexOf(name) - 1;
      if (before >= 0) await answered.get(order[before] ?? '')?.promise;
      const out = await client.send(command as never);
      if (name !== undefined) answered.get(name)?.resolve();
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
}

describe("a transaction's participants", () => {
  it('come in the order asked for, whichever table answers first', async () => {
    await createTables(dynamo, tables);
    const txnId = uniqueId('txn');
    for (const name of NAMES) {
      const tableName = tables.participants.get(name) ?? '';
      await participantHandler({ name, kind: ledger, tableName, client })({
        action: 'prepare',
        txnId,
        operations: [{ op: 'credit', key: uniqueId('acct'), amount: 1 }],
      });
    }
    for (const order of [[...NAMES].reverse(), NAMES, ['beta-bank', 'gamma-bank', 'alpha-bank']]) {
      const records = await tableReads(answeringInOrder(order), tables, config).readParticipantRecords(txnId, NAMES);
      expect([...records.keys()], `answering in the order ${order.join(', ')}`).toEqual(NAMES);
    }
  });
});
