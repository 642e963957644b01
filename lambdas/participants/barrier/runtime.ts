/**
 * The barrier participant: answers the participant protocol for a team's own prepare, commit and abort,
 * keeping the barrier in the participant's prepared-state table. The record decides whether the team's
 * code runs (rules in ../../protocol/barrierState.ts); this file is the DynamoDB edge.
 *
 * Every call of the team's code happens before the record write that says it is done, so a crash in
 * between leaves the record where a retry or an abort calls the team's (idempotent) code again.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ParticipantAnswer, PhaseTwoAnswer, PrepareAnswer, StatusAnswer } from '../../contract/participantProtocol.js';
import {
  type BarrierFacts,
  type TeamVote,
  afterLostIntent,
  afterTeamPrepare,
  onBarrierAbort,
  onBarrierCommit,
  onBarrierPrepare,
} from '../../protocol/barrierState.js';
import { ProtocolViolation, TransientFailure } from '../../protocol/participantState.js';
import { conflictRetryingClient } from '../conflictRetry.js';
import { dispatchParticipantRequest } from '../dispatch.js';
import { InvalidParticipantRequest, classified, classifyDynamoError } from '../errors.js';
import { recordKeyOf } from '../table.js';
import { abortedRecord, digestOf } from '../transactions.js';
import type { BarrierParticipantDefinition, Hold, TeamPrepareAnswer } from './definition.js';
import { type BarrierRecord, abortedFromIntent, barrierRecord, decidedFromPrepared, dropIntent, intentRecord, preparedFromIntent } from './records.js';

export interface BarrierParticipantOptions<Op extends { op: string; key: string }> {
  /** The participant's name in the config, used in answers and errors. */
  name: string;
  definition: BarrierParticipantDefinition<Op>;
  /** The participant's prepared-state table (the same schema as a built-in participant's). */
  tableName: string;
  client: DynamoDBDocumentClient;
  now?: () => string;
}

export type BarrierHandler = (event: unknown) => Promise<ParticipantAnswer>;

/** How often an action re-reads the record when a concurrent delivery moved it under its feet. */
const RACE_ATTEMPTS = 4;

interface Operations<Op> {
  operations: Op[];
  keys: string[];
  digest: string;
}

const teamVote = (answer: TeamPrepareAnswer): TeamVote =>
  answer.vote === 'VOTE_ABORT' ? { vote: 'VOTE_ABORT', reason: answer.reason } : { vote: answer.vote };

