/**
 * The one DynamoDB edge of the participant step (../protocol/participantStep.ts), shared by Pakka's runtime
 * and the barrier: it reads the prepared-state record, steps, performs the effects through the runtime's
 * own writers (each write carries the condition that the record is as the step saw it), and when a
 * condition fails reads again and steps again. The race loop, the record read and the answers live here once.
 */
import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  type DeleteCommand,
  GetCommand,
  type PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { PhaseTwoAnswer, PrepareAnswer, StatusAnswer } from '../contract/participantProtocol.js';
import {
  type Holder,
  type ParticipantEffect,
  type ParticipantFacts,
  type ParticipantMessage,
  type StepAnswer,
  participantStep,
} from '../protocol/participantStep.js';
import { CommittedInOnePhase, ProtocolViolation, TransientFailure } from '../protocol/participantState.js';
import type { CancellationReason } from './cancellation.js';
import { classified, classifyDynamoError } from './errors.js';
import { recordKeyOf } from './table.js';

/** How often a delivery re-reads and steps again when it races a concurrent prepare, abort or debit. */
const RACE_ATTEMPTS = 4;

/** What performing one effect came to. */
export type EffectReport<R> =
  | { kind: 'done' }
  /** A condition failed: the record moved. `record` when the failure itself showed it (a cancellation's item). */
  | { kind: 'moved'; record?: R }
  /**
   * The edge learnt something the step must hear (a refusal, the team's vote): step again with it, from the
   * state the step's effects left (`next`) or from no record at all (a refusal: the record was never written).
   */
  | { kind: 'report'; message: ParticipantMessage; from: 'next' | 'nothing' }
  /** Nothing moved that the step depends on (items upgraded, a split debit's shard drained): step again. */
  | { kind: 'again' };

export interface StoredRecordShape {
  state: ParticipantFacts['state'];
  digest?: string | undefined;
  voteReason?: ParticipantFacts['voteReason'] | undefined;
  onePhase?: boolean | undefined;
  operations?: unknown[] | undefined;
  lockedKeys?: string[] | undefined;
  preparedAt?: string | undefined;
  /** A hold in the item: the record is decided and the item write still to do (../protocol/heldIntent.ts). */
  itemBehind?: boolean | undefined;
  /** A hold in the item: its entry is the outcome (the own no, or a one-phase commit) and its record still to write. */
  recordBehind?: boolean | undefined;
  /** A hold in the item: a one-phase record claimed and not yet final (../protocol/participantStep.ts). */
  claimed?: boolean | undefined;
}

/** The one mapping from a stored record to the facts the step depends on. */
export function participantFacts(record: StoredRecordShape): ParticipantFacts {
  return {
    state: record.state,
    ...(record.digest !== undefined ? { digest: record.digest } : {}),
    ...(record.voteReason !== undefined ? { voteReason: record.voteReason } : {}),
    ...(record.onePhase ? { onePhase: true } : {}),
    ...(record.operations !== undefined && record.voteReason === undefined ? { redo: true } : {}),
    ...(record.itemBehind ? { itemBehind: true } : {}),
    ...(record.recordBehind ? { recordBehind: true } : {}),
    ...(record.claimed ? { claimed: true } : {}),
  };
}

export interface DriverOptions<R extends StoredRecordShape> {
  /** The participant's name in the config, used in answers and errors. */
  name: string;
  holder: Holder;
  tableName: string;
  client: DynamoDBDocumentClient;
  /** Reads a stored item through the runtime's record schema. */
  parse(item: Record<string, unknown>): R;
}

export interface Delivery<R> {
  txnId: string;
  message: ParticipantMessage;
  /** What the record is assumed to be before any read (a fast path whose write's condition checks it), or 'read'. */
  start: { assume: ParticipantFacts | undefined } | 'read';
  /** Reads the state in place of the record alone (a hold in the item reads the record and the item). */
  read?: () => Promise<R | undefined>;
  /** Performs one effect; `record` is the last record read (undefined while assumed). */
  perform(effect: ParticipantEffect, record: R | undefined, message: ParticipantMessage): Promise<EffectReport<R>>;
}

export type Answer = PrepareAnswer | PhaseTwoAnswer;

/** What a conditional single-item write came to: the item after it (when asked for), or the item as it was when refused. */
export type ConditionalOutcome =
  | { written: true; attributes: Record<string, unknown> | undefined }
  | { written: false; old: Record<string, unknown> | undefined };

