/** The coordinator log as recovery reads and writes it: the DynamoDB edge of CoordinatorLogPort. */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CoordinatorLogItem, type TxnStatus, parseCoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { OPEN_PARTITIONS, logShardOf, openPartitionOf, statusPartitionOf } from '../coordinatorLog/logShards.js';
import { OPEN_INDEX } from '../tableSchemas.js';
import type { Decision } from '../protocol/vote.js';
import { finalStatusOf, phaseTwoStatusOf } from './inDoubt.js';
import type { CoordinatorLogPort, DecisionAuthor, DecisionWrite, PhaseTwoRecord } from './ports.js';
import { openIndexHoldsAny } from './indexProbe.js';
import { openLogIndex } from './openLogIndex.js';

/** Open log items read per Query page. */
const PAGE = 100;

/** The byStatus shard a status write must move the item to, beside `status` itself. */
const statusPartition = (txnId: string, status: TxnStatus) => statusPartitionOf(status, logShardOf(txnId));

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function coordinatorLogTable(client: DynamoDBDocumentClient, tableName: string): CoordinatorLogPort {
  async function read(txnId: string): Promise<CoordinatorLogItem | undefined> {
    const out = await client.send(new GetCommand({ TableName: tableName, Key: { txnId }, ConsistentRead: true }));
    return out.Item ? parseCoordinatorLogItem(out.Item) : undefined;
  }

  /** SET/ADD clauses shared by the final and the pending write of a phase-2 result. */
  function phaseTwoUpdate(record: PhaseTwoRecord) {
    const values: Record<string, unknown> = {
      ':decision': record.decision,
      ':outcomes': JSON.stringify(record.outcomes),
      ':started': record.startedAt,
      ':one': 1,
    };
    const set = ['phase2Json = :outcomes', 'phase2StartedAt = if_not_exists(phase2StartedAt, :started)'];
    const add = ['recoveryAttempts :one'];
    if (record.violations.length) {
      // Only ever set to true here: the coordinator's false must never overwrite a hazard, nor this one it.
      set.push('heuristicHazard = :true');
      values[':true'] = true;
      add.push('violations :violations');
      values[':violations'] = new Set(record.violations);
    }
    return { set, add, values };
  }

  return {
    ...openLogIndex(client, tableName),

    async openTransactions(createdBefore, limit) {
      // An idle log's open index is empty: one read, instead of a Query of every shard (indexProbe.ts).
      if (!(await openIndexHoldsAny(client, tableName))) return [];
      // Every shard, each oldest first; merged, the oldest overall come first.
      const perShard = await Promise.all(
        OPEN_PARTITIONS.map(async (partition) => {
          const found: Array<{ txnId: string; createdAt: string }> = [];
          let start: Record<string, unknown> | undefined;
          do {
            const out = await client.send(
              new QueryCommand({
                TableName: tableName,
                IndexName: OPEN_INDEX,
                KeyConditionExpression: 'openPartition = :open AND createdAt <= :before',
                ExpressionAttributeValues: { ':open': partition, ':before': createdBefore },
                ProjectionExpression: 'txnId, createdAt',
                Limit: Math.min(PAGE, limit - found.length),
                ...(start ? { ExclusiveStartKey: start } : {}),
              }),
            );
            for (const item of out.Items ?? []) {
              if (typeof item.txnId === 'string' && typeof item.createdAt === 'string') found.push({ txnId: item.txnId, createdAt: item.createdAt });
            }
            start = out.LastEvaluatedKey;
          } while (start && found.length < limit);
          return found;
        }),
      );
      return perShard
        .flat()
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit)
        .map((o) => o.txnId);
    },

    read,

    async logDecision(txnId: string, decision: Decision, author: DecisionAuthor, now: string): Promise<DecisionWrite> {
      const set = ['decision = :decision', '#status = :status', 'statusPartition = :statusPartition', 'decidedAt = :now', 'decidedBy = :by'];
      const values: Record<string, unknown> = {
        ':decision': decision,
        ':status': phaseTwoStatusOf(decision),
        ':statusPartition': statusPartition(txnId, phaseTwoStatusOf(decision)),
        ':now': now,
        ':by': author.decidedBy,
      };
      if (author.note !== undefined) {
        set.push('decisionNote = :note');
        values[':note'] = author.note;
      }
      if (decision === 'ABORT' && author.decidedBy === 'recovery') {
        // The coordinator never decided in time: recorded like a timed-out prepare.
        set.push('abortReason = :reason', 'abortedBy = :by');
        values[':reason'] = 'TIMEOUT';
      }
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { txnId },
            UpdateExpression: `SET ${set.join(', ')}`,
            // attribute_exists: an update must never create a log item for a transaction that has none.
            ConditionExpression: 'attribute_exists(txnId) AND attribute_not_exists(decision)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        return { won: false, item: await read(txnId) };
      }
      const item = await read(txnId);
      if (!item) throw new Error(`coordinator log item ${txnId} vanished after its decision was logged`);
      return { won: true, item };
    },

    async logOrphanDecision(txnId, decision, author, participants, createdAt, now) {
      // Operations are known only for a hold in its item (its entry's redo list); otherwise phase 2 sends none, and each
      // participant aborts with the redo list it stored at prepare.
      const entries = participants.map(({ name, operations }) => ({ name, operations: operations ?? [], prepareTimeoutSeconds: 0, commitTimeoutSeconds: 0 }));
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { txnId },
            UpdateExpression: `SET ${[
              'decision = :decision',
              '#status = :status',
              'statusPartition = :statusPartition',
              'decidedAt = :now',
              'decidedBy = :by',
              'createdAt = :createdAt',
              'timeoutSeconds = :zero',
              'participantsJson = :participants',
              'openPartition = :open',
              ...(author.note !== undefined ? ['decisionNote = :note'] : []),
              ...(decision === 'ABORT' && author.decidedBy === 'recovery' ? ['abortReason = :reason', 'abortedBy = :by'] : []),
            ].join(', ')}`,
            ConditionExpression: 'attribute_not_exists(decision)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':decision': decision,
              ':status': phaseTwoStatusOf(decision),
              ':statusPartition': statusPartition(txnId, phaseTwoStatusOf(decision)),
              ':now': now,
              ':by': author.decidedBy,
              ':createdAt': createdAt,
              ':zero': 0,
              ':participants': JSON.stringify(entries),
              ':open': openPartitionOf(logShardOf(txnId)),
              ...(author.note !== undefined ? { ':note': author.note } : {}),
              // The coordinator never decided in time: recorded like a timed-out prepare.
              ...(decision === 'ABORT' && author.decidedBy === 'recovery' ? { ':reason': 'TIMEOUT' } : {}),
            },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        return { won: false, item: await read(txnId) };
      }
      const item = await read(txnId);
      if (!item) throw new Error(`coordinator log item ${txnId} vanished after its decision was logged`);
      return { won: true, item };
    },

    async markFinal(txnId, record) {
      const { set, add, values } = phaseTwoUpdate(record);
      set.push('#status = :final', 'statusPartition = :statusPartition', 'finishedAt = if_not_exists(finishedAt, :now)', 'recoveredAt = :now');
      values[':final'] = finalStatusOf(record.decision);
      values[':statusPartition'] = statusPartition(txnId, finalStatusOf(record.decision));
      values[':now'] = record.now;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { txnId },
          UpdateExpression: `SET ${set.join(', ')} ADD ${add.join(', ')} REMOVE openPartition, lastRecoveryError`,
          ConditionExpression: 'decision = :decision',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    },

    async recordPending(txnId, record, error) {
      const { set, add, values } = phaseTwoUpdate(record);
      set.push('lastRecoveryError = :error');
      values[':error'] = error.slice(0, 1000);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { txnId },
            UpdateExpression: `SET ${set.join(', ')} ADD ${add.join(', ')}`,
            // Once another sweeper or the coordinator made it final, there is nothing left to note.
            ConditionExpression: 'decision = :decision AND attribute_exists(openPartition)',
            ExpressionAttributeValues: values,
          }),
        );
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    },

    async addViolations(txnId, violations) {
      if (!violations.length) return;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { txnId },
          UpdateExpression: 'SET heuristicHazard = :true ADD violations :violations',
          ConditionExpression: 'attribute_exists(txnId)',
          ExpressionAttributeValues: { ':true': true, ':violations': new Set(violations) },
        }),
      );
    },
  };
}
