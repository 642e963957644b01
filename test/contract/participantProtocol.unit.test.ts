/** The participant protocol's JSON Schema: generated from its one source, and saying what the zod schemas say. */
import { COORDINATOR_VARIANTS } from '../../lambdas/config/coordinatorVariant.js';
import { aslPath } from '../../statemachines/source/files.js';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CONTRACT_FILE, renderContract } from '../../contract/generate.js';
import {
  ERROR_NAMES,
  RAISED_ABORT_REASONS,
  VOTE_ABORT_ERRORS,
  answerOf,
  participantError,
  participantRequest,
  voteAbortErrorName,
} from '../../lambdas/contract/participantProtocol.js';
import { InvalidParticipantRequest } from '../../lambdas/participants/errors.js';
import { VoteAbortRaised } from '../../lambdas/participants/voteAbortRaised.js';
import { ABORT_REASONS } from '../../lambdas/protocol/vote.js';
import { CommittedInOnePhase, ProtocolViolation, TransientFailure } from '../../lambdas/protocol/participantState.js';
import type { z } from 'zod';

const committed = readFileSync(CONTRACT_FILE, 'utf8');
const document = JSON.parse(committed) as { $defs: Record<string, unknown> };
const ajv = new Ajv2020({ strict: true, allErrors: true, strictTuples: false });
ajv.addKeyword('x-pakka-contract-version').addKeyword('x-pakka-errors');
ajv.addSchema(document, 'contract');
const jsonSchema = (name: string) => {
  const validate = ajv.getSchema(`contract#/$defs/${name}`);
  if (!validate) throw new Error(`no ${name} in the contract`);
  return (value: unknown) => validate(value) === true;
};

/** Both readers of the contract (zod at the runtime's edge, JSON Schema for everyone else) must agree. */
function agree(name: string, schema: z.ZodType, value: unknown): boolean {
  const byJson = jsonSchema(name)(value);
  expect(schema.safeParse(value).success, `zod and JSON Schema disagree on ${JSON.stringify(value)}`).toBe(byJson);
  return byJson;
}