export function barrierParticipant<Op extends { op: string; key: string }>(options: BarrierParticipantOptions<Op>): BarrierHandler {
  const { name, definition, tableName } = options;
  const client = conflictRetryingClient(options.client);
  const now = options.now ?? (() => new Date().toISOString());

  function validated(raw: readonly unknown[], field: string): Operations<Op> {
    const operations = raw.map((op, i) => {
      const parsed = definition.operation.safeParse(op);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidParticipantRequest(`${field}[${i}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
      }
      return parsed.data;
    });
    if (operations.length === 0) throw new InvalidParticipantRequest(`${field}: at least one operation is required`);
    const keys = operations.map((o) => o.key);
    if (new Set(keys).size !== keys.length) throw new InvalidParticipantRequest(`${field}: each key may appear once per participant`);
    return { operations, keys, digest: digestOf(operations) };
  }

  const facts = (record: BarrierRecord | undefined): BarrierFacts | undefined =>
    record && {
      state: record.state,
      ...(record.digest !== undefined ? { digest: record.digest } : {}),
      ...(record.voteReason !== undefined ? { voteReason: record.voteReason } : {}),
    };

  async function readRecord(txnId: string): Promise<BarrierRecord | undefined> {
    const out = await classified(client.send(new GetCommand({ TableName: tableName, Key: recordKeyOf(txnId), ConsistentRead: true })));
    return out.Item ? barrierRecord(out.Item) : undefined;
  }

  /** A conditional write; false when its condition failed (another delivery moved the record first). */
  async function write(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await client.send(command as never);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw classifyDynamoError(error);
    }
  }

  const violation = (code: ProtocolViolation['code'], txnId: string): never => {
    throw new ProtocolViolation(code, txnId, name);
  };

  const storedOperations = (txnId: string, record: BarrierRecord): Operations<Op> => {
    if (!record.operations) throw new Error(`record of ${txnId} is ${record.state} but holds no operations`);
    return validated(record.operations, 'stored operations');
  };

  const call = (txnId: string, ops: Operations<Op>) => ({ txnId, participant: name, operations: ops.operations });

  async function teamPrepare(txnId: string, ops: Operations<Op>): Promise<TeamPrepareAnswer> {
    const answer = await definition.prepare(call(txnId, ops));
    if (answer.vote === 'VOTE_ABORT' && !answer.reason) throw new Error(`participant ${name}: prepare voted VOTE_ABORT without a reason`);
    return answer;
  }

  async function prepare(txnId: string, ops: Operations<Op>): Promise<PrepareAnswer> {
    const answered = (answer: { vote: PrepareAnswer['vote']; reason: PrepareAnswer['reason'] }): PrepareAnswer => ({ participant: name, txnId, ...answer });
    const intent = () => write(new PutCommand(intentRecord(tableName, txnId, ops, now())));
    // Fast path: no record yet is the common case, and the intent's condition keeps out any tombstone.
    if (await intent()) return finishPrepare(txnId, ops, await teamPrepare(txnId, ops));
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const step = onBarrierPrepare(facts(await readRecord(txnId)), ops.digest);
      switch (step.kind) {
        case 'answer':
          return answered(step.answer);
        case 'violation':
          return violation(step.code, txnId);
        case 'writeIntent':
          if (!(await intent())) continue;
          return finishPrepare(txnId, ops, await teamPrepare(txnId, ops));
        case 'resumeIntent':
          return finishPrepare(txnId, ops, await teamPrepare(txnId, ops));
      }
    }
    throw new TransientFailure(`prepare of ${txnId} kept racing; retry`);
  }

  async function finishPrepare(txnId: string, ops: Operations<Op>, vote: TeamPrepareAnswer): Promise<PrepareAnswer> {
    const outcome = afterTeamPrepare(teamVote(vote));
    let written: boolean;
    switch (outcome.kind) {
      case 'prepared':
        written = await write(new UpdateCommand(preparedFromIntent(tableName, txnId, ops.digest, vote.vote === 'VOTE_COMMIT' ? vote.hold : undefined, now())));
        break;
      case 'undoThenAbort':
        // A no may leave a partial hold (one card of two authorized): undo it before the no is recorded.
        await definition.abort({ ...call(txnId, ops), hold: undefined });
        written = await write(new UpdateCommand(abortedFromIntent(tableName, txnId, ops.digest, outcome.reason, now())));
        break;
      case 'dropIntent':
        written = await write(new DeleteCommand(dropIntent(tableName, txnId, ops.digest)));
        break;
    }
    if (written) return { participant: name, txnId, vote: vote.vote, reason: vote.vote === 'VOTE_ABORT' ? vote.reason : null };
    const lost = afterLostIntent(facts(await readRecord(txnId)), ops.digest, teamVote(vote));
    if ('retry' in lost) throw new TransientFailure(`prepare of ${txnId}: its intent record vanished; retry`);
    if ('violation' in lost) return violation(lost.violation, txnId);
    // An abort passed while the team's prepare ran; what that prepare held came after the abort's undo.
    if (lost.undo) await definition.abort({ ...call(txnId, ops), hold: vote.vote === 'VOTE_COMMIT' ? (vote.hold ?? undefined) : undefined });
    return { participant: name, txnId, ...lost.answer };
  }

  async function commit(txnId: string, raw: readonly unknown[] | undefined): Promise<PhaseTwoAnswer> {
    const digest = raw ? validated(raw, 'operations').digest : undefined;
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const record = await readRecord(txnId);
      const step = onBarrierCommit(facts(record), digest);
      switch (step.kind) {
        case 'repeat':
          return { participant: name, txnId, outcome: 'COMMITTED', repeated: true };
        case 'violation':
          return violation(step.code, txnId);
        case 'apply': {
          if (!record) continue;
          const ops = storedOperations(txnId, record);
          await definition.commit({ ...call(txnId, ops), hold: record.hold as Hold | undefined });
          if (await write(new UpdateCommand(decidedFromPrepared(tableName, txnId, ops.digest, 'COMMITTED', now())))) {
            return { participant: name, txnId, outcome: 'COMMITTED', repeated: false };
          }
          continue;
        }
        case 'readOnlyCommit':
        case 'nullAbort':
          return violation('COMMIT_WITHOUT_PREPARE', txnId);
      }
    }
    throw new TransientFailure(`commit of ${txnId} kept racing; retry`);
  }

  async function abort(txnId: string, raw: readonly unknown[] | undefined): Promise<PhaseTwoAnswer> {
    const given = raw ? validated(raw, 'operations') : undefined;
    const aborted = (repeated: boolean): PhaseTwoAnswer => ({ participant: name, txnId, outcome: 'ABORTED', repeated });
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const record = await readRecord(txnId);
      const step = onBarrierAbort(facts(record), given?.digest);
      switch (step.kind) {
        case 'repeat':
          return aborted(true);
        case 'violation':
          return violation(step.code, txnId);
        case 'nullAbort':
          // The tombstone makes a prepare that arrives after this abort vote VOTE_ABORT without calling the team (anti-hanging).
          if (await write(new PutCommand(abortedRecord(tableName, txnId, now(), given?.digest, undefined)))) return aborted(false);
          continue;
        case 'undoIntent': {
          if (!record) continue;
          const ops = storedOperations(txnId, record);
          // The team's prepare may have reached the external system before its delivery died: cancel, then record.
          await definition.abort({ ...call(txnId, ops), hold: undefined });
          if (await write(new UpdateCommand(abortedFromIntent(tableName, txnId, ops.digest, undefined, now())))) return aborted(false);
          continue;
        }
        case 'apply': {
          if (!record) continue;
          const ops = storedOperations(txnId, record);
          await definition.abort({ ...call(txnId, ops), hold: record.hold as Hold | undefined });
          if (await write(new UpdateCommand(decidedFromPrepared(tableName, txnId, ops.digest, 'ABORTED', now())))) return aborted(false);
          continue;
        }
        case 'readOnlyCommit':
          continue;
      }
    }
    throw new TransientFailure(`abort of ${txnId} kept racing; retry`);
  }

  async function status(txnId: string): Promise<StatusAnswer> {
    const record = await readRecord(txnId);
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

  return dispatchParticipantRequest({ operations: validated, prepare, commit, abort, status });
}
