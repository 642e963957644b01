/**
 * The read half of the transaction service: the coordinator log and the participants' tables,
 * read with DynamoDB. Local mode (DynamoDB Local) and AWS share it; only starting differs.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseCoordinatorLogItem } from '../coordinator/coordinatorLog.js';
import { storedRecord } from '../participants/record.js';
import type { ParticipantConfig } from '../config/participantConfig.js';
import { recordKeyOf } from '../participants/table.js';
import { readHolds, readItem } from './itemReads.js';
import { BY_STATUS_INDEX } from '../tableSchemas.js';
import type { LogKey, TransactionService } from './transactionService.js';

export interface TableNamesForReads {
  coordinatorLog: string;
  participants: ReadonlyMap<string, string>;
}

export type TableReads = Pick<TransactionService, 'readLog' | 'listLog' | 'readParticipantRecord' | 'readParticipantItem' | 'readItemHolds'>;

/** `config` tells which keys of a participant are sharded (read as the sum of their shards). */
export function tableReads(client: DynamoDBDocumentClient, tables: TableNamesForReads, config: ParticipantConfig): TableReads {
  const participantTable = (name: string): string => {
    const table = tables.participants.get(name);
    if (!table) throw new Error(`participant ${name} has no table`); // the routes check the name first
    return table;
  };
  return {
    async readLog(txnId) {
      const out = await client.send(new GetCommand({ TableName: tables.coordinatorLog, Key: { txnId }, ConsistentRead: true }));
      return out.Item ? parseCoordinatorLogItem(out.Item) : undefined;
    },
    async listLog(statusPartition, limit, startAfter) {
      const out = await client.send(
        new QueryCommand({
          TableName: tables.coordinatorLog,
          IndexName: BY_STATUS_INDEX,
          KeyConditionExpression: 'statusPartition = :partition',
          ExpressionAttributeValues: { ':partition': statusPartition },
          ScanIndexForward: false,
          Limit: limit,
          ...(startAfter ? { ExclusiveStartKey: startAfter } : {}),
        }),
      );
      const items = (out.Items ?? []).map((item) => parseCoordinatorLogItem(item));
      return out.LastEvaluatedKey ? { items, next: out.LastEvaluatedKey as LogKey } : { items };
    },
    async readParticipantRecord(participant, txnId) {
      const out = await client.send(new GetCommand({ TableName: participantTable(participant), Key: recordKeyOf(txnId), ConsistentRead: true }));
      return out.Item ? storedRecord(out.Item) : undefined;
    },
    async readParticipantItem(participant, key) {
      return readItem(client, participantTable(participant), key, config.get(participant)?.shardedKeys.get(key));
    },
    async readItemHolds(participant, key) {
      return readHolds(client, participantTable(participant), key);
    },
  };
}
