/**
 * Every write of the coordinator log item, each described once (logWrite.ts): the state machine's
 * (rendered as ASL by statemachines/source/twoPhaseCommit.ts), recovery's and an operator's (rendered
 * as SDK calls by lambdas/recovery/coordinatorLogTable.ts) and the API's txnId claim (by
 * lambdas/request/txnClaim.ts). test/coordinator/logWrites.unit.test.ts checks each against the
 * attribute declaration (logAttributes.ts), in both renderings.
 */
import type { Decision } from '../protocol/vote.js';
import type { TxnStatus } from './coordinatorLog.js';
import type { LogAttribute } from './logAttributes.js';
import { type Assignment, type LogPut, type LogUpdate, type LogValue, type LogWrite, argument, constant, optionalArgument } from './logWrite.js';

const assign = (attribute: LogAttribute, value: string = attribute): Assignment => ({ attribute, value });
const keep = (attribute: LogAttribute, value: string = attribute): Assignment => ({ attribute, value, ifNotExists: true });

const txnKey = { txnId: argument('S') };

/**
 * Every write that records a decision (or the one-phase request left to recovery) holds only for the
 * request that claimed the txnId: an execution of another request fails it, reads the log and stops,
 * so it can never decide or deliver under a txnId it does not own.
 */
const OWN_REQUEST = '(attribute_not_exists(requestDigest) OR requestDigest = :requestDigest)';
const UNDECIDED = `attribute_not_exists(decision) AND ${OWN_REQUEST}`;

/** The request and the execution as the state machine logs them, under the status it writes. */
const requestValues = (status: TxnStatus) => ({
  status: constant('S', status),
  statusPartition: argument('S'),
  createdAt: argument('S'),
  timeoutSeconds: argument('N'),
  requestDigest: argument('S'),
  idempotencyKey: argument('S'),
  participants: argument('S'),
  executionArn: argument('S'),
});

/**
 * The request as the log keeps it. The API's claim (txnClaim.ts) wrote it before the execution
 * started, slimmer (names and operations only) and with the claim's createdAt: kept if there. An
 * execution started without a claim writes it here.
 */
const CLAIMED_REQUEST: readonly Assignment[] = [
  keep('createdAt'),
  assign('executionStartedAt', 'createdAt'),
  assign('timeoutSeconds'),
  assign('requestDigest'),
  assign('idempotencyKey'),
  keep('participantsJson', 'participants'),
];

/**
 * The state machine's decision: the first write of the log item on its happy path (after the claim),
 * with everything the API and recovery need. A COMMIT leaves the open index (a participant that
 * missed it holds a PREPARED record, which recovery finds); an ABORT stays in it until recovery sees
 * it final, since a participant that never prepared holds nothing to be found by.
 */
function coordinatorDecision<const V extends Record<string, LogValue>>(
  name: string,
  decision: Decision,
  status: TxnStatus,
  extra: { set: readonly Assignment[]; values: V; condition?: string },
) {
  return {
    name,
    action: 'update',
    key: 'txnId',
    values: { ...txnKey, decision: constant('S', decision), now: argument('S'), ...requestValues(status), ...extra.values },
    set: [
      assign('decision'),
      assign('status'),
      assign('statusPartition'),
      assign('decidedAt', 'now'),
      ...CLAIMED_REQUEST,
      assign('executionArn'),
      ...extra.set,
    ],
    ...(decision === 'COMMIT' ? { remove: ['openPartition'] as const } : {}),
    condition: extra.condition ?? UNDECIDED,
  } satisfies LogUpdate;
}

/**
 * Every answer is a VOTE_COMMIT or READ_ONLY for this txnId, and at least one is a VOTE_COMMIT. The
 * state machine counts the answers with intrinsics (its markers add one READ_ONLY vote and one "."
 * txnId per answer, so that every path matches): 2N votes whose distinct values are exactly
 * {READ_ONLY, VOTE_COMMIT}, 2N txnIds whose distinct values are exactly {".", this txnId}.
 */
const ALL_YES = ':voteCount = :twoN AND :voteKinds = :two AND :anyCommit = :true AND :txnIds = :twoN AND :txnKinds = :two AND :ownTxn = :true';

const ballotCounts = {
  ballot: argument('S'),
  twoN: argument('N'),
  voteCount: argument('N'),
  voteKinds: argument('N'),
  anyCommit: argument('BOOL'),
  txnIds: argument('N'),
  txnKinds: argument('N'),
  ownTxn: argument('BOOL'),
  two: constant('N', 2),
  true: constant('BOOL', true),
};

/**
 * The COMMIT decision, judged by its own condition (ALL_YES): the commit point of a two-phase commit.
 * A failed condition (a no, a malformed answer, an earlier decision) is the abort path's cue.
 */
export const COMMIT_DECISION = coordinatorDecision('commit decision', 'COMMIT', 'COMMITTING', {
  set: [assign('votesJson', 'ballot')],
  values: ballotCounts,
  condition: `${UNDECIDED} AND ${ALL_YES}`,
});

