/**
 * The stuck listings' read of the participants' `inDoubt` indexes (lambdas/api/stuckListing.ts):
 * PREPARED records from some instant on, one page of every shard, merged oldest first. Apart from
 * the sweep's read (inDoubtIndex.ts), so the API bundles, and its role is granted, these Queries alone.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITION, IN_DOUBT_PARTITIONS, IN_DOUBT_SORT } from '../participants/table.js';
import type { InDoubtPort, PreparedRecordRef } from './ports.js';
import { type StreamRead, mergeOldestFirst } from './sortedStreams.js';

/** `tables` maps each participant name to its table. */
export function inDoubtHeld(client: DynamoDBDocumentClient, tables: ReadonlyMap<string, string>): Pick<InDoubtPort, 'heldFrom'> {
  /** One query of one shard from `from` on: a single page, `full` when the index holds more beyond it. */
  async function heldInShard(
    participant: string,
    tableName: string,
    partition: string,
    from: string | undefined,
    limit: number,
  ): Promise<StreamRead<PreparedRecordRef>> {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: IN_DOUBT_INDEX,
        KeyConditionExpression: from === undefined ? '#partition = :prepared' : '#partition = :prepared AND #since >= :from',
        ExpressionAttributeNames: { '#partition': IN_DOUBT_PARTITION, '#since': IN_DOUBT_SORT },
        ExpressionAttributeValues: { ':prepared': partition, ...(from === undefined ? {} : { ':from': from }) },
        ProjectionExpression: 'txnId, #since',
        Limit: limit,
      }),
    );
    const entries = (out.Items ?? []).flatMap((item) =>
      typeof item.txnId === 'string' && typeof item[IN_DOUBT_SORT] === 'string' ? [{ participant, txnId: item.txnId, inDoubtSince: item[IN_DOUBT_SORT] }] : [],
    );
    return { entries, full: out.LastEvaluatedKey !== undefined };
  }

  return {
    async heldFrom(from, limit) {
      const reads: StreamRead<PreparedRecordRef>[] = [];
      // Shards one after another, tables side by side, as the sweep reads them.
      const perTable = await Promise.all(
        [...tables].map(async ([participant, table]) => {
          const found: StreamRead<PreparedRecordRef>[] = [];
          for (const partition of IN_DOUBT_PARTITIONS) found.push(await heldInShard(participant, table, partition, from, limit));
          return found;
        }),
      );
      for (const table of perTable) reads.push(...table);
      const merged = mergeOldestFirst(
        reads,
        (r) => r.inDoubtSince,
        (a, b) => a.txnId.localeCompare(b.txnId) || a.participant.localeCompare(b.participant),
      );
      return { refs: merged.entries, exhausted: merged.exhausted };
    },
  };
}
