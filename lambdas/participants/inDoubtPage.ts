/**
 * The answer to `inDoubt` (contract 1.3) from a participant's whole list of prepared transactions: the
 * oldest first within the request's window, at most `limit`, and whether anything beyond was left out.
 * Pure, so every runtime that keeps its prepared state in its own store pages alike.
 */
import type { InDoubtAnswer, InDoubtRequest } from '../contract/participantProtocol.js';

export interface HeldPrepared {
  txnId: string;
  /** When it was prepared; undefined when the store does not say (XA RECOVER), read as the epoch: old, so recovery looks at it at once. */
  preparedAt: Date | undefined;
}

const EPOCH = new Date(0).toISOString();

export function inDoubtPage(participant: string, held: readonly HeldPrepared[], request: InDoubtRequest): InDoubtAnswer {
  const inWindow = held
    .map((h) => ({ txnId: h.txnId, inDoubtSince: h.preparedAt?.toISOString() ?? EPOCH }))
    .filter((h) => (request.from === undefined || h.inDoubtSince >= request.from) && (request.before === undefined || h.inDoubtSince <= request.before))
    .sort((a, b) => a.inDoubtSince.localeCompare(b.inDoubtSince) || a.txnId.localeCompare(b.txnId));
  return { participant, inDoubt: inWindow.slice(0, request.limit), exhausted: inWindow.length <= request.limit };
}
