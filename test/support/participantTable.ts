/** Direct reads of a participant's table, to assert what a protocol step left behind. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalPakka } from '../../local/pakka.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { itemKeyOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { inject } from 'vitest';
import type { ItemHold } from '../../lambdas/api/itemReads.js';
import { tableReads } from '../../lambdas/api/tableReads.js';
import { type StatusAnswer, statusAnswer } from '../../lambdas/contract/participantProtocol.js';

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

/**
 * The participant's own `status` answer for a transaction, in either layout: a hold that lives in its item
 * has no record until its decision, and the status finds its entry (through heldItems without operations).
 */
export async function statusAt(pakka: LocalPakka, name: string, txnId: string): Promise<StatusAnswer> {
  return statusAnswer.parse(await participant(pakka, name)({ action: 'status', txnId }));
}

/**
 * An account's funds and holds as the API shows them. What an aborted credit to a new account must leave is
 * `{ balance: 0, holds: [] }` in either layout: the record layout deletes the provisional item, a hold that
 * lived in the item leaves the item (at balance 0, or its finished entry alone).
 */
export async function fundsAndHolds(pakka: LocalPakka, name: string, key: string): Promise<{ balance: number; holds: ItemHold[] }> {
  const reads = tableReads(client, pakka.tables, pakka.config);
  const item = await reads.readParticipantItem(name, key);
  return { balance: Number(item?.balance ?? 0), holds: (await reads.readItemHolds(name, key)).holds };
}

export function participant(pakka: LocalPakka, name: string) {
  const handler = pakka.participants.get(name);
  if (!handler) throw new Error(`no participant ${name}`);
  return handler;
}
