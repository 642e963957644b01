/**
 * Pure builders for the participant's DynamoDB transactions: one TransactWriteItems per prepare,
 * commit and abort, as docs/design.md fixes them. No I/O here; the runtime sends them.
 *
 * Each builder takes the physical items the operations touch (`ItemTarget`s, see hotItems.ts), in a
 * fixed order: item i of the request is `TransactItems[i + 1]`, after the prepared-state record.
 */
import { createHash } from 'node:crypto';
import type { DeleteCommandInput, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AbortReason } from '../protocol/vote.js';
import { ESCROW_PROVISIONAL_REMOVAL, escrowAbort, escrowCommit, escrowOnePhase, escrowPrepare, type ItemUpdate } from './escrow.js';
import type { Placements, ItemTarget } from './hotItems.js';
import type { AttributeValueMap, OperationPlan } from './kind.js';
import { IN_DOUBT_PARTITION, IN_DOUBT_SORT, PARTITION_KEY, inDoubtPartitionOf, recordKeyOf } from './table.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface PreparedOperations<Op = unknown> {
  operations: readonly Op[];
  plans: readonly OperationPlan[];
  /** Identifies exactly this redo list; commit and abort must present the same one. */
  digest: string;
  /** Every operation only checks: the participant votes READ_ONLY and holds nothing. */
  readOnly: boolean;
}

/**
 * The record layout this code writes (holds that live in the item write ITEM_HOLD_LAYOUT). A record without
 * `layout` was prepared by Pakka 0.1, which this version refuses to finish (record.ts, `refuseLayoutless`).
 */
export const RECORD_LAYOUT = 2;

export function digestOf(operations: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(operations)).digest('base64url').slice(0, 32);
}

const LOCK_FREE = '(attribute_not_exists(lockedBy) OR lockedBy = :txn)';
const bumpVersion = 'version = if_not_exists(version, :zero) + :one';

/** The keys a record holds something on (a reservation or a lock); checks hold nothing. */
export const heldKeysOf = (plans: readonly OperationPlan[]) => plans.filter((p) => p.hold !== 'check').map((p) => p.key);

function update(tableName: string, pk: string, u: ItemUpdate, extraValues: AttributeValueMap = {}): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: { [PARTITION_KEY]: pk },
      UpdateExpression: u.UpdateExpression,
      ConditionExpression: u.ConditionExpression,
      ...(Object.keys(u.ExpressionAttributeNames).length ? { ExpressionAttributeNames: u.ExpressionAttributeNames } : {}),
      ExpressionAttributeValues: { ...u.ExpressionAttributeValues, ...extraValues },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

function check(tableName: string, pk: string, condition: string, values: AttributeValueMap | undefined, txnId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: { [PARTITION_KEY]: pk },
      ConditionExpression: `${LOCK_FREE} AND (${condition})`,
      ExpressionAttributeValues: { ...values, ':txn': txnId },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

function prepareItem(tableName: string, txnId: string, { pk, plan, max }: ItemTarget): TransactItem {
  switch (plan.hold) {
    case 'escrow':
      return update(tableName, pk, escrowPrepare(plan, max));
    case 'check':
      return check(tableName, pk, plan.condition, plan.values, txnId);
    case 'exclusive': {
      const set = ['lockedBy = :txn', ...(plan.creates ? ['createdBy = if_not_exists(createdBy, :txn)'] : [])];
      return update(tableName, pk, {
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: plan.prepare.condition ? `${LOCK_FREE} AND (${plan.prepare.condition})` : LOCK_FREE,
        ExpressionAttributeNames: {},
        ExpressionAttributeValues: { ...plan.prepare.values, ':txn': txnId },
      });
    }
  }
}

/** The prepared-state record's first write, which no other record of the txnId may precede (anti-hanging). */
function recordPut(tableName: string, txnId: string, prepared: PreparedOperations, placements: Placements, attributes: Record<string, unknown>): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...recordKeyOf(txnId),
        txnId,
        layout: RECORD_LAYOUT,
        operations: prepared.operations,
        digest: prepared.digest,
        ...(Object.keys(placements).length ? { placements } : {}),
        ...attributes,
      },
      ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * Prepare: reserve or lock every item under its business rule and record the redo list, all or
 * nothing. The record joins the sparse in-doubt index on one of its shards.
 */
