/**
 * The barrier participant: answers the participant protocol for a team's own prepare, commit and abort,
 * keeping the barrier in the participant's prepared-state table. The record decides whether the team's
 * code runs (rules in ../../protocol/barrierState.ts); this file is the DynamoDB edge.
 *
 * Every call of the team's code happens before the record write that says it is done, so a crash in
 * between leaves the record where a retry or an abort calls the team's (idempotent) code again.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ParticipantAnswer } from '../../contract/participantProtocol.js';
import type { TeamVote } from '../../protocol/barrierState.js';
import type { ParticipantEffect, ParticipantMessage } from '../../protocol/participantStep.js';
import { participantAbortReasonProblem } from '../../protocol/vote.js';
import { conflictRetryingClient } from '../conflictRetry.js';
import { dispatchParticipantRequest } from '../dispatch.js';
import { type ValidatedOperations, validatedOperations } from '../operations.js';
import { type EffectReport, participantDriver } from '../participantDriver.js';
import { abortedRecord } from '../transactions.js';
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

const teamVote = (answer: TeamPrepareAnswer): TeamVote =>
  answer.vote === 'VOTE_ABORT' ? { vote: 'VOTE_ABORT', reason: answer.reason } : { vote: answer.vote };

export function barrierParticipant<Op extends { op: string; key: string }>(options: BarrierParticipantOptions<Op>): BarrierHandler {
  const { name, definition, tableName } = options;
  const client = conflictRetryingClient(options.client);
  const now = options.now ?? (() => new Date().toISOString());
  const driver = participantDriver({ name, holder: 'team', tableName, client, parse: barrierRecord });
  const validated = (raw: readonly unknown[], field: string) => validatedOperations(definition.operation, raw, field);

  function storedOperations(txnId: string, record: BarrierRecord | undefined): ValidatedOperations<Op> {
    if (!record?.operations) throw new Error(`record of ${txnId} is ${record?.state ?? 'absent'} but holds no operations`);
    return validated(record.operations, 'stored operations');
  }

  /**
   * The team's code and the barrier's writes, as the step orders them. Every call of the team's code comes
   * before the record write that says it is done. `given` are the message's operations; the team's vote of
   * this delivery (and so its hold) is kept for the writes and undo that follow it.
   */
  function performer(txnId: string, given: ValidatedOperations<Op> | undefined) {
    let voted: TeamPrepareAnswer | undefined;
    const call = (ops: ValidatedOperations<Op>) => ({ txnId, participant: name, operations: ops.operations });
    const done = (written: boolean): EffectReport<BarrierRecord> => (written ? { kind: 'done' } : { kind: 'moved' });
    const votedHold = (): Hold | undefined => (voted?.vote === 'VOTE_COMMIT' ? (voted.hold ?? undefined) : undefined);
    return async (effect: ParticipantEffect, record: BarrierRecord | undefined, message: ParticipantMessage): Promise<EffectReport<BarrierRecord>> => {
      const ops = () => given ?? storedOperations(txnId, record);
      if ('call' in effect) {
        switch (effect.call) {
          case 'prepare': {
            const answer = await definition.prepare(call(ops()));
            if (answer.vote === 'VOTE_ABORT') {
              // A team's own reason is welcome (contract 1.3); one the coordinator would refuse is caught here, where the team reads it.
              const problem = participantAbortReasonProblem(answer.reason);
              if (problem) throw new Error(`participant ${name}: prepare voted VOTE_ABORT with an invalid reason: ${problem}`);
            }
            voted = answer;
            return { kind: 'report', message: { action: 'teamVoted', digest: ops().digest, vote: teamVote(answer) }, from: 'next' };
          }
          case 'commit':
            await definition.commit({ ...call(storedOperations(txnId, record)), hold: record?.hold as Hold | undefined });
            return { kind: 'done' };
          case 'abort': {
            const hold = effect.hold === 'stored' ? (record?.hold as Hold | undefined) : effect.hold === 'voted' ? votedHold() : undefined;
            await definition.abort({ ...call(effect.hold === 'stored' ? storedOperations(txnId, record) : ops()), hold });
            return { kind: 'done' };
          }
        }
      }
      const digest = message.action === 'teamVoted' || message.action === 'prepare' ? message.digest : (given?.digest ?? record?.digest);
      switch (effect.write) {
        case 'intent':
          return done(await driver.write(new PutCommand(intentRecord(tableName, txnId, ops(), now()))));
        case 'preparedFromIntent':
          return done(await driver.write(new UpdateCommand(preparedFromIntent(tableName, txnId, ops().digest, votedHold(), now()))));
        case 'abortedFromIntent':
          return done(await driver.write(new UpdateCommand(abortedFromIntent(tableName, txnId, ops().digest, effect.reason, now()))));
        case 'dropIntent':
          return done(await driver.write(new DeleteCommand(dropIntent(tableName, txnId, ops().digest))));
        case 'decide':
          return done(
            await driver.write(new UpdateCommand(decidedFromPrepared(tableName, txnId, storedOperations(txnId, record).digest, effect.outcome, now()))),
          );
        case 'aborted':
          return done(await driver.write(new PutCommand(abortedRecord(tableName, txnId, now(), digest, effect.reason, effect.onePhase))));
        case 'prepare':
        case 'check':
        case 'releaseProvisional':
        case 'onePhaseRecord':
        case 'resolveClaim':
          throw new Error(`participant ${name}: ${effect.write} writes items Pakka holds; a barrier's holds are the team's`);
      }
    };
  }

  return dispatchParticipantRequest({
    operations: validated,
    // Fast path: no record yet is the common case, and the intent's condition keeps out any tombstone.
    prepare: (txnId, ops) =>
      driver.drive({
        txnId,
        message: { action: 'prepare', digest: ops.digest, onePhase: false, readOnly: false },
        start: { assume: undefined },
        perform: performer(txnId, ops),
      }),
    // The team's commit and abort need the stored hold, so phase two always reads the record first.
    commit: (txnId, raw) => {
      const given = raw ? validated(raw, 'operations') : undefined;
      return driver.drive({ txnId, message: { action: 'commit', digest: given?.digest, readOnly: false }, start: 'read', perform: performer(txnId, given) });
    },
    abort: (txnId, raw) => {
      const given = raw ? validated(raw, 'operations') : undefined;
      return driver.drive({ txnId, message: { action: 'abort', digest: given?.digest }, start: 'read', perform: performer(txnId, given) });
    },
    status: driver.status,
  });
}
