/**
 * The participant runtime: turns a participant kind into the handler that answers
 * prepare, commit, abort and status against the participant's own table.
 * The protocol rules live in ../protocol and ./transactions; this file is the DynamoDB edge.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CommittedInOnePhase,
  ONE_PHASE_COMMITTED,
  REFUSED_OPERATIONS_DIGEST,
  ProtocolViolation,
  TransientFailure,
  onAbort,
  onCommit,
  onRepeatedPrepare,
} from '../protocol/participantState.js';
import type { AbortReason } from '../protocol/vote.js';
import { batchReadConsistent } from './batchRead.js';
import { readCancellation, type CancellationReason } from './cancellation.js';
import { conflictRetryingClient } from './conflictRetry.js';
import { escrowUpgrade } from './escrow.js';
import {
  type ItemTarget,
  type Placement,
  type Placements,
  type ShardedKeys,
  needsSplit,
  shardPksOf,
  spreadsOverShards,
  splitConsumption,
  supplyPlacement,
  supplyShard,
  targetsOf,
} from './hotItems.js';
import type { ParticipantKind } from './kind.js';
import type { ParticipantAnswer, PhaseTwoAnswer, PrepareAnswer, StatusAnswer } from './message.js';
import { recordFacts, type StoredRecord, storedRecord } from './record.js';
import { PARTITION_KEY, recordKeyOf } from './table.js';
import {
  type PreparedOperations,
  abortTransaction,
  abortedRecord,
  commitOnePhaseTransaction,
  commitTransaction,
  digestOf,
  legacyAbortTransaction,
  legacyCommitTransaction,
  prepareTransaction,
  provisionalRemovals,
  readOnlyCheckTransaction,
} from './transactions.js';
import { dispatchParticipantRequest } from './dispatch.js';
import { InvalidParticipantRequest, classified, classifyDynamoError } from './errors.js';

export interface ParticipantRuntimeOptions {
  /** The participant's name in the config, used in answers and errors. */
  name: string;
  kind: ParticipantKind;
  tableName: string;
  client: DynamoDBDocumentClient;
  /** Hot keys spread over shard items (hotItems.ts), from the participant config. */
  shardedKeys?: ShardedKeys;
  now?: () => string;
}

export type ParticipantHandler = (event: unknown) => Promise<ParticipantAnswer>;

/** How often a message re-reads and retries when it races a concurrent prepare, abort or debit. */
const RACE_ATTEMPTS = 4;

const NO_SHARDS: ShardedKeys = new Map();

