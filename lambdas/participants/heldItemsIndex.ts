/**
 * The sparse `heldItems` index of a participant table (docs/design.md, "The sparse index"): the items that
 * hold a prepared entry, spread over HELD_PARTITIONS, keys only and eventually consistent, so every reader
 * reads the items it names consistently. Read by recovery's listings and sweep (../recovery/inDoubtIndex.ts)
 * and by a participant's `status` that has no record and no operations to name the item with.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type IntentEntry, intentEntryOf } from '../protocol/heldIntent.js';
import { batchReadConsistent } from './batchRead.js';
import { HELD_ITEMS_INDEX, HELD_PARTITIONS, HELD_SHARD } from './itemIntents.js';
import { type IndexPage, type ShardedIndex, indexPages } from './shardedIndexPages.js';
import { PARTITION_KEY } from './table.js';

/** The index as its readers query it: every shard, keys only; `holdsAny` (a sweep's probe) asked first when given. */
export function heldItemsShards(client: DynamoDBDocumentClient, tableName: string, holdsAny?: () => Promise<boolean>): ShardedIndex {
  return {
    send: (input) => client.send(new QueryCommand(input)),
    TableName: tableName,
    IndexName: HELD_ITEMS_INDEX,
    shardKey: HELD_SHARD,
    shards: HELD_PARTITIONS,
    ...(holdsAny ? { holdsAny } : {}),
  };
}

/** The keys of the items a page of the index lists. */
export const heldItemKeys = (page: IndexPage): string[] => page.items.flatMap((item) => (typeof item[PARTITION_KEY] === 'string' ? [item[PARTITION_KEY]] : []));

/** DynamoDB's answer to a Query or Scan of an index the table does not have. */
export const isMissingIndex = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message) && /not have|specified index/i.test(error.message);

const PAGE = 100;

/**
 * The entry of `txnId` in an item the index lists (so an item holding a prepared entry), each item read
 * consistently; undefined when none holds one, or the table has no such index (a table from before it).
 * Every shard is paged through: it answers a question about one transaction, asked only when nothing
 * else names the item (a status without operations and without a record).
 */
export async function heldEntryOf(client: DynamoDBDocumentClient, tableName: string, txnId: string): Promise<IntentEntry | undefined> {
  return (await heldEntriesOf(client, tableName, [txnId])).get(txnId);
}

/**
 * heldEntryOf for several transactions in one pass over the index (the API's views of transactions with no
 * record at a participant): each found entry by its txnId; empty on a table without the index.
 */
export async function heldEntriesOf(client: DynamoDBDocumentClient, tableName: string, txnIds: readonly string[]): Promise<Map<string, IntentEntry>> {
  const found = new Map<string, IntentEntry>();
  if (!txnIds.length) return found;
  try {
    for await (const page of indexPages(heldItemsShards(client, tableName), { limit: () => PAGE })) {
      const items = await batchReadConsistent(
        client,
        tableName,
        heldItemKeys(page).map((pk) => ({ [PARTITION_KEY]: pk })),
      );
      for (const item of items)
        for (const txnId of txnIds) {
          const entry = intentEntryOf((item.intents as Record<string, unknown> | undefined)?.[txnId]);
          if (entry && !found.has(txnId)) found.set(txnId, entry);
        }
      if (found.size === txnIds.length) return found;
    }
  } catch (error) {
    if (isMissingIndex(error)) return found;
    throw error;
  }
  return found;
}
