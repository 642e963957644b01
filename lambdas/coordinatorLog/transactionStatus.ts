/**
 * What a transaction's status is, derived (docs/design.md, "Records and the commit point", lets the project choose which statuses are
 * stored). The coordinator writes the log item once, at the decision, and nothing after it when
 * every participant acknowledges: whether phase 2 is done is read from the participants' own
 * records, which the deliveries change. Pure: the records come in as plain data.
 *
 * - no log item: PREPARING while any participant holds a record for the txnId (or the runner says
 *   the execution still runs), otherwise no transaction at all;
 * - a decision the log itself records as final (COMMITTED/ABORTED, written by recovery, an operator
 *   or an all-READ_ONLY commit): final;
 * - otherwise final once every participant that must hear the decision holds the final record it
 *   leads to, and for a hold in its item the item no longer holds it (a refused delivery, recorded as a
 *   hazard, counts as heard), else COMMITTING/ABORTING.
 */
import type { RecordState } from '../protocol/participantState.js';
import type { AbortReason } from '../protocol/vote.js';
import { phaseTwoTargets } from '../protocol/decision.js';
import type { CoordinatorLogItem, PhaseTwoOutcome, TxnStatus } from './coordinatorLog.js';
import { isFinal, parseCoordinatorLogItem } from './coordinatorLog.js';
import type { StoredLogAttributes } from './logAttributes.js';

/** One participant's record of the transaction, as its table holds it; absent when it holds none. */
export interface ParticipantRecordFacts {
  state: RecordState;
  committedAt?: string;
  abortedAt?: string;
  /**
   * A hold that lives in its item whose record is decided while the item still holds the `P` entry: commit and
   * abort write the record first, so a crash between the two leaves phase 2 unfinished there (docs/design.md,
   * "Holds that live in the item"). Its delivery is still pending, whatever the record says.
   */
  itemBehind?: boolean;
}

export type RecordsByParticipant = ReadonlyMap<string, ParticipantRecordFacts | undefined>;

/** A record as a one-phase commit leaves it: final, and itself the transaction's decision. */
export interface OnePhaseRecordFacts extends ParticipantRecordFacts {
  onePhase?: boolean;
  preparedAt?: string;
  voteReason?: AbortReason;
  operations?: unknown[];
}

/**
 * A transaction with no log item whose only record was written by a one-phase commit (or its no):
 * the coordinator died before it logged the receipt, but the participant's write decided, so the
 * outcome is learnt from that record (docs/design.md, coordinator step 2: never presumed). Undefined when that is
 * not so. With the txnId's claim (the log item without a decision), the request is the claim's.
 */
export function onePhaseItem(txnId: string, records: ReadonlyMap<string, OnePhaseRecordFacts>, claimed?: CoordinatorLogItem): CoordinatorLogItem | undefined {
  const entries = [...records];
  const [first] = entries;
  if (entries.length !== 1 || !first) return undefined;
  const [name, record] = first;
  if (!record.onePhase || record.state === 'PREPARED') return undefined;
  const committed = record.state === 'COMMITTED';
  const decidedAt = committed ? record.committedAt : record.abortedAt;
  if (claimed && (claimed.participantsJson.length !== 1 || claimed.participantsJson[0]?.name !== name)) return undefined;
  const operations = (record.operations ?? []).filter((op): op is Record<string, unknown> => typeof op === 'object' && op !== null);
  // Written as the log item would store it and read back through the one reader, so the stand-in holds only declared attributes.
  const stored: StoredLogAttributes = {
    ...(claimed
      ? {
          txnId: claimed.txnId,
          createdAt: claimed.createdAt,
          timeoutSeconds: claimed.timeoutSeconds,
          participantsJson: JSON.stringify(claimed.participantsJson),
        }
      : {
          txnId,
          createdAt: record.preparedAt ?? decidedAt ?? new Date(0).toISOString(),
          // The request's own deadline went with the lost receipt.
          timeoutSeconds: 0,
          participantsJson: JSON.stringify([{ name, operations }]),
        }),
    status: committed ? 'COMMITTED' : 'ABORTED',
    decision: committed ? 'COMMIT' : 'ABORT',
    decidedBy: `participant:${name}`,
    votesJson: JSON.stringify([{ name, vote: committed ? 'VOTE_COMMIT' : 'VOTE_ABORT' }]),
    ...(committed ? {} : { abortReason: record.voteReason ?? 'ABORTED_BEFORE_PREPARE', abortedBy: name }),
    phase2Json: JSON.stringify([committed ? 'ACKED' : 'SKIPPED']),
    ...(decidedAt ? { decidedAt, finishedAt: decidedAt } : {}),
  };
  // The claim keeps the request (its participants, digest and deadline): only the decision is learnt.
  return { ...claimed, ...parseCoordinatorLogItem(stored) };
}

/** The status of a transaction that has no log item yet: undefined means there is no such transaction. */
export function undecidedStatus(records: RecordsByParticipant, executionRuns: boolean): TxnStatus | undefined {
  return executionRuns || [...records.values()].some((r) => r !== undefined) ? 'PREPARING' : undefined;
}

/** Who recorded a protocol violation in the log (`participant:CODE`). */
const violators = (item: CoordinatorLogItem): Set<string> => new Set((item.violations ?? []).map((v) => v.slice(0, v.lastIndexOf(':'))));

/**
 * The log item with its status, phase-2 outcomes and finishedAt as the participants' records show
 * them. An item the log already records as final, or one without a decision, is returned as it is.
 */
export function withDerivedStatus(item: CoordinatorLogItem, records: RecordsByParticipant): CoordinatorLogItem {
  const decision = item.decision;
  if (!decision || isFinal(item)) return item;
  const votes = new Map((item.votesJson ?? []).map((v) => [v.name, v.vote]));
  const targets = new Set(
    phaseTwoTargets(
      decision,
      item.participantsJson.map((p) => ({ name: p.name, vote: votes.get(p.name) ?? null })),
    ).map((p) => p.name),
  );
  const reached: RecordState = decision === 'COMMIT' ? 'COMMITTED' : 'ABORTED';
  const hazards = violators(item);
  const finishedAt: string[] = [];
  const outcomes = item.participantsJson.map((p, i): PhaseTwoOutcome => {
    const before = item.phase2Json?.[i];
    if (before === 'HEURISTIC_HAZARD' || hazards.has(p.name)) return 'HEURISTIC_HAZARD';
    if (!targets.has(p.name)) return 'SKIPPED';
    const record = records.get(p.name);
    if (record?.state !== reached || record.itemBehind) return 'PENDING';
    const at = decision === 'COMMIT' ? record.committedAt : record.abortedAt;
    if (at) finishedAt.push(at);
    return 'ACKED';
  });
  if (outcomes.includes('PENDING')) return { ...item, status: decision === 'COMMIT' ? 'COMMITTING' : 'ABORTING', phase2Json: outcomes };
  const status: TxnStatus = decision === 'COMMIT' ? 'COMMITTED' : 'ABORTED';
  // Never before the decision: a one-phase commit's record (its participant's own write, the decision) precedes the
  // receipt that logs decidedAt, and a phase two that ended before it began would read as a negative commit time.
  const last = [...finishedAt, ...(item.decidedAt ? [item.decidedAt] : [])].sort().at(-1);
  return {
    ...item,
    status,
    phase2Json: outcomes,
    heuristicHazard: (item.heuristicHazard ?? false) || outcomes.includes('HEURISTIC_HAZARD'),
    ...(last ? { finishedAt: last } : {}),
  };
}
