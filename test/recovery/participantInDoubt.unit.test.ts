/**
 * A participant that keeps its prepared state in its own store is asked what it holds (`inDoubt`,
 * contract 1.3): the page it answers is cut by one pure rule, recovery checks the answer as input from
 * outside, and only such a participant answers the question at all.
 */
import { describe, expect, it } from 'vitest';
import { type InDoubtRequest, inDoubtAnswer } from '../../lambdas/contract/participantProtocol.js';
import { dispatchParticipantRequest } from '../../lambdas/participants/dispatch.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { inDoubtPage } from '../../lambdas/participants/inDoubtPage.js';
import { recoveryRequest } from '../../lambdas/recovery/awsEntry.js';
import { participantInDoubt } from '../../lambdas/recovery/participantInDoubt.js';

const held = [
  { txnId: 'c', preparedAt: new Date('2026-01-03T00:00:00Z') },
  { txnId: 'xa', preparedAt: undefined },
  { txnId: 'a', preparedAt: new Date('2026-01-01T00:00:00Z') },
  { txnId: 'b', preparedAt: new Date('2026-01-02T00:00:00Z') },
];

describe('inDoubtPage', () => {
  it('answers the oldest first, an unknown time as the epoch, and says whether anything was left out', () => {
    const page = inDoubtPage('sql-bank', held, { action: 'inDoubt', limit: 3 });
    expect(page).toEqual({
      participant: 'sql-bank',
      inDoubt: [
        { txnId: 'xa', inDoubtSince: '1970-01-01T00:00:00.000Z' },
        { txnId: 'a', inDoubtSince: '2026-01-01T00:00:00.000Z' },
        { txnId: 'b', inDoubtSince: '2026-01-02T00:00:00.000Z' },
      ],
      exhausted: false,
    });
    expect(inDoubtAnswer.parse(page)).toEqual(page);
    expect(inDoubtPage('sql-bank', held, { action: 'inDoubt', limit: 4 }).exhausted).toBe(true);
  });

  it('keeps to the window: from is inclusive, before is inclusive', () => {
    const window = inDoubtPage('sql-bank', held, { action: 'inDoubt', from: '2026-01-02T00:00:00.000Z', before: '2026-01-03T00:00:00.000Z', limit: 10 });
    expect(window.inDoubt.map((h) => h.txnId)).toEqual(['b', 'c']);
    expect(window.exhausted).toBe(true);
  });
});

describe('participantInDoubt (recovery asking)', () => {
  const asked: InDoubtRequest[] = [];
  const port = (answer: (request: InDoubtRequest) => unknown) =>
    participantInDoubt(async (_participant, request) => {
      asked.push(request);
      return answer(request);
    }, 'sql-bank');

  it('asks with the window and a limit the contract allows, and reads the refs', async () => {
    asked.length = 0;
    const p = port((request) => inDoubtPage('sql-bank', held, request));
    const read = await p.preparedBefore('2026-01-02T00:00:00.000Z', 5000);
    expect(read.refs.map((r) => [r.participant, r.txnId])).toEqual([
      ['sql-bank', 'xa'],
      ['sql-bank', 'a'],
      ['sql-bank', 'b'],
    ]);
    // The age alarm's figure from the same answer: one question a sweep, not two.
    expect(read.oldestSince).toBe('1970-01-01T00:00:00.000Z');
    expect(await p.heldFrom('2026-01-03T00:00:00.000Z', 10)).toEqual({
      refs: [{ participant: 'sql-bank', txnId: 'c', inDoubtSince: '2026-01-03T00:00:00.000Z' }],
      exhausted: true,
    });
    expect(asked.map((r) => r.limit)).toEqual([1000, 10]);
    expect(p.participants).toEqual(['sql-bank']);
  });

  it('refuses an answer that breaks the contract or comes from another participant', async () => {
    await expect(
      port(() => ({ participant: 'sql-bank', inDoubt: [{ txnId: 'a' }], exhausted: true })).preparedBefore('2026-12-31T00:00:00Z', 1),
    ).rejects.toThrow(/inDoubtSince/);
    await expect(port(() => ({ participant: 'other', inDoubt: [], exhausted: true })).heldFrom(undefined, 1)).rejects.toThrow(/answered inDoubt as other/);
  });
});

describe('who answers inDoubt', () => {
  const actions = {
    operations: () => [],
    prepare: () => Promise.reject(new Error('not here')),
    commit: () => Promise.reject(new Error('not here')),
    abort: () => Promise.reject(new Error('not here')),
    status: () => Promise.reject(new Error('not here')),
  };

  it('a runtime without its own store refuses it as an invalid request; one with it gets the checked request', async () => {
    await expect(dispatchParticipantRequest(actions)({ action: 'inDoubt', limit: 5 })).rejects.toMatchObject({ name: PAKKA_ERROR.invalidRequest });
    const answering = dispatchParticipantRequest({ ...actions, inDoubt: async (request) => inDoubtPage('sql-bank', held, request) });
    expect(await answering({ action: 'inDoubt', limit: 1 })).toMatchObject({ inDoubt: [{ txnId: 'xa' }] });
    await expect(answering({ action: 'inDoubt', limit: 0 })).rejects.toMatchObject({ name: PAKKA_ERROR.invalidRequest, message: /limit/ });
    await expect(answering({ action: 'inDoubt', limit: 1, txnId: 'x' })).rejects.toMatchObject({ name: PAKKA_ERROR.invalidRequest });
  });
});

describe("recovery's relay of the API's questions", () => {
  it('takes only status and inDoubt', () => {
    expect(recoveryRequest({ action: 'ask', participant: 'sql-bank', message: { action: 'status', txnId: 't1' } })).toMatchObject({ action: 'ask' });
    expect(recoveryRequest({ action: 'ask', participant: 'sql-bank', message: { action: 'inDoubt', limit: 10 } })).toMatchObject({ action: 'ask' });
    expect(() => recoveryRequest({ action: 'ask', participant: 'sql-bank', message: { action: 'commit', txnId: 't1' } })).toThrow();
    expect(() => recoveryRequest({ action: 'ask', participant: 'sql-bank', message: { action: 'abort', txnId: 't1' } })).toThrow();
  });
});