export function participantHandler(options: ParticipantRuntimeOptions): ParticipantHandler {
  const { name, kind, tableName } = options;
  const client = conflictRetryingClient(options.client);
  const sharded = options.shardedKeys ?? NO_SHARDS;
  const now = options.now ?? (() => new Date().toISOString());

  function prepareOperations(raw: readonly unknown[], field: string): PreparedOperations {
    const operations = raw.map((op, i) => {
      const parsed = kind.operation.safeParse(op);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidParticipantRequest(`${field}[${i}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
      }
      return parsed.data;
    });
    if (operations.length === 0) throw new InvalidParticipantRequest(`${field}: at least one operation is required`);
    const keys = new Set(operations.map((o) => o.key));
    if (keys.size !== operations.length) throw new InvalidParticipantRequest(`${field}: each key may appear once per participant`);
    const plans = operations.map((op) => kind.plan(op));
    plans.forEach((plan, i) => {
      if (sharded.has(plan.key) && !spreadsOverShards(plan)) {
        throw new InvalidParticipantRequest(`${field}[${i}]: key ${plan.key} is sharded, and only credits and debits can spread over shards`);
      }
    });
    return { operations, plans, digest: digestOf(operations), readOnly: plans.every((p) => p.hold === 'check') };
  }

  /**
   * An abort whose operations this participant refuses as invalid: its prepare refused them too, so
   * they hold nothing here, and the abort still ends the transaction (a tombstone, or the record's
   * own answer), never an InvalidRequest that would leave it ABORTING for ever (issue 21 D14).
   */
  function refusesAsInvalid(raw: readonly unknown[]): boolean {
    try {
      prepareOperations(raw, 'operations');
      return false;
    } catch (error) {
      if (error instanceof InvalidParticipantRequest) return true;
      throw error;
    }
  }

  async function readRecord(txnId: string): Promise<StoredRecord | undefined> {
    const out = await classified(client.send(new GetCommand({ TableName: tableName, Key: recordKeyOf(txnId), ConsistentRead: true })));
    return out.Item ? storedRecord(out.Item) : undefined;
  }

  /** Sends a transaction; returns the cancellation reasons if DynamoDB cancelled it on a condition. */
  async function transact(input: TransactWriteCommandInput): Promise<CancellationReason[] | null> {
    try {
      await client.send(new TransactWriteCommand(input));
      return null;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        return (error.CancellationReasons ?? []).map((r) => ({
          Code: r.Code,
          Item: r.Item ? unmarshall(r.Item as Record<string, AttributeValue>) : undefined,
        }));
      }
      throw classifyDynamoError(error);
    }
  }

  function violation(code: ProtocolViolation['code'], txnId: string): never {
    throw new ProtocolViolation(code, txnId, name);
  }

  function answerFromRecord(txnId: string, record: StoredRecord, digest: string): PrepareAnswer {
    const answer = onRepeatedPrepare(recordFacts(record), digest);
    if ('violation' in answer) violation(answer.violation, txnId);
    return { participant: name, txnId, ...answer };
  }

  async function voteAbort(txnId: string, prepared: PreparedOperations, reason: AbortReason, onePhase: boolean): Promise<PrepareAnswer> {
    // A lock conflict is "not now": the coordinator may retry prepare, so nothing is recorded.
    // A check-only participant records nothing either: its READ_ONLY vote left no record, so a late
    // duplicate of that prepare must not write ABORTED beside a transaction that committed.
    if (reason === 'LOCK_CONFLICT' || prepared.readOnly) return { participant: name, txnId, vote: 'VOTE_ABORT', reason };
    // Any other no is final: record it, so a repeat answers the same and a late commit is refused.
    try {
      await client.send(new PutCommand(abortedRecord(tableName, txnId, now(), prepared.digest, reason, onePhase)));
      return { participant: name, txnId, vote: 'VOTE_ABORT', reason };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
      const record = await readRecord(txnId);
      if (!record) throw classifyDynamoError(error);
      return answerFromRecord(txnId, record, prepared.digest);
    }
  }

  /**
   * Where each escrowed operation on a sharded key lands: credits on the shard the txnId picks,
   * debits split over what the shards hold now (one consistent read of them). Undefined placements
   * mean the shards together cannot cover a debit.
   */
  async function placementsFor(txnId: string, prepared: PreparedOperations): Promise<{ placements: Placements } | { short: AbortReason }> {
    const placements: Record<string, Placement[]> = {};
    for (const plan of prepared.plans) {
      const shards = sharded.get(plan.key);
      if (shards === undefined || plan.hold !== 'escrow') continue;
      if (plan.direction === 'supply') {
        placements[plan.key] = supplyPlacement(txnId, plan, shards);
        continue;
      }
      const pks = shardPksOf(plan.key, shards);
      const items = await classified(
        batchReadConsistent(
          client,
          tableName,
          pks.map((pk) => ({ [PARTITION_KEY]: pk })),
        ),
      );
      const byPk = new Map(items.map((item) => [item[PARTITION_KEY] as string, item]));
      const available = pks.map((pk) => {
        const item = byPk.get(pk);
        const value = item?.available ?? item?.[plan.quantity];
        return typeof value === 'number' ? value : 0;
      });
      const split = splitConsumption(plan.amount, available, supplyShard(txnId, plan.key, shards));
      if (!split) return { short: plan.shortReason };
      placements[plan.key] = split.map((p) => ({ pk: pks[p.index]!, amount: p.amount }));
    }
    return { placements };
  }

  /** Brings Pakka 0.1 items into the escrow layout; one that is still locked is left to its transaction. */
  async function upgradeItems(targets: readonly ItemTarget[]): Promise<void> {
    for (const { pk, plan } of targets) {
      if (plan.hold !== 'escrow') continue;
      try {
        await client.send(new UpdateCommand({ TableName: tableName, Key: { [PARTITION_KEY]: pk }, ...escrowUpgrade(plan.quantity) }));
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
      }
    }
  }

  /**
   * Prepare, or (onePhase) prepare and commit in one write: the same rules, the same race handling,
   * only the transaction differs. A check-only participant has nothing to commit and votes READ_ONLY
   * either way.
   */
  async function prepare(txnId: string, prepared: PreparedOperations, onePhase = false): Promise<PrepareAnswer> {
    if (prepared.readOnly) {
      const reasons = await transact(readOnlyCheckTransaction(tableName, txnId, targetsOf(prepared.plans, txnId, sharded)));
      if (reasons === null) return { participant: name, txnId, vote: 'READ_ONLY', reason: null };
      const answer = await prepareRefused(txnId, prepared, reasons, targetsOf(prepared.plans, txnId, sharded), false);
      if (!answer) throw new TransientFailure(`check of ${txnId} was cancelled for a reason worth retrying`);
      return answer;
    }
    const build = onePhase ? commitOnePhaseTransaction : prepareTransaction;
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const placed = await placementsFor(txnId, prepared);
      if ('short' in placed) return voteAbort(txnId, prepared, placed.short, onePhase);
      const targets = targetsOf(prepared.plans, txnId, sharded, placed.placements);
      const reasons = await transact(build(tableName, txnId, prepared, targets, placed.placements, now()));
      if (reasons === null) {
        return { participant: name, txnId, vote: 'VOTE_COMMIT', reason: null, ...(onePhase ? { committed: ONE_PHASE_COMMITTED } : {}) };
      }
      const answer = await prepareRefused(txnId, prepared, reasons, targets, onePhase);
      if (answer) return answer;
    }
    throw new TransientFailure(`prepare of ${txnId} kept racing concurrent debits or upgrades; retry`);
  }

  /** The vote a cancelled prepare gives, or undefined when it should simply be tried again. */
  async function prepareRefused(
    txnId: string,
    prepared: PreparedOperations,
    reasons: CancellationReason[],
    targets: readonly ItemTarget[],
    onePhase: boolean,
  ): Promise<PrepareAnswer | undefined> {
    const verdict = readCancellation(txnId, reasons, targets);
    switch (verdict.kind) {
      case 'recordExists': {
        const record = verdict.record ? storedRecord(verdict.record) : await readRecord(txnId);
        if (!record) throw new TransientFailure('prepared-state record vanished while reading it');
        return answerFromRecord(txnId, record, prepared.digest);
      }
      case 'voteAbort':
        return voteAbort(txnId, prepared, verdict.reason, onePhase);
      case 'upgrade':
        await upgradeItems(verdict.targets);
        return undefined;
      case 'resplit':
        return undefined;
      case 'transient':
        throw new TransientFailure(`prepare of ${txnId} was cancelled by a concurrent write; retry`);
      case 'unexpected':
        throw new Error(`prepare of ${txnId} was cancelled for an unexpected reason: ${verdict.codes.join(', ')}`);
    }
  }

  /**
   * Commit and abort share one loop: send the transition (first without reading, when the message
   * carries the operations and nothing forces a read), and whenever a condition fails read the
   * record and let the pure rules (onCommit, onAbort) say what the delivery means.
   */
  async function phaseTwo(txnId: string, raw: readonly unknown[] | undefined, to: 'COMMITTED' | 'ABORTED'): Promise<PhaseTwoAnswer> {
    const refused = to === 'ABORTED' && raw !== undefined && refusesAsInvalid(raw);
    let prepared = raw && !refused ? prepareOperations(raw, 'operations') : undefined;
    let record: StoredRecord | undefined;
    // A split debit is wherever prepare put it: only the record knows.
    let known = !prepared || prepared.plans.some((p) => needsSplit(p, sharded));
    if (known) {
      record = await readRecord(txnId);
      if (!prepared && record?.operations) prepared = prepareOperations(record.operations, 'stored operations');
    }
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      let legacy = false;
      if (known) {
        const facts = record && recordFacts(record);
        const step =
          to === 'COMMITTED'
            ? onCommit(facts, prepared?.digest, prepared?.readOnly ?? false)
            : onAbort(facts, refused ? REFUSED_OPERATIONS_DIGEST : prepared?.digest);
        switch (step.kind) {
          case 'repeat':
            // A record that was PREPARED (it keeps its redo list; a vote-abort record or a tombstone has none)
            // may have been aborted by a delivery that died before its clean-up: finish that clean-up.
            if (to === 'ABORTED' && record?.operations && record.voteReason === undefined) {
              await removeProvisionalItems(txnId, prepareOperations(record.operations, 'stored operations'), record);
            }
            return { participant: name, txnId, outcome: to, repeated: true };
          case 'readOnlyCommit':
            return { participant: name, txnId, outcome: 'READ_ONLY', repeated: false };
          case 'violation':
            return violation(step.code, txnId);
          case 'committedInOnePhase':
            throw new CommittedInOnePhase(txnId, name);
          case 'nullAbort':
            try {
              // The tombstone makes a prepare that arrives after this abort vote VOTE_ABORT (anti-hanging).
              await client.send(new PutCommand(abortedRecord(tableName, txnId, now(), prepared?.digest, undefined)));
              return { participant: name, txnId, outcome: 'ABORTED', repeated: false };
            } catch (error) {
              if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
              record = await readRecord(txnId); // a prepare landed between our read and our write: abort it
              continue;
            }
          case 'apply':
            if (!prepared && record?.operations) prepared = prepareOperations(record.operations, 'stored operations');
            if (!prepared) {
              if (to === 'COMMITTED') violation('COMMIT_WITHOUT_PREPARE', txnId);
              throw new Error(`record of ${txnId} is PREPARED but holds no operations`);
            }
            legacy = record?.layout === undefined;
        }
      }
      if (!prepared) violation('COMMIT_WITHOUT_PREPARE', txnId);
      if (!known && prepared.readOnly) {
        // Nothing was prepared here for a check-only participant: only the record can say more.
        record = await readRecord(txnId);
        known = true;
        continue;
      }
      const targets = targetsOf(prepared.plans, txnId, legacy ? NO_SHARDS : sharded, record?.placements);
      const build = to === 'COMMITTED' ? (legacy ? legacyCommitTransaction : commitTransaction) : legacy ? legacyAbortTransaction : abortTransaction;
      const reasons = await transact(build(tableName, txnId, { ...prepared, readOnly: false }, targets, now()));
      if (reasons === null) {
        if (to === 'ABORTED') await removeProvisionalItems(txnId, prepared, record);
        return { participant: name, txnId, outcome: to, repeated: false };
      }
      record = await readRecord(txnId);
      known = true;
    }
    throw new TransientFailure(`${to === 'COMMITTED' ? 'commit' : 'abort'} of ${txnId} kept racing; retry`);
  }

  async function removeProvisionalItems(txnId: string, prepared: PreparedOperations, record: StoredRecord | undefined): Promise<void> {
    const legacy = record !== undefined && record.layout === undefined;
    const targets = targetsOf(prepared.plans, txnId, legacy ? NO_SHARDS : sharded, record?.placements);
    for (const removal of provisionalRemovals(tableName, txnId, targets, legacy)) {
      try {
        await client.send(new DeleteCommand(removal));
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
      }
    }
  }

  async function status(txnId: string): Promise<StatusAnswer> {
    const record = await readRecord(txnId);
    return {
      participant: name,
      txnId,
      state: record?.state ?? 'UNKNOWN',
      lockedKeys: record?.state === 'PREPARED' ? (record.lockedKeys ?? []) : [],
      voteReason: record?.voteReason ?? null,
      preparedAt: record?.preparedAt ?? null,
    };
  }

  return dispatchParticipantRequest({
    operations: prepareOperations,
    prepare: (txnId, prepared) => prepare(txnId, prepared),
    commitOnePhase: (txnId, prepared) => prepare(txnId, prepared, true),
    commit: (txnId, raw) => phaseTwo(txnId, raw, 'COMMITTED'),
    abort: (txnId, raw) => phaseTwo(txnId, raw, 'ABORTED'),
    status,
  });
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
