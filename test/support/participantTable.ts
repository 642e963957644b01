/** Direct reads of a participant's table, to assert what a protocol step left behind. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalPakka } from '../../local/pakka.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { itemKeyOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { inject } from 'vitest';

const client = documentClient(localDynamoClient(inject('dynamoEndpoint')));

function tableOf(pakka: LocalPakka, participant: string): string {
  const table = pakka.tables.participants.get(participant);
  if (!table) throw new Error(`no table for ${participant}`);
  return table;
}

export async function readItem(pakka: LocalPakka, participant: string, key: string): Promise<Record<string, unknown> | undefined> {
  const out = await client.send(new GetCommand({ TableName: tableOf(pakka, participant), Key: itemKeyOf(key), ConsistentRead: true }));
  return out.Item;
}

export async function readRecord(pakka: LocalPakka, participant: string, txnId: string): Promise<Record<string, unknown> | undefined> {
  const out = await client.send(new GetCommand({ TableName: tableOf(pakka, participant), Key: recordKeyOf(txnId), ConsistentRead: true }));
  return out.Item;
}

export function participant(pakka: LocalPakka, name: string) {
  const handler = pakka.participants.get(name);
  if (!handler) throw new Error(`no participant ${name}`);
  return handler;
}
