/**
 * Reading one business item of a participant as an operator sees it: the item (a sharded key summed
 * over its shards) and the prepared transactions that hold something on it, found through the
 * participant's in-doubt index and, for holds that live in the item, in the item's own `intents`.
 * DynamoDB I/O only; the shapes come from the participant modules.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchReadConsistent } from '../participants/batchRead.js';
import { mergeShards, shardPksOf } from '../participants/hotItems.js';
import { storedRecord } from '../participants/record.js';
import { indexPages } from '../participants/shardedIndexPages.js';
import { intentEntryOf } from '../protocol/heldIntent.js';
import { IN_DOUBT_PARTITIONS, PARTITION_KEY, itemKeyOf, recordKeyOf } from '../participants/table.js';
import { inDoubtShards } from '../recovery/inDoubtIndex.js';

/** One hold as the item view shows it, from the operation that holds it. */
function holdOf(txnId: string, op: Record<string, unknown>, preparedAt: string | null): ItemHold {
  return {
    txnId,
    op: String(op.op),
    ...(typeof op.amount === 'number' ? { amount: op.amount } : typeof op.quantity === 'number' ? { amount: op.quantity } : {}),
    ...(typeof op.holder === 'string' ? { holder: op.holder } : {}),
    preparedAt,
  };
}

/** The prepared entries of holds that live in the item itself (participants/itemIntents.ts). */
async function holdsInItem(client: DynamoDBDocumentClient, tableName: string, key: string): Promise<ItemHold[]> {
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: itemKeyOf(key),
      ConsistentRead: true,
      ProjectionExpression: '#in',
      ExpressionAttributeNames: { '#in': 'intents' },
    }),
  );
  return Object.entries((out.Item?.intents ?? {}) as Record<string, unknown>).flatMap(([txnId, raw]) => {
    const entry = intentEntryOf(raw);
    return entry?.s === 'P' && typeof entry.op === 'object' && entry.op !== null ? [holdOf(txnId, entry.op as Record<string, unknown>, entry.at)] : [];
  });
}

/** One prepared transaction's hold on an item: what it reserves, promises or locks. */
export interface ItemHold {
  txnId: string;
  op: string;
  amount?: number;
  holder?: string;
  preparedAt: string | null;
}

export interface ItemHolds {
  holds: ItemHold[];
  /** False when more prepared records exist than one look reads (HOLDS_SCAN_LIMIT). */
  complete: boolean;
}

/** How many PREPARED records of the participant one item look reads at most. */
export const HOLDS_SCAN_LIMIT = 200;

export async function readItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: string,
  shards: number | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (shards === undefined) {
    const out = await client.send(new GetCommand({ TableName: tableName, Key: itemKeyOf(key), ConsistentRead: true }));
    return out.Item;
  }
  const merged = mergeShards(
    await batchReadConsistent(
      client,
      tableName,
      shardPksOf(key, shards).map((pk) => ({ [PARTITION_KEY]: pk })),
    ),
  );
  return merged && { ...merged, shards };
}

export async function readHolds(client: DynamoDBDocumentClient, tableName: string, key: string): Promise<ItemHolds> {
  const txnIds: string[] = [];
  let complete = true;
  const lastShard = IN_DOUBT_PARTITIONS[IN_DOUBT_PARTITIONS.length - 1];
  for await (const page of indexPages(inDoubtShards(client, tableName, { ProjectionExpression: 'txnId' }), { limit: () => HOLDS_SCAN_LIMIT - txnIds.length })) {
    for (const item of page.items) if (typeof item.txnId === 'string') txnIds.push(item.txnId);
    // Full, with a page or a shard still unread: what it holds is left out.
    if (txnIds.length >= HOLDS_SCAN_LIMIT && (page.more || page.shard !== lastShard)) {
      complete = false;
      break;
    }
  }
  const holds: ItemHold[] = await holdsInItem(client, tableName, key);
  for (const raw of await batchReadConsistent(
    client,
    tableName,
    txnIds.map((txnId) => recordKeyOf(txnId)),
  )) {
    const record = storedRecord(raw);
    if (record.state !== 'PREPARED') continue; // decided since the index was read
    for (const op of record.operations ?? []) {
      const o = op as Record<string, unknown>;
      if (o.key !== key) continue;
      holds.push(holdOf(record.txnId, o, record.preparedAt ?? null));
    }
  }
  holds.sort((a, b) => (a.preparedAt ?? '').localeCompare(b.preparedAt ?? ''));
  return { holds, complete };
}
