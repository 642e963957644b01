/**
 * The coordinator log's sparse `open` index: its shards as every reader queries them (openShards; the sweep's
 * read, coordinatorLogTable.ts, too), and as the API's stuck listing (and recovery's port) reads it: a page of
 * every shard from some instant on, merged oldest first. Apart from the log's writes and the sweep's probe, so
 * the API bundles, and its role is granted, these Queries alone.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type LogAttribute, logProjection } from '../coordinatorLog/logAttributes.js';
import { OPEN_PARTITIONS } from '../coordinatorLog/logShards.js';
import { type ShardedIndex, firstPage } from '../participants/shardedIndexPages.js';
import { OPEN_INDEX } from '../tableSchemas.js';
import type { CoordinatorLogPort } from './ports.js';
import { mergeOldestFirst } from './sortedStreams.js';

/** The `open` index as its readers query it, every shard: `read` adds a condition on createdAt, and the sweep's probe. */
export function openShards(client: DynamoDBDocumentClient, tableName: string, read: Pick<ShardedIndex, 'sortKey' | 'holdsAny'>): ShardedIndex {
  return {
    send: (input) => client.send(new QueryCommand(input)),
    TableName: tableName,
    IndexName: OPEN_INDEX,
    shardKey: 'openPartition' satisfies LogAttribute,
    shards: OPEN_PARTITIONS,
    ...logProjection('txnId', 'createdAt'),
    ...read,
  };
}

/** The open transactions a page of the index lists, with when each was created. */
export const openOf = (items: ReadonlyArray<Record<string, unknown>>): Array<{ txnId: string; createdAt: string }> =>
  items.flatMap((item) => (typeof item.txnId === 'string' && typeof item.createdAt === 'string' ? [{ txnId: item.txnId, createdAt: item.createdAt }] : []));

export function openLogIndex(client: DynamoDBDocumentClient, tableName: string): Pick<CoordinatorLogPort, 'openFrom'> {
  return {
    async openFrom(from, limit) {
      const open = openShards(client, tableName, from === undefined ? {} : { sortKey: { condition: 'createdAt >= :from', values: { ':from': from } } });
      // Every shard at once: the listing's one page of each.
      const reads = await Promise.all(
        open.shards.map(async (shard) => {
          const page = await firstPage(open, shard, limit);
          return { entries: openOf(page.items), full: page.more };
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