/** The receipt of a one-phase commit: the same write as the commit point, marked onePhase, so both leave the same log item. */
export const ONE_PHASE_RECEIPT = coordinatorDecision('one-phase receipt', 'COMMIT', 'COMMITTING', {
  set: [assign('votesJson', 'ballot'), assign('onePhase', 'true')],
  values: ballotCounts,
  condition: `${UNDECIDED} AND ${ALL_YES}`,
});

/** Every participant voted READ_ONLY: COMMIT with nothing to deliver, final at once (phase 2 delivered to nobody). */
export const READ_ONLY_COMMIT = coordinatorDecision('read-only commit', 'COMMIT', 'COMMITTED', {
  set: [assign('finishedAt', 'now'), assign('votesJson', 'ballot'), assign('phase2Json', 'nobody')],
  values: { ballot: argument('S'), nobody: constant('S', '{"names":[],"outcomes":[]}') },
});

/** ABORT, with the vote that caused it and the rule it broke. */
export const ABORT_DECISION = coordinatorDecision('abort decision', 'ABORT', 'ABORTING', {
  set: [assign('abortReason', 'reason'), assign('abortedBy', 'by'), assign('abortRule', 'rule')],
  values: { reason: argument('S'), by: argument('S'), rule: argument('S') },
});

/** A one-phase commit learnt on the abort path (the abort found it committed): its receipt, with that participant as the one yes. */
export const LEARNT_ONE_PHASE_COMMIT = coordinatorDecision('learnt one-phase commit', 'COMMIT', 'COMMITTING', {
  set: [assign('votesJson', 'ballot'), assign('onePhase', 'true')],
  values: { ballot: argument('S'), true: constant('BOOL', true) },
});

/**
 * The only writing participant's outcome is unknown: the request without a decision, in the open
 * index, marked onePhase, so recovery learns the outcome from the participant and never presumes abort.
 */
export const ONE_PHASE_LEFT_TO_RECOVERY = {
  name: 'one-phase request left to recovery',
  action: 'update',
  key: 'txnId',
  values: { ...txnKey, ...requestValues('PREPARING'), true: constant('BOOL', true), open: argument('S'), now: argument('S') },
  set: [
    assign('status'),
    assign('statusPartition'),
    ...CLAIMED_REQUEST,
    assign('executionArn'),
    assign('onePhase', 'true'),
    assign('openPartition', 'open'),
    assign('leftToRecoveryAt', 'now'),
  ],
  condition: UNDECIDED,
} satisfies LogUpdate;

/** A delivery a participant refused (a protocol violation): a heuristic hazard, recorded and never hidden. */
export const deliveryRefused = (decision: Decision) =>
  ({
    name: `${decision} delivery refused`,
    action: 'update',
    key: 'txnId',
    values: { ...txnKey, true: constant('BOOL', true), violation: argument('SS'), decision: constant('S', decision) },
    set: [assign('heuristicHazard', 'true')],
    add: [{ attribute: 'violations', value: 'violation' }],
    condition: 'decision = :decision',
  }) satisfies LogUpdate;

/** A delivery that retries did not get through: the transaction joins the open index, and recovery keeps delivering. */
export const deliveryLeftToRecovery = (decision: Decision) =>
  ({
    name: `${decision} delivery left to recovery`,
    action: 'update',
    key: 'txnId',
    values: { ...txnKey, open: argument('S'), now: argument('S'), decision: constant('S', decision) },
    set: [assign('openPartition', 'open'), assign('leftToRecoveryAt', 'now')],
    condition: 'decision = :decision',
  }) satisfies LogUpdate;

/**
 * The txnId claim: the API's conditional put of the log item before any execution starts. It holds
 * the request but no decision, so the decision write stays the single write-once commit point; it is
 * PREPARING in the byStatus index and in the open index from the start.
 */
export const TXN_CLAIM = {
  name: 'txnId claim',
  action: 'put',
  values: {
    txnId: argument('S'),
    status: constant('S', 'PREPARING'),
    statusPartition: argument('S'),
    openPartition: argument('S'),
    createdAt: argument('S'),
    timeoutSeconds: argument('N'),
    requestDigest: argument('S'),
    idempotencyKey: argument('S'),
    participants: argument('S'),
  },
  set: [
    assign('txnId'),
    assign('status'),
    assign('statusPartition'),
    assign('openPartition'),
    assign('createdAt'),
    assign('timeoutSeconds'),
    assign('requestDigest'),
    assign('idempotencyKey'),
    assign('participantsJson', 'participants'),
  ],
  // Only the first claim of a txnId is written; any later one finds the item.
  condition: 'attribute_not_exists(txnId)',
} satisfies LogPut;

/** Who decided besides the coordinator: an operator's note, and for recovery's presumed abort the reason and "aborted by". */
const authorValues = { by: argument('S'), note: optionalArgument('S'), reason: optionalArgument('S'), abortedBy: optionalArgument('S') };
const authorSet: readonly Assignment[] = [
  assign('decidedBy', 'by'),
  assign('decisionNote', 'note'),
  assign('abortReason', 'reason'),
  assign('abortedBy', 'abortedBy'),
];