describe('participant protocol contract', () => {
  it('the committed JSON Schema is what the source generates (run npm run contract after a change)', () => {
    expect(committed).toBe(renderContract());
  });

  it('requests: every action, operations as objects, nothing else', () => {
    expect(agree('ParticipantRequest', participantRequest, { action: 'prepare', txnId: 't-1', operations: [{ op: 'debit', key: 'a', amount: 5 }] })).toBe(true);
    expect(agree('ParticipantRequest', participantRequest, { action: 'status', txnId: 't-1' })).toBe(true);
    expect(agree('ParticipantRequest', participantRequest, { action: 'abort', txnId: 't-1', timeoutSeconds: 3 })).toBe(true);
    expect(agree('ParticipantRequest', participantRequest, { action: 'explode', txnId: 't-1' })).toBe(false);
    expect(agree('ParticipantRequest', participantRequest, { action: 'prepare', txnId: 'bad id!' })).toBe(false);
    expect(agree('ParticipantRequest', participantRequest, { action: 'prepare', txnId: 't', surprise: 1 })).toBe(false);
    expect(agree('ParticipantRequest', participantRequest, { action: 'prepare', txnId: 't', operations: [5] })).toBe(false);
    expect(agree('ParticipantRequest', participantRequest, { action: 'prepare', txnId: 't', timeoutSeconds: 1.5 })).toBe(false);
  });

  it('a prepare answer carries a reason exactly when it votes VOTE_ABORT', () => {
    const base = { participant: 'bank', txnId: 't-1' };
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_COMMIT', reason: null })).toBe(true);
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'READ_ONLY', reason: null })).toBe(true);
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' })).toBe(true);
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_ABORT', reason: null })).toBe(false);
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_COMMIT', reason: 'LOCK_CONFLICT' })).toBe(false);
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'MAYBE', reason: null })).toBe(false);
    // 1.3: a team's own reason, upper-case like the built-in ones.
    expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_ABORT', reason: 'NO_SUCH_VOUCHER' })).toBe(true);
    for (const reason of ['bored', 'NO', 'NO SUCH VOUCHER', '9LIVES', 'A'.repeat(41), ''])
      expect(agree('PrepareAnswer', answerOf.prepare, { ...base, vote: 'VOTE_ABORT', reason })).toBe(false);
    expect(agree('PrepareAnswer', answerOf.prepare, { vote: 'VOTE_COMMIT', reason: null })).toBe(false);
  });

  it('answers may carry fields a later minor version adds', () => {
    expect(agree('PhaseTwoAnswer', answerOf.commit, { participant: 'bank', txnId: 't-1', outcome: 'COMMITTED', repeated: false, extra: 1 })).toBe(true);
    expect(agree('PhaseTwoAnswer', answerOf.abort, { participant: 'bank', txnId: 't-1', outcome: 'ABORTED' })).toBe(false);
    expect(
      agree('StatusAnswer', answerOf.status, { participant: 'card', txnId: 't-1', state: 'PREPARING', lockedKeys: [], voteReason: null, preparedAt: null }),
    ).toBe(true);
    expect(
      agree('StatusAnswer', answerOf.status, { participant: 'card', txnId: 't-1', state: 'LOST', lockedKeys: [], voteReason: null, preparedAt: null }),
    ).toBe(false);
  });

  it('errors are named, and only the three Pakka names and the raised noes are part of the contract', () => {
    expect(agree('ParticipantError', participantError, { errorType: 'Pakka.ProtocolViolation', errorMessage: 'COMMIT_AFTER_ABORT: refused' })).toBe(true);
    expect(agree('ParticipantError', participantError, { errorType: 'Pakka.Oops', errorMessage: 'x' })).toBe(false);
    expect(agree('ParticipantError', participantError, { errorType: 'Pakka.VoteAbort.INSUFFICIENT_FUNDS', errorMessage: '{}' })).toBe(true);
    // A lock conflict is answered, never raised; a coordinator's reason or an unknown one is no raised no.
    expect(agree('ParticipantError', participantError, { errorType: 'Pakka.VoteAbort.TEAM', errorMessage: 'NO_SUCH_VOUCHER' })).toBe(true);
    for (const reason of ['LOCK_CONFLICT', 'TIMEOUT', 'ERROR', 'INVALID_ANSWER', 'NOT_A_REASON']) {
      expect(agree('ParticipantError', participantError, { errorType: `Pakka.VoteAbort.${reason}`, errorMessage: '{}' })).toBe(false);
    }
    expect(document.$defs.ProtocolViolationCode).toEqual({
      type: 'string',
      enum: ['COMMIT_AFTER_ABORT', 'ABORT_AFTER_COMMIT', 'COMMIT_WITHOUT_PREPARE', 'OPERATIONS_MISMATCH'],
    });
  });

  it('raised noes: every reason of a participant but LOCK_CONFLICT, and the reason is the third part of the name', () => {
    expect(RAISED_ABORT_REASONS).toEqual(ABORT_REASONS.filter((r) => !['LOCK_CONFLICT', 'TIMEOUT', 'ERROR', 'INVALID_ANSWER'].includes(r)));
    for (const reason of RAISED_ABORT_REASONS) {
      const name = voteAbortErrorName(reason);
      expect(name.split('.')).toEqual(['Pakka', 'VoteAbort', reason]);
    }
    // A team's reasons, unknown to the state machine, share one name.
    expect(voteAbortErrorName('NO_SUCH_VOUCHER')).toBe('Pakka.VoteAbort.TEAM');
    expect(VOTE_ABORT_ERRORS).toEqual([...RAISED_ABORT_REASONS.map(voteAbortErrorName), 'Pakka.VoteAbort.TEAM']);
  });

  it('the error names are the ones the runtime raises and the only Pakka names the state machine catches from a participant', () => {
    const answer = { participant: 'p', txnId: 't', vote: 'VOTE_ABORT', reason: 'OUT_OF_STOCK' } as const;
    const raised = [
      new ProtocolViolation('COMMIT_AFTER_ABORT', 't', 'p').name,
      new TransientFailure('x').name,
      new InvalidParticipantRequest('x').name,
      new CommittedInOnePhase('t', 'p').name,
    ];
    expect([...raised].sort()).toEqual([...ERROR_NAMES].sort());
    expect(new VoteAbortRaised(answer).name).toBe('Pakka.VoteAbort.OUT_OF_STOCK');
    expect(JSON.parse(new VoteAbortRaised(answer).message)).toEqual(answer);
    const team = new VoteAbortRaised({ ...answer, reason: 'NO_SUCH_VOUCHER' });
    expect([team.name, team.message]).toEqual(['Pakka.VoteAbort.TEAM', 'NO_SUCH_VOUCHER']);
    const caught = new Set<string>();
    // Only the tasks that invoke participants: the coordinator's own Fail states have names of their own.
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const state = node as { Resource?: unknown; Retry?: Array<{ ErrorEquals: string[] }>; Catch?: Array<{ ErrorEquals: string[] }> };
      if (state.Resource === 'arn:aws:states:::lambda:invoke') {
        for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])])
          for (const name of rule.ErrorEquals) if (name.startsWith('Pakka.')) caught.add(name);
      }
      Object.values(node).forEach(walk);
    };
    for (const variant of COORDINATOR_VARIANTS) walk(JSON.parse(readFileSync(aslPath(variant), 'utf8')));
    expect(caught.size).toBeGreaterThan(0);
    for (const name of caught) expect([...ERROR_NAMES, ...VOTE_ABORT_ERRORS]).toContain(name);
    // Every raised no is caught by its own name: none of them would reach the coordinator as a plain failure.
    for (const name of VOTE_ABORT_ERRORS) expect(caught).toContain(name);
  });
});