export interface ParticipantDriver<R> {
  drive(delivery: Delivery<R>): Promise<Answer>;
  read(txnId: string): Promise<R | undefined>;
  /** A conditional single-item write; false when its condition failed. */
  write(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean>;
  /**
   * A conditional single-item update whose failure says why: the item as it was (its
   * ReturnValuesOnConditionCheckFailure ALL_OLD; undefined when no item was there).
   */
  update(command: UpdateCommand): Promise<ConditionalOutcome>;
  /** A conditional put whose failure says why, as `update` (its ReturnValuesOnConditionCheckFailure ALL_OLD). */
  put(command: PutCommand): Promise<ConditionalOutcome>;
  /** A transaction; the cancellation reasons (with the items that failed) when DynamoDB cancelled it, null when it committed. */
  transact(input: TransactWriteCommandInput): Promise<CancellationReason[] | null>;
  status(txnId: string): Promise<StatusAnswer>;
}

export function participantDriver<R extends StoredRecordShape>(options: DriverOptions<R>): ParticipantDriver<R> {
  const { name, holder, tableName, client, parse } = options;

  async function read(txnId: string): Promise<R | undefined> {
    const out = await classified(client.send(new GetCommand({ TableName: tableName, Key: recordKeyOf(txnId), ConsistentRead: true })));
    return out.Item ? parse(out.Item) : undefined;
  }

  async function write(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await client.send(command as never);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw classifyDynamoError(error);
    }
  }

  /**
   * UpdateItem and PutItem both take ReturnValuesOnConditionCheckFailure: ALL_OLD, which returns the item as it
   * was when the condition failed and consumes no read capacity (DynamoDB API Reference, "UpdateItem" and
   * "PutItem", https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
   */
  async function conditional(command: UpdateCommand | PutCommand): Promise<ConditionalOutcome> {
    try {
      const out = (await client.send(command as never)) as { Attributes?: Record<string, unknown> };
      return { written: true, attributes: out.Attributes };
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw classifyDynamoError(error);
      // The SDK leaves the returned item in DynamoDB's own encoding, even through the document client.
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { written: false, old: item ? unmarshall(item) : undefined };
    }
  }

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

  function answerOf(txnId: string, answer: Exclude<StepAnswer, { kind: 'pending' }>): Answer {
    switch (answer.kind) {
      case 'vote':
        return { participant: name, txnId, ...answer.vote };
      case 'outcome':
        return { participant: name, txnId, outcome: answer.outcome, repeated: answer.repeated };
      case 'violation':
        throw new ProtocolViolation(answer.code, txnId, name);
      case 'committedInOnePhase':
        throw new CommittedInOnePhase(txnId, name);
      case 'transient':
        throw new TransientFailure(`${txnId}: ${answer.why}; retry`);
    }
  }

  async function drive({ txnId, message: first, start, perform, read: readState }: Delivery<R>): Promise<Answer> {
    const reread = readState ?? (() => read(txnId));
    let message = first;
    let record: R | undefined;
    let facts: ParticipantFacts | undefined;
    if (start === 'read') {
      record = await reread();
      facts = record && participantFacts(record);
    } else {
      facts = start.assume;
    }
    attempts: for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const step = participantStep(holder, facts, message);
      for (const effect of step.effects) {
        const report = await perform(effect, record, message);
        switch (report.kind) {
          case 'done':
            continue;
          case 'moved':
            record = report.record ?? (await reread());
            facts = record && participantFacts(record);
            continue attempts;
          case 'report':
            message = report.message;
            facts = report.from === 'next' ? step.next : undefined;
            continue attempts;
          case 'again':
            continue attempts;
        }
      }
      if (step.answer.kind === 'pending') throw new Error(`participant ${name}: a step of ${txnId} ended without an answer`);
      return answerOf(txnId, step.answer);
    }
    throw new TransientFailure(`${message.action} of ${txnId} kept racing concurrent deliveries or debits; retry`);
  }

  async function status(txnId: string): Promise<StatusAnswer> {
    const record = await read(txnId);
    const holding = record?.state === 'PREPARED' || record?.state === 'PREPARING';
    return {
      participant: name,
      txnId,
      state: record?.state ?? 'UNKNOWN',
      lockedKeys: holding ? (record?.lockedKeys ?? []) : [],
      voteReason: record?.voteReason ?? null,
      preparedAt: record?.preparedAt ?? null,
    };
  }

  return { drive, read, write, update: conditional, put: conditional, transact, status };
}
