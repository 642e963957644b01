/**
 * Pure builders for the participant's DynamoDB transactions: one TransactWriteItems per
 * prepare, commit and abort, as DESIGN.md fixes them. No I/O here; the runtime sends them.
 */
import { createHash } from 'node:crypto';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AbortReason } from '../protocol/vote.js';
import type { AttributeValueMap, OperationPlan } from './kind.js';
import { IN_DOUBT_PARTITION, IN_DOUBT_SORT, IN_DOUBT_VALUE, PARTITION_KEY, itemKeyOf, recordKeyOf } from './table.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface PreparedOperations<Op = unknown> {
  operations: readonly Op[];
  plans: readonly OperationPlan[];
  /** Identifies exactly this redo list; commit and abort must present the same one. */
  digest: string;
  readOnly: boolean;
}

export function digestOf(operations: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(operations)).digest('base64url').slice(0, 32);
}

const LOCK_FREE = '(attribute_not_exists(lockedBy) OR lockedBy = :txn)';

function withValues(values: AttributeValueMap | undefined, extra: AttributeValueMap): AttributeValueMap {
  return { ...values, ...extra };
}

/** Prepare: lock every item under its business rule and record the redo list, all or nothing. */
export function prepareTransaction(tableName: string, txnId: string, prepared: PreparedOperations, now: string): TransactWriteCommandInput {
  const record: TransactItem = {
    Put: {
      TableName: tableName,
      Item: {
        ...recordKeyOf(txnId),
        txnId,
        state: 'PREPARED',
        operations: prepared.operations,
        digest: prepared.digest,
        lockedKeys: prepared.plans.map((p) => p.key),
        preparedAt: now,
        [IN_DOUBT_PARTITION]: IN_DOUBT_VALUE,
        [IN_DOUBT_SORT]: now,
      },
      ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const locks: TransactItem[] = prepared.plans.map((plan) => {
    const set = ['lockedBy = :txn', ...(plan.creates ? ['createdBy = if_not_exists(createdBy, :txn)'] : []), ...(plan.prepare.initialise ?? [])];
    const condition = plan.prepare.condition ? `${LOCK_FREE} AND (${plan.prepare.condition})` : LOCK_FREE;
    return {
      Update: {
        TableName: tableName,
        Key: itemKeyOf(plan.key),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeValues: withValues(plan.prepare.values, { ':txn': txnId }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  });
  return { TransactItems: [record, ...locks] };
}

/**
 * A participant that only checks (READ_ONLY) takes no lock and writes nothing: the checks run as
 * ConditionChecks, together with one that no abort has already passed this transaction by.
 */
export function readOnlyCheckTransaction(tableName: string, txnId: string, prepared: PreparedOperations): TransactWriteCommandInput {
  return {
    TransactItems: [
      {
        ConditionCheck: {
          TableName: tableName,
          Key: recordKeyOf(txnId),
          ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...prepared.plans.map(
        (plan): TransactItem => ({
          ConditionCheck: {
            TableName: tableName,
            Key: itemKeyOf(plan.key),
            ConditionExpression: plan.prepare.condition ? `${LOCK_FREE} AND (${plan.prepare.condition})` : LOCK_FREE,
            ExpressionAttributeValues: withValues(plan.prepare.values, { ':txn': txnId }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        }),
      ),
    ],
  };
}

/** Commit: apply the redo list to each locked item, release the locks, record COMMITTED. */
export function commitTransaction(tableName: string, txnId: string, prepared: PreparedOperations, now: string): TransactWriteCommandInput {
  const record: TransactItem = {
    Update: {
      TableName: tableName,
      Key: recordKeyOf(txnId),
      UpdateExpression: `SET #state = :committed, committedAt = :now REMOVE ${IN_DOUBT_PARTITION}, ${IN_DOUBT_SORT}`,
      ConditionExpression: '#state = :prepared AND digest = :digest',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':committed': 'COMMITTED', ':prepared': 'PREPARED', ':digest': prepared.digest, ':now': now },
    },
  };
  const applies: TransactItem[] = prepared.plans.map((plan) => {
    const set = [...(plan.commit.set ?? [])];
    const remove = ['lockedBy', ...(plan.commit.remove ?? [])];
    if (!plan.readOnly) set.push('version = if_not_exists(version, :zero) + :one');
    return {
      Update: {
        TableName: tableName,
        Key: itemKeyOf(plan.key),
        UpdateExpression: `${set.length ? `SET ${set.join(', ')} ` : ''}REMOVE ${remove.join(', ')}`,
        ConditionExpression: 'lockedBy = :txn',
        ExpressionAttributeValues: withValues(plan.commit.values, { ':txn': txnId, ...(plan.readOnly ? {} : { ':zero': 0, ':one': 1 }) }),
      },
    };
  });
  return { TransactItems: [record, ...applies] };
}

/** Abort: release the locks and record ABORTED. */
export function abortTransaction(tableName: string, txnId: string, prepared: PreparedOperations, now: string): TransactWriteCommandInput {
  return {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: recordKeyOf(txnId),
          UpdateExpression: `SET #state = :aborted, abortedAt = :now REMOVE ${IN_DOUBT_PARTITION}, ${IN_DOUBT_SORT}`,
          ConditionExpression: '#state = :prepared AND digest = :digest',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':aborted': 'ABORTED', ':prepared': 'PREPARED', ':digest': prepared.digest, ':now': now },
        },
      },
      ...prepared.plans.map(
        (plan): TransactItem => ({
          Update: {
            TableName: tableName,
            Key: itemKeyOf(plan.key),
            UpdateExpression: 'REMOVE lockedBy',
            ConditionExpression: 'lockedBy = :txn',
            ExpressionAttributeValues: { ':txn': txnId },
          },
        }),
      ),
    ],
  };
}

/**
 * An item that this transaction's prepare created and that nobody ever committed (an aborted
 * credit to a new account, an aborted first hold of a slot) is removed again, so an abort leaves
 * the table as it found it.
 */
export function removeProvisionalItem(tableName: string, txnId: string, key: string) {
  return {
    TableName: tableName,
    Key: itemKeyOf(key),
    ConditionExpression: 'createdBy = :txn AND attribute_not_exists(version) AND attribute_not_exists(lockedBy)',
    ExpressionAttributeValues: { ':txn': txnId },
  };
}

/** A record of this participant's own VOTE_ABORT, or a tombstone for an abort that came before any prepare. */
export function abortedRecord(tableName: string, txnId: string, now: string, digest: string | undefined, voteReason: AbortReason | undefined) {
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(txnId),
      txnId,
      state: 'ABORTED',
      abortedAt: now,
      ...(digest !== undefined ? { digest } : {}),
      ...(voteReason !== undefined ? { voteReason } : {}),
    },
    ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
  };
}
