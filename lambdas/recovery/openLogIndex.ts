/**
 * The coordinator log's sparse `open` index as the API's stuck listing (and recovery's port) reads
 * it: a page of every shard from some instant on, merged oldest first. Apart from the log's writes
 * and the sweep's read (coordinatorLogTable.ts), so the API bundles, and its role is granted, these
 * Queries alone.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OPEN_PARTITIONS } from '../coordinatorLog/logShards.js';
import { OPEN_INDEX } from '../tableSchemas.js';
import type { CoordinatorLogPort } from './ports.js';
import { mergeOldestFirst } from './sortedStreams.js';

export function openLogIndex(client: DynamoDBDocumentClient, tableName: string): Pick<CoordinatorLogPort, 'openFrom'> {
  return {
    async openFrom(from, limit) {
      const reads = await Promise.all(
        OPEN_PARTITIONS.map(async (partition) => {
          const out = await client.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: OPEN_INDEX,
              KeyConditionExpression: from === undefined ? 'openPartition = :open' : 'openPartition = :open AND createdAt >= :from',
              ExpressionAttributeValues: { ':open': partition, ...(from === undefined ? {} : { ':from': from }) },
              ProjectionExpression: 'txnId, createdAt',
              Limit: limit,
            }),
          );
          const entries = (out.Items ?? []).flatMap((item) =>
            typeof item.txnId === 'string' && typeof item.createdAt === 'string' ? [{ txnId: item.txnId, createdAt: item.createdAt }] : [],
          );
          return { entries, full: out.LastEvaluatedKey !== undefined };
        }),
      );
      const merged = mergeOldestFirst(
        reads,
        (o) => o.createdAt,
        (a, b) => a.txnId.localeCompare(b.txnId),
      );
      return { open: merged.entries, exhausted: merged.exhausted };
    },
  };
}
