/**
 * Recovery's view of a participant that keeps its prepared state in its own store (a SQL participant:
 * the database's prepared transactions). Recovery cannot read that store (on AWS it runs outside the
 * team's VPC), so it asks the participant (`inDoubt`, contract 1.3) through the same port it delivers
 * decisions through, and reads the answer as one more in-doubt source beside the DynamoDB participants'
 * indexes: the one sweep resolves them by the coordinator log's decision, and the one age alarm
 * watches the oldest, locally and on AWS alike.
 */
import { type InDoubtAnswer, type InDoubtRequest, type StatusAnswer, inDoubtAnswer } from '../contract/participantProtocol.js';
import type { InDoubtPort, PreparedRecordRef } from './ports.js';

/** Sends `inDoubt` to a participant and returns its raw answer (a Lambda invocation on AWS, the handler locally). */
export type AskInDoubt = (participant: string, request: InDoubtRequest) => Promise<unknown>;

/**
 * The read-only questions the API puts to a participant that keeps its prepared state in its own
 * store: locally straight to its handler, on AWS relayed by the recovery function (recoveryService.ts).
 */
export interface ParticipantQuestions {
  status(participant: string, txnId: string): Promise<StatusAnswer>;
  inDoubt: AskInDoubt;
}

/** The contract's bound on one answer: a Lambda response stays far below its 6 MB at 1,000 entries. */
const MOST_PER_ANSWER = 1000;

export function participantInDoubt(ask: AskInDoubt, participant: string): InDoubtPort {
  async function page(request: Omit<InDoubtRequest, 'action' | 'limit'>, limit: number): Promise<InDoubtAnswer> {
    // The answer comes from another function: checked like any input from outside.
    const answer = inDoubtAnswer.parse(await ask(participant, { action: 'inDoubt', ...request, limit: Math.min(Math.max(1, limit), MOST_PER_ANSWER) }));
    if (answer.participant !== participant) throw new Error(`participant ${participant} answered inDoubt as ${answer.participant}`);
    return answer;
  }
  const refs = (answer: InDoubtAnswer): PreparedRecordRef[] =>
    answer.inDoubt.map((held) => ({ participant, txnId: held.txnId, inDoubtSince: held.inDoubtSince }));
  return {
    participants: [participant],
    async preparedBefore(before, limit) {
      // One question from the oldest on: the first answer is the oldest however young (the age alarm's
      // figure), and, oldest first, every one prepared no later than `before` comes before any younger one.
      const held = refs(await page({}, limit)).sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince));
      const old = held.filter((ref) => ref.inDoubtSince <= before);
      return held[0] ? { refs: old, oldestSince: held[0].inDoubtSince } : { refs: old };
    },
    async heldFrom(from, limit) {
      const answer = await page(from === undefined ? {} : { from }, limit);
      return { refs: refs(answer), exhausted: answer.exhausted };
    },
  };
}