export function prepareTransaction(
  tableName: string,
  txnId: string,
  prepared: PreparedOperations,
  targets: readonly ItemTarget[],
  placements: Placements,
  now: string,
): TransactWriteCommandInput {
  const record = recordPut(tableName, txnId, prepared, placements, {
    state: 'PREPARED',
    lockedKeys: heldKeysOf(prepared.plans),
    preparedAt: now,
    [IN_DOUBT_PARTITION]: inDoubtPartitionOf(txnId),
    [IN_DOUBT_SORT]: now,
  });
  return { TransactItems: [record, ...targets.map((t) => prepareItem(tableName, txnId, t))] };
}

/**
 * One-phase commit, for a transaction in which this participant is the only one with anything to
 * write: every business rule checked and every change applied in one TransactWriteItems, whose record
 * is COMMITTED from the start. This write is the transaction's decision (docs/design.md, coordinator step
 * 2): nothing is ever PREPARED, so nothing is in doubt and nothing joins the inDoubt index. The record
 * says `onePhase`, so an abort that arrives later learns the outcome instead of calling it a violation.
 */
export function commitOnePhaseTransaction(
  tableName: string,
  txnId: string,
  prepared: PreparedOperations,
  targets: readonly ItemTarget[],
  placements: Placements,
  now: string,
): TransactWriteCommandInput {
  const record = recordPut(tableName, txnId, prepared, placements, {
    state: 'COMMITTED',
    onePhase: true,
    lockedKeys: [],
    preparedAt: now,
    committedAt: now,
  });
  const applies = targets.map((target): TransactItem => {
    const { pk, plan, max } = target;
    switch (plan.hold) {
      case 'check':
        return check(tableName, pk, plan.condition, plan.values, txnId);
      case 'escrow':
        return update(tableName, pk, escrowOnePhase(plan, max));
      case 'exclusive': {
        const remove = plan.commit.remove ?? [];
        return update(tableName, pk, {
          UpdateExpression: `SET ${[...(plan.commit.set ?? []), bumpVersion].join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: plan.prepare.condition ? `${LOCK_FREE} AND (${plan.prepare.condition})` : LOCK_FREE,
          ExpressionAttributeNames: {},
          ExpressionAttributeValues: { ...plan.prepare.values, ...plan.commit.values, ':txn': txnId, ':zero': 0, ':one': 1 },
        });
      }
    }
  });
  return { TransactItems: [record, ...applies] };
}

/**
 * A participant that only checks (READ_ONLY) takes no lock and writes nothing: the checks run as
 * ConditionChecks, together with one that no abort has already passed this transaction by.
 */
export function readOnlyCheckTransaction(tableName: string, txnId: string, targets: readonly ItemTarget[]): TransactWriteCommandInput {
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
      ...targets.map((t) => prepareItem(tableName, txnId, t)),
    ],
  };
}

function recordTransition(tableName: string, txnId: string, to: 'COMMITTED' | 'ABORTED', digest: string, now: string): TransactItem {
  const at = to === 'COMMITTED' ? 'committedAt' : 'abortedAt';
  return {
    Update: {
      TableName: tableName,
      Key: recordKeyOf(txnId),
      UpdateExpression: `SET #state = :to, ${at} = :now REMOVE ${IN_DOUBT_PARTITION}, ${IN_DOUBT_SORT}`,
      ConditionExpression: '#state = :prepared AND digest = :digest AND layout = :layout',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':to': to, ':prepared': 'PREPARED', ':digest': digest, ':now': now, ':layout': RECORD_LAYOUT },
    },
  };
}

function exclusiveCommit(
  tableName: string,
  txnId: string,
  pk: string,
  set: readonly string[],
  remove: readonly string[],
  values: AttributeValueMap | undefined,
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: { [PARTITION_KEY]: pk },
      UpdateExpression: `SET ${[...set, bumpVersion].join(', ')} REMOVE ${['lockedBy', ...remove].join(', ')}`,
      ConditionExpression: 'lockedBy = :txn',
      ExpressionAttributeValues: { ...values, ':txn': txnId, ':zero': 0, ':one': 1 },
    },
  };
}

function unlock(tableName: string, txnId: string, pk: string): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: { [PARTITION_KEY]: pk },
      UpdateExpression: 'REMOVE lockedBy',
      ConditionExpression: 'lockedBy = :txn',
      ExpressionAttributeValues: { ':txn': txnId },
    },
  };
}

