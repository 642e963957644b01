/**
 * Which decided records of holds that live in their item still have the item behind them (docs/design.md,
 * "Holds that live in the item"): commit and abort write the record first and the item second, so after a
 * crash between the two the record alone would call phase 2 done at a participant whose item still holds the
 * `P` entry. The derived status (../coordinatorLog/transactionStatus.ts) counts such a delivery as pending.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import type { ParticipantRecordFacts } from '../coordinatorLog/transactionStatus.js';
import { ITEM_HOLD_LAYOUT } from '../participants/itemIntents.js';
import type { StoredRecord } from '../participants/record.js';
import { itemKeyOf } from '../participants/table.js';
import { type IntentEntry, intentEntryOf, intentFacts } from '../protocol/heldIntent.js';

/** The transaction's entry in one item, read consistently (only the entry is returned). */
export async function entryInItem(client: DynamoDBDocumentClient, tableName: string, key: string, txnId: string): Promise<IntentEntry | undefined> {
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: itemKeyOf(key),
      ConsistentRead: true,
      ProjectionExpression: '#in.#t',
      ExpressionAttributeNames: { '#in': 'intents', '#t': txnId },
    }),
  );
  return intentEntryOf((out.Item?.intents as Record<string, unknown> | undefined)?.[txnId]);
}

/**
 * The records by transaction and participant, each decided item-layout record marked `itemBehind` when the
 * item its one operation names still holds the transaction's `P` entry: one consistent read per such record.
 */
export async function withItemsBehind(
  client: DynamoDBDocumentClient,
  tableOf: (participant: string) => string,
  items: readonly CoordinatorLogItem[],
  records: ReadonlyMap<string, ReadonlyMap<string, StoredRecord>>,
): Promise<Map<string, Map<string, ParticipantRecordFacts>>> {
  const facts = new Map([...records].map(([txnId, byName]) => [txnId, new Map<string, ParticipantRecordFacts>(byName)]));
  const held = items.flatMap((i) =>
    i.participantsJson.flatMap((p) => {
      const record = records.get(i.txnId)?.get(p.name);
      const [only, ...others] = p.operations;
      if (record?.layout !== ITEM_HOLD_LAYOUT || record.state === 'PREPARED' || others.length || typeof only?.key !== 'string') return [];
      const state = record.state;
      return [{ txnId: i.txnId, name: p.name, key: only.key, record, decided: { state, ...(record.digest !== undefined ? { digest: record.digest } : {}) } }];
    }),
  );
  await Promise.all(
    held.map(async ({ txnId, name, key, record, decided }) => {
      if (intentFacts(decided, await entryInItem(client, tableOf(name), key, txnId))?.itemBehind) facts.get(txnId)?.set(name, { ...record, itemBehind: true });
    }),
  );
  return facts;
}
