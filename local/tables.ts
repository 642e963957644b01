/** Creates Pakka's tables in DynamoDB Local from the same schemas the CDK stack deploys. */
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { ParticipantConfig } from '../lambdas/config/participantConfig.js';
import { COORDINATOR_LOG_SCHEMA, PARTICIPANT_TABLE_SCHEMA, type TableSchema } from '../lambdas/tableSchemas.js';

export interface TableNames {
  coordinatorLog: string;
  participants: ReadonlyMap<string, string>;
}

export function localTableNames(config: ParticipantConfig, prefix = 'pakka-'): TableNames {
  return {
    coordinatorLog: `${prefix}coordinator-log`,
    participants: new Map([...config.keys()].map((name) => [name, `${prefix}participant-${name}`])),
  };
}

async function createTable(client: DynamoDBClient, tableName: string, schema: TableSchema): Promise<void> {
  const attributes = new Set([schema.partitionKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: schema.partitionKey, KeyType: 'HASH' }],
        ...(schema.indexes.length
          ? {
              GlobalSecondaryIndexes: schema.indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection:
                  index.projection.type === 'INCLUDE'
                    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: index.projection.attributes }
                    : { ProjectionType: index.projection.type },
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error; // already there: a restart keeps its data
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
}

export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all([
    createTable(client, names.coordinatorLog, COORDINATOR_LOG_SCHEMA),
    ...[...names.participants.values()].map((t) => createTable(client, t, PARTICIPANT_TABLE_SCHEMA)),
  ]);
}
