/**
 * Reads back what a contention run left behind: the balances of its accounts (a transfer
 * conserves their sum, I4), locks still held, and transactions not final (I5).
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PARTITION_KEY, itemKeyOf } from '../lambdas/participants/table.js';

async function scanAll(dynamo: DynamoDBClient, input: ScanCommandInput): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ ...input, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export interface AccountsAudit {
  totalBalance: number;
  /** Accounts still carrying a lockedBy: a prepared transaction that never finished. */
  locked: number;
}

export async function auditAccounts(dynamo: DynamoDBClient, tables: readonly string[], keys: readonly string[]): Promise<AccountsAudit> {
  const wanted = new Set(keys.map((k) => itemKeyOf(k)[PARTITION_KEY]));
  let totalBalance = 0;
  let locked = 0;
  for (const table of tables) {
    for (const item of await scanAll(dynamo, { TableName: table })) {
      if (!wanted.has(String(item[PARTITION_KEY]))) continue;
      totalBalance += typeof item.balance === 'number' ? item.balance : 0;
      if (item.lockedBy !== undefined) locked++;
    }
  }
  return { totalBalance, locked };
}

/**
 * Transactions left open to recovery (their log item is in the open index), among those with the
 * given id prefix. The log item is written once, at the decision, so a finished transaction's stored
 * status stays COMMITTING/ABORTING; one still in doubt either sits in the open index or holds a lock
 * (counted apart, as locksLeft).
 */
export async function openTransactions(dynamo: DynamoDBClient, coordinatorLog: string, txnIdPrefix: string): Promise<number> {
  const items = await scanAll(dynamo, {
    TableName: coordinatorLog,
    FilterExpression: 'begins_with(txnId, :prefix) AND attribute_exists(openPartition)',
    ExpressionAttributeValues: { ':prefix': { S: txnIdPrefix } },
    ProjectionExpression: 'txnId',
  });
  return items.length;
}
