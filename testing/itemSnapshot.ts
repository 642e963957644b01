/** The business state of the items some operations touch, in a form that does not depend on the txnId. */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, itemKeyOf } from '../lambdas/participants/table.js';

/** Attributes that name a transaction: the snapshot keeps only whether they are there. */
const TXN_VALUED = new Set(['lockedBy', 'createdBy']);

export async function itemSnapshot(client: DynamoDBDocumentClient, tableName: string, operations: ReadonlyArray<Record<string, unknown>>): Promise<unknown[]> {
  return Promise.all(
    operations.map(async (op) => {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: itemKeyOf(String(op.key)), ConsistentRead: true }));
      if (!out.Item) return null;
      return Object.fromEntries(
        Object.entries(out.Item)
          .filter(([name]) => name !== PARTITION_KEY)
          .map(([name, value]) => (TXN_VALUED.has(name) ? [name, true] : [name, value]))
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
    }),
  );
}