/** Commit: apply each reservation or locked change, release what prepare held, record COMMITTED. */
export function commitTransaction(
  tableName: string,
  txnId: string,
  prepared: PreparedOperations,
  targets: readonly ItemTarget[],
  now: string,
): TransactWriteCommandInput {
  const applies = targets.flatMap(({ pk, plan }): TransactItem[] => {
    switch (plan.hold) {
      case 'check':
        return [];
      case 'escrow':
        return [update(tableName, pk, escrowCommit(plan))];
      case 'exclusive':
        return [exclusiveCommit(tableName, txnId, pk, plan.commit.set ?? [], plan.commit.remove ?? [], plan.commit.values)];
    }
  });
  return { TransactItems: [recordTransition(tableName, txnId, 'COMMITTED', prepared.digest, now), ...applies.map(withoutReturnValues)] };
}

/** Abort: release every reservation and lock, record ABORTED. */
export function abortTransaction(
  tableName: string,
  txnId: string,
  prepared: PreparedOperations,
  targets: readonly ItemTarget[],
  now: string,
): TransactWriteCommandInput {
  const releases = targets.flatMap(({ pk, plan }): TransactItem[] => {
    switch (plan.hold) {
      case 'check':
        return [];
      case 'escrow':
        return [update(tableName, pk, escrowAbort(plan))];
      case 'exclusive':
        return [unlock(tableName, txnId, pk)];
    }
  });
  return { TransactItems: [recordTransition(tableName, txnId, 'ABORTED', prepared.digest, now), ...releases.map(withoutReturnValues)] };
}

/** Phase 2 reads the record itself when a condition fails; the old item is not needed. */
function withoutReturnValues(item: TransactItem): TransactItem {
  if (!item.Update) return item;
  const { ReturnValuesOnConditionCheckFailure: _, ...rest } = item.Update;
  return { Update: rest };
}

/**
 * Items that an aborted transaction's prepare created and that nobody ever committed (an aborted
 * credit to a new account, an aborted first hold of a slot) are removed again, so an abort leaves
 * the table as it found it. The removal's condition makes it a no-op wherever that is not so.
 */
export function provisionalRemovals(tableName: string, txnId: string, targets: readonly ItemTarget[]) {
  return targets.flatMap(({ pk, plan }): DeleteCommandInput[] => {
    const Key = { [PARTITION_KEY]: pk };
    const lockCreated = {
      TableName: tableName,
      Key,
      ConditionExpression: 'createdBy = :txn AND attribute_not_exists(version) AND attribute_not_exists(lockedBy)',
      ExpressionAttributeValues: { ':txn': txnId },
    };
    if (plan.hold === 'exclusive') return plan.creates ? [lockCreated] : [];
    if (plan.hold === 'escrow' && plan.direction === 'supply') return [{ TableName: tableName, Key, ...ESCROW_PROVISIONAL_REMOVAL }];
    return [];
  });
}

/** A record of this participant's own VOTE_ABORT, or a tombstone for an abort that came before any prepare. */
export function abortedRecord(
  tableName: string,
  txnId: string,
  now: string,
  digest: string | undefined,
  voteReason: AbortReason | undefined,
  onePhase = false,
) {
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(txnId),
      txnId,
      state: 'ABORTED',
      layout: RECORD_LAYOUT,
      abortedAt: now,
      ...(digest !== undefined ? { digest } : {}),
      ...(voteReason !== undefined ? { voteReason } : {}),
      // A one-phase no is the transaction's decision, as a one-phase commit is.
      ...(onePhase ? { onePhase: true } : {}),
    },
    ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
  };
}
