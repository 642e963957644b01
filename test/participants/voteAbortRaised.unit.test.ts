/** The invocation edge of Pakka's own participants: a prepare's no leaves the function raised as an error named after its reason. */
import { describe, expect, it } from 'vitest';
import { RAISED_ABORT_REASONS } from '../../lambdas/contract/participantProtocol.js';
import type { ParticipantAnswer } from '../../lambdas/participants/message.js';
import { VoteAbortRaised, raisingVoteAbort } from '../../lambdas/participants/voteAbortRaised.js';

const base = { participant: 'payer-bank', txnId: 't-1' };
/** A handler that gives `answer` to whatever it is asked, and remembers what it was asked. */
const answering = (answer: ParticipantAnswer) => {
  const asked: unknown[] = [];
  const handler = raisingVoteAbort(async (event: unknown, context?: { requestId: string }) => {
    asked.push([event, context]);
    return answer;
  });
  return { handler, asked };
};

describe('raising a no at the invocation edge', () => {
  it.each(RAISED_ABORT_REASONS)('a prepare answered VOTE_ABORT/%s is thrown as Pakka.VoteAbort.%s, the answer as JSON in the message', async (reason) => {
    const answer = { ...base, vote: 'VOTE_ABORT', reason } as const;
    const { handler, asked } = answering(answer);
    const raised = await handler({ action: 'prepare', txnId: 't-1' }, { requestId: 'r' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(raised).toBeInstanceOf(VoteAbortRaised);
    expect(raised).toMatchObject({ name: `Pakka.VoteAbort.${reason}`, answer });
    expect(JSON.parse((raised as Error).message)).toEqual(answer);
    // The handler was called as it was, context included.
    expect(asked).toEqual([[{ action: 'prepare', txnId: 't-1' }, { requestId: 'r' }]]);
  });

  it.each<[string, ParticipantAnswer]>([
    ['a lock conflict (the coordinator needs every answer to retry it)', { ...base, vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' }],
    ['VOTE_COMMIT', { ...base, vote: 'VOTE_COMMIT', reason: null }],
    ['READ_ONLY', { ...base, vote: 'READ_ONLY', reason: null }],
    ['a VOTE_ABORT with a reason only the coordinator gives (judged as an answer outside the contract)', { ...base, vote: 'VOTE_ABORT', reason: 'TIMEOUT' }],
  ])('a prepare answered %s is returned as it is', async (_what, answer) => {
    expect(await answering(answer).handler({ action: 'prepare', txnId: 't-1' })).toEqual(answer);
  });

  it.each<[string, ParticipantAnswer]>([
    ['commit', { ...base, outcome: 'COMMITTED', repeated: false }],
    ['abort', { ...base, outcome: 'ABORTED', repeated: true }],
    ['status', { ...base, state: 'ABORTED', lockedKeys: [], voteReason: 'INSUFFICIENT_FUNDS', preparedAt: null }],
  ])('a %s answer is returned as it is', async (action, answer) => {
    expect(await answering(answer).handler({ action, txnId: 't-1' })).toEqual(answer);
  });

  it('only a prepare is converted: a VOTE_ABORT-shaped answer to another action is returned', async () => {
    const answer = { ...base, vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' } as const;
    expect(await answering(answer).handler({ action: 'status', txnId: 't-1' })).toEqual(answer);
    expect(await answering(answer).handler('not an event')).toEqual(answer);
  });

  it("the handler's own errors pass through unchanged", async () => {
    const failure = Object.assign(new Error('throttled'), { name: 'Pakka.Transient' });
    const handler = raisingVoteAbort(async (_event: unknown): Promise<ParticipantAnswer> => {
      throw failure;
    });
    await expect(handler({ action: 'prepare', txnId: 't-1' })).rejects.toBe(failure);
  });
});
