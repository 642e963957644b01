/**
 * The barrier's writes to the participant's prepared-state table, as pure DynamoDB inputs: the same record
 * key, index attributes and ABORTED layout as the built-in runtime, plus the PREPARING intent and the hold.
 */
import { z } from 'zod';
import { BARRIER_RECORD_STATES } from '../../protocol/participantState.js';
import type { AbortReason } from '../../protocol/vote.js';
import { storedRecordSchema } from '../record.js';
import { IN_DOUBT_PARTITION, IN_DOUBT_SORT, PARTITION_KEY, inDoubtPartitionOf, recordKeyOf } from '../table.js';

const barrierStored = storedRecordSchema.extend({
  state: z.enum(BARRIER_RECORD_STATES),
  hold: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  intentAt: z.string().optional(),
});
export type BarrierRecord = z.infer<typeof barrierStored>;
export const barrierRecord = (item: Record<string, unknown>): BarrierRecord => barrierStored.parse(item);

interface Prepared {
  operations: readonly unknown[];
  keys: readonly string[];
  digest: string;
}

const stateNames = { '#state': 'state' };

/** Written before the team's prepare runs, only where no record exists (a tombstone keeps it out). */
export function intentRecord(tableName: string, txnId: string, prepared: Prepared, now: string) {
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(txnId),
      txnId,
      state: 'PREPARING',
      operations: prepared.operations,
      digest: prepared.digest,
      lockedKeys: prepared.keys,
      intentAt: now,
    },
    ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
  };
}

const fromIntent = { ConditionExpression: '#state = :preparing AND digest = :digest' };

/** The team said yes: PREPARING -> PREPARED, in the in-doubt index like every prepared record. */
export function preparedFromIntent(tableName: string, txnId: string, digest: string, hold: Record<string, unknown> | undefined, now: string) {
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    UpdateExpression: `SET #state = :prepared, preparedAt = :now, ${IN_DOUBT_PARTITION} = :inDoubt, ${IN_DOUBT_SORT} = :now${hold ? ', #hold = :hold' : ''}`,
    ...fromIntent,
    ExpressionAttributeNames: { ...stateNames, ...(hold ? { '#hold': 'hold' } : {}) },
    ExpressionAttributeValues: {
      ':prepared': 'PREPARED',
      ':preparing': 'PREPARING',
      ':digest': digest,
      ':now': now,
      ':inDoubt': inDoubtPartitionOf(txnId),
      ...(hold ? { ':hold': hold } : {}),
    },
  };
}

/** PREPARING -> ABORTED, after the team's abort ran: with the team's own reason if it voted no. */
export function abortedFromIntent(tableName: string, txnId: string, digest: string, voteReason: AbortReason | undefined, now: string) {
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    UpdateExpression: `SET #state = :aborted, abortedAt = :now${voteReason ? ', voteReason = :reason' : ''}`,
    ...fromIntent,
    ExpressionAttributeNames: stateNames,
    ExpressionAttributeValues: {
      ':aborted': 'ABORTED',
      ':preparing': 'PREPARING',
      ':digest': digest,
      ':now': now,
      ...(voteReason ? { ':reason': voteReason } : {}),
    },
  };
}

/** READ_ONLY: the team holds nothing, so its intent goes away and nothing stays in the table. */
export function dropIntent(tableName: string, txnId: string, digest: string) {
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    ...fromIntent,
    ExpressionAttributeNames: stateNames,
    ExpressionAttributeValues: { ':preparing': 'PREPARING', ':digest': digest },
  };
}

/** PREPARED -> COMMITTED or ABORTED, after the team's commit or abort ran. */
export function decidedFromPrepared(tableName: string, txnId: string, digest: string, outcome: 'COMMITTED' | 'ABORTED', now: string) {
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    UpdateExpression: `SET #state = :outcome, ${outcome === 'COMMITTED' ? 'committedAt' : 'abortedAt'} = :now REMOVE ${IN_DOUBT_PARTITION}, ${IN_DOUBT_SORT}`,
    ConditionExpression: '#state = :prepared AND digest = :digest',
    ExpressionAttributeNames: stateNames,
    ExpressionAttributeValues: { ':outcome': outcome, ':prepared': 'PREPARED', ':digest': digest, ':now': now },
  };
}