/**
 * Recovery's or an operator's decision on a logged transaction the coordinator never decided.
 * attribute_exists: an update must never create a log item for a transaction that has none.
 */
export const LATER_DECISION = {
  name: 'recovery or operator decision',
  action: 'update',
  key: 'txnId',
  values: { ...txnKey, decision: argument('S'), status: argument('S'), statusPartition: argument('S'), now: argument('S'), ...authorValues },
  set: [assign('decision'), assign('status'), assign('statusPartition'), assign('decidedAt', 'now'), ...authorSet],
  condition: 'attribute_exists(txnId) AND attribute_not_exists(decision)',
} satisfies LogUpdate;

/**
 * The decision on an orphan: participants hold records but no log item has a decision (none may exist
 * at all). Creates the item, listing the participants that hold records, in the open index until final.
 */
export const ORPHAN_DECISION = {
  name: 'orphan decision',
  action: 'update',
  key: 'txnId',
  values: {
    ...txnKey,
    decision: argument('S'),
    status: argument('S'),
    statusPartition: argument('S'),
    now: argument('S'),
    createdAt: argument('S'),
    // No request is known, so no deadline either.
    zero: constant('N', 0),
    participants: argument('S'),
    open: argument('S'),
    ...authorValues,
  },
  set: [
    assign('decision'),
    assign('status'),
    assign('statusPartition'),
    assign('decidedAt', 'now'),
    assign('createdAt'),
    assign('timeoutSeconds', 'zero'),
    assign('participantsJson', 'participants'),
    assign('openPartition', 'open'),
    ...authorSet,
  ],
  condition: 'attribute_not_exists(decision)',
} satisfies LogUpdate;

/**
 * Recovery's phase-2 record, shared by the final and the pending write. heuristicHazard is only ever
 * set to true here (with the violations found): the coordinator's false must never overwrite a
 * hazard, nor this one it.
 */
const phaseTwoValues = {
  ...txnKey,
  decision: argument('S'),
  outcomes: argument('S'),
  started: argument('S'),
  one: constant('N', 1),
  hazard: optionalArgument('BOOL'),
  violations: optionalArgument('SS'),
};
const phaseTwoSet: readonly Assignment[] = [assign('phase2Json', 'outcomes'), keep('phase2StartedAt', 'started'), assign('heuristicHazard', 'hazard')];
const phaseTwoAdd = [
  { attribute: 'recoveryAttempts', value: 'one' },
  { attribute: 'violations', value: 'violations' },
] as const;

/** Every participant answered: final, finishedAt, out of the open index. */
export const PHASE_TWO_FINAL = {
  name: 'phase 2 final',
  action: 'update',
  key: 'txnId',
  values: { ...phaseTwoValues, final: argument('S'), statusPartition: argument('S'), now: argument('S') },
  set: [...phaseTwoSet, assign('status', 'final'), assign('statusPartition'), keep('finishedAt', 'now'), assign('recoveredAt', 'now')],
  add: phaseTwoAdd,
  remove: ['openPartition', 'lastRecoveryError'],
  condition: 'decision = :decision',
} satisfies LogUpdate;

/** Some participant did not answer: the item stays open for the next sweep. Once another sweeper or the coordinator made it final, there is nothing left to note. */
export const PHASE_TWO_PENDING = {
  name: 'phase 2 pending',
  action: 'update',
  key: 'txnId',
  values: { ...phaseTwoValues, error: argument('S') },
  set: [...phaseTwoSet, assign('lastRecoveryError', 'error')],
  add: phaseTwoAdd,
  condition: 'decision = :decision AND attribute_exists(openPartition)',
} satisfies LogUpdate;

/**
 * Violations found while delivering the logged decision to a straggler of a final transaction: a
 * string set, so concurrent sweepers add to it and never overwrite each other.
 */
export const VIOLATIONS_ADDED = {
  name: 'violations added',
  action: 'update',
  key: 'txnId',
  values: { ...txnKey, true: constant('BOOL', true), violations: argument('SS') },
  set: [assign('heuristicHazard', 'true')],
  add: [{ attribute: 'violations', value: 'violations' }],
  condition: 'attribute_exists(txnId)',
} satisfies LogUpdate;

/** Every write of the log item, for the checks that walk them all. */
export const LOG_WRITES: readonly LogWrite[] = [
  TXN_CLAIM,
  COMMIT_DECISION,
  ONE_PHASE_RECEIPT,
  READ_ONLY_COMMIT,
  ABORT_DECISION,
  LEARNT_ONE_PHASE_COMMIT,
  ONE_PHASE_LEFT_TO_RECOVERY,
  ...(['COMMIT', 'ABORT'] as const).flatMap((d) => [deliveryRefused(d), deliveryLeftToRecovery(d)]),
  LATER_DECISION,
  ORPHAN_DECISION,
  PHASE_TWO_FINAL,
  PHASE_TWO_PENDING,
  VIOLATIONS_ADDED,
];
