/**
 * What one inspected transaction proves about the path it took: the facts the state graph's
 * inference weighs (see stateGraph.ts). Built from the protocol's own words (statuses, votes,
 * outcomes, participant actions), never from state names. Pure.
 */
import type { Inspection, TxnStatus } from './apiTypes.js';
import { PHASE_MARKERS } from '../../statemachines/source/phaseMarkers.js';
import type { IterationFacts, TransactionFacts } from './stateGraph.js';

/** The statuses a transaction has held to reach `status`: the protocol only moves forward. */
export function statusesThrough(status: TxnStatus): TxnStatus[] {
  switch (status) {
    case 'PREPARING':
      return ['PREPARING'];
    case 'COMMITTING':
      return ['PREPARING', 'COMMITTING'];
    case 'ABORTING':
      return ['PREPARING', 'ABORTING'];
    case 'COMMITTED':
      return ['PREPARING', 'COMMITTING', 'COMMITTED'];
    case 'ABORTED':
      return ['PREPARING', 'ABORTING', 'ABORTED'];
  }
}

/**
 * The vote the log holds, or else what the participant's own record proves: a PREPARED (or
 * COMMITTED) record means it voted yes, even when the coordinator stopped before logging the votes.
 */
export function effectiveVote(logged: string | null, record: Record<string, unknown> | null): string | null {
  if (logged) return logged;
  return record?.state === 'PREPARED' || record?.state === 'COMMITTED' ? 'VOTE_COMMIT' : null;
}

/** The phase-two Map the generator marks for each decision. */
const PHASE_TWO_ACTION = { COMMIT: PHASE_MARKERS.commit, ABORT: PHASE_MARKERS.abort } as const;

export function transactionFacts(inspection: Inspection): { facts: TransactionFacts; iterations: IterationFacts[] } {
  const { transaction, log } = inspection;
  const final = transaction.status === 'COMMITTED' || transaction.status === 'ABORTED';
  const literals = new Set<string>();
  const add = (v: unknown) => typeof v === 'string' && v !== '' && literals.add(v);
  add(transaction.decision);
  add(transaction.status);
  add(transaction.reason);
  add(log?.abortReason);
  add(log?.abortedBy);
  add(log?.abortRule);
  // The transaction is known (a participant's record, a running execution or the decision): prepare was sent.
  add(PHASE_MARKERS.prepare);
  const action = transaction.decision ? PHASE_TWO_ACTION[transaction.decision] : undefined;
  // Every participant only read: the commit is final at its decision, with nothing to deliver, and never COMMITTING.
  const readOnly = transaction.decision === 'COMMIT' && transaction.participants.length > 0 && transaction.participants.every((p) => p.vote === 'READ_ONLY');
  const phaseTwoRan = final || log?.phase2StartedAt !== undefined || transaction.participants.some((p) => p.phaseTwo !== null);
  if (action && phaseTwoRan && !readOnly) add(action);
  const iterations = inspection.participants.map((p): IterationFacts => {
    const vote = effectiveVote(p.vote, p.record);
    const own = new Set<string>();
    for (const v of [vote, p.reason, p.phaseTwo]) if (v) own.add(v);
    const answered = new Set<string>();
    if (vote !== null) answered.add(PHASE_MARKERS.prepare);
    if (action && p.phaseTwo !== null) answered.add(action);
    return { name: p.name, literals: own, answered };
  });
  const statuses: TxnStatus[] = readOnly ? ['PREPARING', 'COMMITTED'] : statusesThrough(transaction.status);
  return { facts: { log, statuses, literals, final }, iterations };
}
