/**
 * The coordinator log's sparse `open` index as recovery and the API's stuck listing read it: one
 * Query per shard, merged oldest first. Apart from the log's writes (coordinatorLogTable.ts), so a
 * reader bundles, and its role is granted, the index Query alone.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OPEN_PARTITIONS } from '../coordinatorLog/logShards.js';
import { OPEN_INDEX } from '../tableSchemas.js';
import type { CoordinatorLogPort } from './ports.js';
import { mergeOldestFirst } from './sortedStreams.js';

const PAGE = 100;

export function openLogIndex(client: DynamoDBDocumentClient, tableName: string): Pick<CoordinatorLogPort, 'openTransactions' | 'openFrom'> {
  return {
    async openTransactions(createdBefore, limit) {
      // Every shard, each oldest first; merged, the oldest overall come first.
      const perShard = await Promise.all(
        OPEN_PARTITIONS.map(async (partition) => {
          const found: Array<{ txnId: string; createdAt: string }> = [];
          let start: Record<string, unknown> | undefined;
          do {
            const out = await client.send(
              new QueryCommand({
                TableName: tableName,
                IndexName: OPEN_INDEX,
                KeyConditionExpression: 'openPartition = :open AND createdAt <= :before',
                ExpressionAttributeValues: { ':open': partition, ':before': createdBefore },
                ProjectionExpression: 'txnId, createdAt',
                Limit: Math.min(PAGE, limit - found.length),
                ...(start ? { ExclusiveStartKey: start } : {}),
              }),
            );
            for (const item of out.Items ?? []) {
              if (typeof item.txnId === 'string' && typeof item.createdAt === 'string') found.push({ txnId: item.txnId, createdAt: item.createdAt });
            }
            start = out.LastEvaluatedKey;
          } while (start && found.length < limit);
          return found;
        }),
      );
      return perShard
        .flat()
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit)
        .map((o) => o.txnId);
    },

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
