/**
 * How Pakka's own participants deliver a no to the coordinator: a prepare answered VOTE_ABORT leaves
 * the function as the error `Pakka.VoteAbort.<REASON>` (the answer as JSON in its message), or, for a
 * team's own reason, `Pakka.VoteAbort.TEAM` (the reason alone as its message), which the
 * state machine catches in the participant's own iteration, so the first no ends the prepare phase
 * instead of waiting for the slowest participant. LOCK_CONFLICT stays an answer (see
 * RAISED_ABORT_REASONS). Applied once, outermost, where a participant is invoked: the handler, its
 * logs, metrics and traces still see an ordinary vote, and direct callers of the handler (recovery,
 * the API, the conformance kit) still get the answer object.
 */
import { type RaisedAbortReason, RAISED_ABORT_REASONS, voteAbortErrorName } from '../contract/participantProtocol.js';
import { type TeamAbortReason, isBuiltInAbortReason, isTeamAbortReason } from '../protocol/vote.js';
import type { ParticipantAnswer, PrepareAnswer } from './message.js';

type RaisedAnswer = PrepareAnswer & { vote: 'VOTE_ABORT'; reason: RaisedAbortReason | TeamAbortReason };

export class VoteAbortRaised extends Error {
  override readonly name: string;
  readonly answer: RaisedAnswer;
  constructor(answer: RaisedAnswer) {
    // A team's reason travels alone: the state machine reads it from the cause without parsing JSON (see TEAM_VOTE_ABORT_ERROR).
    super(isBuiltInAbortReason(answer.reason) ? JSON.stringify(answer) : answer.reason);
    this.name = voteAbortErrorName(answer.reason);
    this.answer = answer;
  }
}

/** Prepare, and the one-phase commit (its no is recorded like a prepare's). */
const isPrepare = (event: unknown) => {
  const action = typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
  return action === 'prepare' || action === 'commitOnePhase';
};

const isRaised = (answer: ParticipantAnswer): answer is RaisedAnswer =>
  'vote' in answer &&
  answer.vote === 'VOTE_ABORT' &&
  ((RAISED_ABORT_REASONS as readonly (string | null)[]).includes(answer.reason) || isTeamAbortReason(answer.reason));

/** Whether this answer to this event leaves the function as a raised no (the failure-rate alarm leaves those out). */
export const isRaisedNo = (event: unknown, answer: ParticipantAnswer): boolean => isPrepare(event) && isRaised(answer);

/** The same handler, except that a prepare's VOTE_ABORT (other than LOCK_CONFLICT) is thrown as VoteAbortRaised. */
export function raisingVoteAbort<E, C, A extends ParticipantAnswer>(handler: (event: E, context?: C) => Promise<A>): (event: E, context?: C) => Promise<A> {
  return async (event, context) => {
    const answer = await handler(event, context);
    if (isRaisedNo(event, answer)) throw new VoteAbortRaised(answer as RaisedAnswer);
    return answer;
  };
}
