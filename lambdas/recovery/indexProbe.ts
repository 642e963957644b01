/**
 * Whether a sparse index holds anything, for the price of one read: a Scan of the index that stops
 * at its first item. An idle stack's indexes are empty, and this one request then stands for a Query
 * of every shard (each of which DynamoDB bills at least 0.5 RRU even when it finds nothing).
 *
 * Safe to skip on: DynamoDB says a Scan whose answer has no LastEvaluatedKey has read the last page
 * ("Paginating table scan results", DynamoDB developer guide), so no item and no LastEvaluatedKey
 * means the index held nothing when it was read. The index is eventually consistent, exactly as the
 * shard Queries it stands for are: a record written a moment before is seen by the next sweep, and
 * recovery acts only on records minutes old.
 */
import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { HELD_ITEMS_INDEX } from '../participants/itemIntents.js';
import { IN_DOUBT_INDEX } from '../participants/table.js';
import { OPEN_INDEX } from '../tableSchemas.js';

const holdsAny = (out: ScanCommandOutput): boolean => (out.Count ?? 0) > 0 || out.LastEvaluatedKey !== undefined;

/** The sparse indexes of a participant table a sweep reads: `inDoubt` (PREPARED records) and `heldItems` (items holding an entry). */
export type ParticipantIndex = typeof IN_DOUBT_INDEX | typeof HELD_ITEMS_INDEX;

/** A participant table's sparse index holds anything. Each index is named as its constant, so the IAM check reads which ones are scanned. */
export async function participantIndexHoldsAny(client: DynamoDBDocumentClient, tableName: string, index: ParticipantIndex): Promise<boolean> {
  const scan = index === HELD_ITEMS_INDEX ? { TableName: tableName, IndexName: HELD_ITEMS_INDEX } : { TableName: tableName, IndexName: IN_DOUBT_INDEX };
  return holdsAny(await client.send(new ScanCommand({ ...scan, Select: 'COUNT', Limit: 1 })));
}

/** The coordinator log's `open` index holds an open transaction. */
export async function openIndexHoldsAny(client: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  return holdsAny(await client.send(new ScanCommand({ TableName: tableName, IndexName: OPEN_INDEX, Select: 'COUNT', Limit: 1 })));
}
