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
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ProtocolViolation,
  TransientFailure,
  onAbort,
  onCommit,
  onRepeatedPrepare,
} from '../protocol/participantState.js';
import type { AbortReason } from '../protocol/vote.js';
import { readCancellation, type CancellationReason } from './cancellation.js';
import type { ParticipantKind } from './kind.js';
import {
  participantRequest,
  type ParticipantAnswer,
  type PhaseTwoAnswer,
  type PrepareAnswer,
  type StatusAnswer,
} from './message.js';
import { recordFacts, type StoredRecord, storedRecord } from './record.js';
import { recordKeyOf } from './table.js';
import {
  type PreparedOperations,
  abortTransaction,
  abortedRecord,
  commitTransaction,
  digestOf,
  prepareTransaction,
  readOnlyCheckTransaction,
  removeProvisionalItem,
} from './transactions.js';
import { InvalidParticipantRequest, classified, classifyDynamoError } from './errors.js';

export interface ParticipantRuntimeOptions {
  /** The participant's name in the config, used in answers and errors. */
  name: string;
  kind: ParticipantKind;
  tableName: string;
  client: DynamoDBDocumentClient;
  now?: () => string;
}

export type ParticipantHandler = (event: unknown) => Promise<ParticipantAnswer>;

/** How often a phase-2 message re-reads and retries when it races a concurrent prepare or abort. */
const RACE_ATTEMPTS = 3;

