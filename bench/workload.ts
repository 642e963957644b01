/**
 * What the benchmark asks of Pakka and of the baseline: ledger debits and credits over sixteen
 * bank participants, the same logical writes in both, and the accounts they need.
 */
import { type DynamoDBClient, PutItemCommand, type TransactWriteItemsCommandInput, type Update, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { type ParticipantConfig, parseParticipantConfig } from '../lambdas/config/participantConfig.js';
import { settledEscrowItem } from '../lambdas/participants/escrow.js';
import { PARTITION_KEY, itemKeyOf } from '../lambdas/participants/table.js';

export const BANK_COUNT = 16;
export const bankName = (i: number) => `bank-${String(i + 1).padStart(2, '0')}`;

/** Sixteen ledger participants, declared the way config/participants.json declares the real ones. */
/**
 * Every bank holds one-item escrows in their items (`holdsInItems: true`, whatever the participant default);
 * `recordLayout` opts them all out, to measure the record layout beside it (docs/design.md, "Holds that live
 * in the item").
 */
export function benchParticipantConfig(recordLayout = false): ParticipantConfig {
  const participants = Object.fromEntries(
    Array.from({ length: BANK_COUNT }, (_, i) => [bankName(i), { kind: 'ledger', description: 'benchmark bank', holdsInItems: !recordLayout }]),
  );
  return parseParticipantConfig({ defaults: { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 }, participants });
}

/** Enough for every debit a run can make: a debit never fails for want of funds unless a workload wants it to. */
export const OPENING_BALANCE = 1_000_000_000_000;

export interface LedgerWrite {
  participant: string;
  op: 'debit' | 'credit';
  key: string;
  amount: number;
}

/**
 * One transfer over N participants: the first bank debits the payer N-1 units (1 when N = 1) and
 * each other bank credits the payee one unit, so every participant writes exactly one item.
 */
export function transferWrites(n: number, payer: string, payee: string): LedgerWrite[] {
  return Array.from(
    { length: n },
    (_, i): LedgerWrite =>
      i === 0
        ? { participant: bankName(0), op: 'debit', key: payer, amount: Math.max(1, n - 1) }
        : { participant: bankName(i), op: 'credit', key: payee, amount: 1 },
  );
}

export function pakkaRequest(txnId: string, writes: readonly LedgerWrite[]): unknown {
  return { txnId, participants: writes.map((w) => ({ name: w.participant, operations: [{ op: w.op, key: w.key, amount: w.amount }] })) };
}

/** The participant table's key of a business item, in DynamoDB's wire form. */
export function itemKey(key: string): Record<string, { S: string }> {
  return { [PARTITION_KEY]: { S: itemKeyOf(key)[PARTITION_KEY]! } };
}

function baselineUpdate(tableName: string, write: LedgerWrite): UpdateItemCommandInput & Update {
  const key = itemKey(write.key);
  return write.op === 'debit'
    ? {
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET balance = balance - :amount',
        ConditionExpression: 'balance >= :amount',
        ExpressionAttributeValues: { ':amount': { N: String(write.amount) } },
      }
    : {
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET balance = if_not_exists(balance, :zero) + :amount',
        ExpressionAttributeValues: { ':amount': { N: String(write.amount) }, ':zero': { N: '0' } },
      };
}

/** The same writes as one DynamoDB transaction: what a user would do without Pakka when all tables are theirs. */
export function baselineTransaction(writes: readonly LedgerWrite[], tables: ReadonlyMap<string, string>): TransactWriteItemsCommandInput {
  return { TransactItems: writes.map((w) => ({ Update: baselineUpdate(tableOf(tables, w.participant), w) })) };
}

/** A single write needs no transaction: one conditional UpdateItem. */
export function baselineSingleUpdate(write: LedgerWrite, tables: ReadonlyMap<string, string>): UpdateItemCommandInput {
  return baselineUpdate(tableOf(tables, write.participant), write);
}

function tableOf(tables: ReadonlyMap<string, string>, participant: string): string {
  const table = tables.get(participant);
  if (!table) throw new Error(`no table for participant ${participant}`);
  return table;
}

/** Opens an account directly in the participant's table, the layout the ledger kind reads. */
export async function openAccount(dynamo: DynamoDBClient, tableName: string, key: string, balance: number): Promise<void> {
  const attributes = Object.entries(settledEscrowItem('balance', balance)).map(([name, value]) => [name, { N: String(value) }]);
  await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...itemKey(key), ...Object.fromEntries(attributes) } }));
}
