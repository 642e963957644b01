/**
 * The one view of a transaction whose decision is not logged (PREPARING), shared by GET
 * /transactions/{id}, the 202 of `?wait=true` and the listings, so that every view of it agrees.
 * Nothing is logged before the decision: what is known comes from the running execution (its input
 * and start) or from the participants' records (who holds it, since when).
 */
import type { TransactionView } from '../coordinatorLog/coordinatorLog.js';
import { LIMITS } from '../request/transactionRequest.js';

export interface UndecidedFacts {
  txnId: string;
  /** The request's participants when known, otherwise those holding a record of it. */
  participants: readonly string[];
  /** When the execution started, or else when its oldest record was prepared. */
  createdAt: string;
  /**
   * The request's own deadline, when its input is known. Without it the deadline is the latest any
   * request may have (LIMITS.maxTimeoutSeconds): the instant recovery counts from for a transaction
   * it knows only by its records (recoveryConfig.ts, preparedRecordAgeSeconds).
   */
  timeoutSeconds?: number;
}

export function undecidedView(facts: UndecidedFacts): TransactionView {
  const timeoutSeconds = facts.timeoutSeconds ?? LIMITS.maxTimeoutSeconds;
  return {
    txnId: facts.txnId,
    status: 'PREPARING',
    decision: null,
    reason: null,
    participants: facts.participants.map((name) => ({ name, vote: null, reason: null, phaseTwo: null })),
    heuristicHazard: false,
    decidedBy: null,
    createdAt: facts.createdAt,
    decidedAt: null,
    finishedAt: null,
    deadline: new Date(Date.parse(facts.createdAt) + timeoutSeconds * 1000).toISOString(),
    timings: { prepareMs: null, decideMs: null, totalMs: null },
  };
}

/** When the oldest of these records was prepared: the earliest instant known of a transaction with no log item. */
export const earliestPrepared = (records: Iterable<{ preparedAt?: string }>): string | undefined =>
  [...records]
    .map((r) => r.preparedAt)
    .filter((at): at is string => at !== undefined)
    .sort()[0];
