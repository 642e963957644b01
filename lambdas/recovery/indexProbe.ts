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
import { OPEN_INDEX } from '../tableSchemas.js';

const holdsAny = (out: ScanCommandOutput): boolean => (out.Count ?? 0) > 0 || out.LastEvaluatedKey !== undefined;

/** A participant table's sparse index (`inDoubt`: a PREPARED record; `heldItems`: an item holding an entry) holds anything. */
export async function participantIndexHoldsAny(client: DynamoDBDocumentClient, tableName: string, indexName: string): Promise<boolean> {
  return holdsAny(await client.send(new ScanCommand({ TableName: tableName, IndexName: indexName, Select: 'COUNT', Limit: 1 })));
}

/** The coordinator log's `open` index holds an open transaction. */
export async function openIndexHoldsAny(client: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  return holdsAny(await client.send(new ScanCommand({ TableName: tableName, IndexName: OPEN_INDEX, Select: 'COUNT', Limit: 1 })));
}
