/** Consistent reads of several items of one table, including the keys DynamoDB left unprocessed. */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const BATCH_GET = 100;
/** DynamoDB hands back unprocessed keys under load; a few more rounds fetch them. */
const ROUNDS = 5;

export async function batchReadConsistent(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<Record<string, string>>,
): Promise<Array<Record<string, unknown>>> {
  const found: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += BATCH_GET) {
    let pending: Array<Record<string, unknown>> = keys.slice(i, i + BATCH_GET);
    for (let round = 0; pending.length > 0; round++) {
      if (round === ROUNDS)
        throw Object.assign(new Error(`${pending.length} items of ${tableName} stayed unprocessed`), { name: 'ProvisionedThroughputExceededException' });
      const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}
