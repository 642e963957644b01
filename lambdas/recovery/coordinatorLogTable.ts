/** The coordinator log as recovery reads and writes it: the DynamoDB edge of CoordinatorLogPort. What each write sets is its description's (coordinatorLog/logWrites.ts). */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type CoordinatorLogItem, type TxnStatus, parseCoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { logShardOf, openPartitionOf, statusPartitionOf } from '../coordinatorLog/logShards.js';
import { toSdk } from '../coordinatorLog/logWriteSdk.js';
import { LATER_DECISION, ORPHAN_DECISION, PHASE_TWO_FINAL, PHASE_TWO_PENDING, VIOLATIONS_ADDED } from '../coordinatorLog/logWrites.js';
import { shardPages, shardsToRead } from '../participants/shardedIndexPages.js';
import type { Decision } from '../protocol/vote.js';
import { finalStatusOf, phaseTwoStatusOf } from './inDoubt.js';
import type { CoordinatorLogPort, DecisionAuthor, DecisionWrite, PhaseTwoRecord } from './ports.js';
import { openIndexHoldsAny } from './indexProbe.js';
import { openLogIndex, openOf, openShards } from './openLogIndex.js';

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

  /** The arguments shared by the final and the pending write of a phase-2 result. */
  function phaseTwoArguments(txnId: string, record: PhaseTwoRecord) {
    const found = record.violations.length > 0;
    return {
      txnId,
      decision: record.decision,
      outcomes: JSON.stringify(record.outcomes),
      started: record.startedAt,
      // Only ever set to true here: the coordinator's false must never overwrite a hazard, nor this one it.
      hazard: found ? true : undefined,
      violations: found ? new Set(record.violations) : undefined,
    };
  }

  /** A decision's arguments, with its author's part: an operator's note, and for recovery's own ABORT the coordinator's missed deadline. */
  function decisionArguments(txnId: string, decision: Decision, author: DecisionAuthor, now: string) {
    const status = phaseTwoStatusOf(decision);
    // The coordinator never decided in time: recorded like a timed-out prepare.
    const presumed = decision === 'ABORT' && author.decidedBy === 'recovery';
    return {
      txnId,
      decision,
      status,
      statusPartition: statusPartition(txnId, status),
      now,
      by: author.decidedBy,
      note: author.note,
      reason: presumed ? ('TIMEOUT' as const) : undefined,
      abortedBy: presumed ? author.decidedBy : undefined,
    };
  }

  /** A conditional decision write: won, or lost to a decision logged first (read back). */
  async function decide(input: UpdateCommandInput, txnId: string): Promise<DecisionWrite> {
    try {
      await client.send(new UpdateCommand(input));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { won: false, item: await read(txnId) };
    }
    const item = await read(txnId);
    if (!item) throw new Error(`coordinator log item ${txnId} vanished after its decision was logged`);
    return { won: true, item };
  }

  return {
    ...openLogIndex(client, tableName),

    async openTransactions(createdBefore, limit) {
      const open = openShards(client, tableName, {
        sortKey: { condition: 'createdAt <= :before', values: { ':before': createdBefore } },
        // An idle log's open index is empty: one read, instead of a Query of every shard (indexProbe.ts).
        holdsAny: () => openIndexHoldsAny(client, tableName),
      });
      // Every shard, each oldest first; merged, the oldest overall come first.
      const perShard = await Promise.all(
        (await shardsToRead(open)).map(async (shard) => {
          const found: Array<{ txnId: string; createdAt: string }> = [];
          for await (const page of shardPages(open, shard, { limit: () => Math.min(PAGE, limit - found.length) })) {
            found.push(...openOf(page.items));
            if (found.length >= limit) break;
          }
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
      return decide(toSdk(LATER_DECISION, tableName, decisionArguments(txnId, decision, author, now)), txnId);
    },

    async logOrphanDecision(txnId, decision, author, participants, createdAt, now) {
      // Operations are known only for a hold in its item (its entry's redo list); otherwise phase 2 sends none, and each
      // participant aborts with the redo list it stored at prepare.
      const entries = participants.map(({ name, operations }) => ({ name, operations: operations ?? [], prepareTimeoutSeconds: 0, commitTimeoutSeconds: 0 }));
      return decide(
        toSdk(ORPHAN_DECISION, tableName, {
          ...decisionArguments(txnId, decision, author, now),
          createdAt,
          participants: JSON.stringify(entries),
          open: openPartitionOf(logShardOf(txnId)),
        }),
        txnId,
      );
    },

    async markFinal(txnId, record) {
      const final = finalStatusOf(record.decision);
      await client.send(
        new UpdateCommand(
          toSdk(PHASE_TWO_FINAL, tableName, { ...phaseTwoArguments(txnId, record), final, statusPartition: statusPartition(txnId, final), now: record.now }),
        ),
      );
    },

    async recordPending(txnId, record, error) {
      try {
        await client.send(new UpdateCommand(toSdk(PHASE_TWO_PENDING, tableName, { ...phaseTwoArguments(txnId, record), error: error.slice(0, 1000) })));
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    },

    async addViolations(txnId, violations) {
      if (!violations.length) return;
      await client.send(new UpdateCommand(toSdk(VIOLATIONS_ADDED, tableName, { txnId, violations: new Set(violations) })));
    },
  };
}