export function participantHandler(options: ParticipantRuntimeOptions): ParticipantHandler {
  const { name, kind, tableName, client } = options;
  const now = options.now ?? (() => new Date().toISOString());

  function prepareOperations(raw: readonly unknown[], field: string): PreparedOperations {
    const operations = raw.map((op, i) => {
      const parsed = kind.operation.safeParse(op);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidParticipantRequest(`${field}[${i}]${issue?.path.length ? '.' + issue.path.join('.') : ''}: ${issue?.message ?? 'invalid'}`);
      }
      return parsed.data;
    });
    if (operations.length === 0) throw new InvalidParticipantRequest(`${field}: at least one operation is required`);
    const keys = new Set(operations.map((o) => o.key));
    if (keys.size !== operations.length) throw new InvalidParticipantRequest(`${field}: each key may appear once per participant`);
    const plans = operations.map((op) => kind.plan(op));
    return { operations, plans, digest: digestOf(operations), readOnly: plans.every((p) => p.readOnly) };
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

  async function voteAbort(txnId: string, prepared: PreparedOperations, reason: AbortReason): Promise<PrepareAnswer> {
    // A lock conflict is "not now": the coordinator may retry prepare, so nothing is recorded.
    // A check-only participant records nothing either: its READ_ONLY vote left no record, so a late
    // duplicate of that prepare must not write ABORTED beside a transaction that committed.
    if (reason === 'LOCK_CONFLICT' || prepared.readOnly) return { participant: name, txnId, vote: 'VOTE_ABORT', reason };
    // Any other no is final: record it, so a repeat answers the same and a late commit is refused.
    try {
      await client.send(new PutCommand(abortedRecord(tableName, txnId, now(), prepared.digest, reason)));
      return { participant: name, txnId, vote: 'VOTE_ABORT', reason };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
      const record = await readRecord(txnId);
      if (!record) throw classifyDynamoError(error);
      return answerFromRecord(txnId, record, prepared.digest);
    }
  }

  async function prepare(txnId: string, prepared: PreparedOperations): Promise<PrepareAnswer> {
    const tx = prepared.readOnly
      ? readOnlyCheckTransaction(tableName, txnId, prepared)
      : prepareTransaction(tableName, txnId, prepared, now());
    const reasons = await transact(tx);
    if (reasons === null) return { participant: name, txnId, vote: prepared.readOnly ? 'READ_ONLY' : 'VOTE_COMMIT', reason: null };
    const verdict = readCancellation(txnId, reasons, prepared.plans);
    switch (verdict.kind) {
      case 'recordExists': {
        const record = verdict.record ? storedRecord(verdict.record) : await readRecord(txnId);
        if (!record) throw new TransientFailure('prepared-state record vanished while reading it');
        return answerFromRecord(txnId, record, prepared.digest);
      }
      case 'voteAbort':
        return voteAbort(txnId, prepared, verdict.reason);
      case 'transient':
        throw new TransientFailure(`prepare of ${txnId} was cancelled by a concurrent write; retry`);
      case 'unexpected':
        throw new Error(`prepare of ${txnId} was cancelled for an unexpected reason: ${verdict.codes.join(', ')}`);
    }
  }

  async function operationsFor(txnId: string, raw: readonly unknown[] | undefined): Promise<{ prepared: PreparedOperations | undefined; record: StoredRecord | undefined; recordRead: boolean }> {
    if (raw) return { prepared: prepareOperations(raw, 'operations'), record: undefined, recordRead: false };
    const record = await readRecord(txnId);
    return { prepared: record?.operations ? prepareOperations(record.operations, 'stored operations') : undefined, record, recordRead: true };
  }

  async function commit(txnId: string, raw: readonly unknown[] | undefined): Promise<PhaseTwoAnswer> {
    const found = await operationsFor(txnId, raw);
    let { record, recordRead } = found;
    const prepared = found.prepared;
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      if (!recordRead && prepared && !prepared.readOnly) {
        // Fast path: one round trip. The condition on the record checks it is PREPARED with this very redo list.
        const reasons = await transact(commitTransaction(tableName, txnId, prepared, now()));
        if (reasons === null) return { participant: name, txnId, outcome: 'COMMITTED', repeated: false };
      }
      record = recordRead && attempt === 0 ? record : await readRecord(txnId);
      recordRead = false;
      const step = onCommit(record && recordFacts(record), prepared?.digest, prepared?.readOnly ?? false);
      switch (step.kind) {
        case 'repeat':
          return { participant: name, txnId, outcome: 'COMMITTED', repeated: true };
        case 'readOnlyCommit':
          return { participant: name, txnId, outcome: 'READ_ONLY', repeated: false };
        case 'violation':
          violation(step.code, txnId);
        // falls through never: violation throws
        case 'nullAbort':
        case 'apply':
          if (!prepared) violation('COMMIT_WITHOUT_PREPARE', txnId);
          continue; // PREPARED and ours: the fast path lost a race; try it again
      }
    }
    throw new TransientFailure(`commit of ${txnId} kept racing; retry`);
  }

  async function abort(txnId: string, raw: readonly unknown[] | undefined): Promise<PhaseTwoAnswer> {
    const found = await operationsFor(txnId, raw);
    let { record, recordRead } = found;
    let prepared = found.prepared;
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      if (!recordRead && prepared && !prepared.readOnly) {
        const reasons = await transact(abortTransaction(tableName, txnId, prepared, now()));
        if (reasons === null) {
          await removeProvisionalItems(txnId, prepared);
          return { participant: name, txnId, outcome: 'ABORTED', repeated: false };
        }
      }
      record = recordRead && attempt === 0 ? record : await readRecord(txnId);
      recordRead = false;
      const step = onAbort(record && recordFacts(record), prepared?.digest);
      switch (step.kind) {
        case 'repeat': {
          // A record that was PREPARED (it keeps its redo list; a vote-abort record or a tombstone has none)
          // may have been aborted by a delivery that died before its clean-up: finish that clean-up.
          if (record?.operations && record.voteReason === undefined) {
            await removeProvisionalItems(txnId, prepareOperations(record.operations, 'stored operations'));
          }
          return { participant: name, txnId, outcome: 'ABORTED', repeated: true };
        }
        case 'violation':
          violation(step.code, txnId);
        // falls through never: violation throws
        case 'readOnlyCommit':
          continue;
        case 'nullAbort':
          try {
            // The tombstone makes a prepare that arrives after this abort vote VOTE_ABORT (anti-hanging).
            await client.send(new PutCommand(abortedRecord(tableName, txnId, now(), prepared?.digest, undefined)));
            return { participant: name, txnId, outcome: 'ABORTED', repeated: false };
          } catch (error) {
            if (!isConditionalCheckFailed(error)) throw classifyDynamoError(error);
            continue; // a prepare landed between our read and our write: abort it
          }
        case 'apply':
          if (!prepared && record?.operations) prepared = prepareOperations(record.operations, 'stored operations');
          if (!prepared) throw new Error(`record of ${txnId} is PREPARED but holds no operations`);
          if (prepared.readOnly) prepared = { ...prepared, readOnly: false };
          continue;
      }
    }
    throw new TransientFailure(`abort of ${txnId} kept racing; retry`);
  }

  async function removeProvisionalItems(txnId: string, prepared: PreparedOperations): Promise<void> {
    for (const plan of prepared.plans.filter((p) => p.creates)) {
      try {
        await client.send(new DeleteCommand(removeProvisionalItem(tableName, txnId, plan.key)));
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

  return async (event: unknown): Promise<ParticipantAnswer> => {
    const parsed = participantRequest.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidParticipantRequest(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
    }
    const { action, txnId, operations } = parsed.data;
    switch (action) {
      case 'prepare':
        if (!operations) throw new InvalidParticipantRequest('operations: required for prepare');
        return prepare(txnId, prepareOperations(operations, 'operations'));
      case 'commit':
        return commit(txnId, operations);
      case 'abort':
        return abort(txnId, operations);
      case 'status':
        return status(txnId);
    }
  };
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
