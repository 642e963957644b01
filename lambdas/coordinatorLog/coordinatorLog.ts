/**
 * The coordinator log item, read back into the transaction view that the API, the CLI and
 * recovery share. Its attributes are declared in logAttributes.ts and every write of it in
 * logWrites.ts; this is the one place that reads it, with one field for each declared attribute.
 */
import { z } from 'zod';
import { type AbortReason, DECISIONS, VOTES } from '../protocol/vote.js';
import type { LogAttribute } from './logAttributes.js';

export const TXN_STATUSES = ['PREPARING', 'COMMITTING', 'ABORTING', 'COMMITTED', 'ABORTED'] as const;
export type TxnStatus = (typeof TXN_STATUSES)[number];
export const FINAL_STATUSES: readonly TxnStatus[] = ['COMMITTED', 'ABORTED'];

/** COMMITTED or ABORTED: every participant has heard the decision and nothing is left to deliver. */
export const isFinal = (item: { status: TxnStatus }): boolean => FINAL_STATUSES.includes(item.status);

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return schema.parse(JSON.parse(s)) as z.infer<T>;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not the JSON the state machine writes' });
      return z.NEVER;
    }
  });

/**
 * A participant as the log names it. The claim (txnClaim.ts) writes only the name, the operations and
 * the one-phase mark; an execution started without a claim logs its whole participant input.
 */
const participantEntry = z.object({
  name: z.string(),
  operations: z.array(z.record(z.string(), z.unknown())),
  onePhase: z.boolean().optional(),
  prepareTimeoutSeconds: z.number().optional(),
  commitTimeoutSeconds: z.number().optional(),
});
const voteEntry = z.object({ name: z.string(), vote: z.enum(VOTES), votedAt: z.string().optional() });
/**
 * What the state machine writes since the transitions were cut: the ballot as two aligned lists. It
 * is written only once every vote was a VOTE_COMMIT or READ_ONLY, so needsCommit tells them apart.
 */
const zeroOrOne = z.union([z.literal(0), z.literal(1)]);
/** `onePhase` (absent on older items) marks a participant that committed alone: a yes that needs no phase 2. */
const ballot = z.object({ names: z.array(z.string()), needsCommit: z.array(zeroOrOne), onePhase: z.array(zeroOrOne).optional() });
const PHASE_TWO_OUTCOMES = ['ACKED', 'SKIPPED', 'PENDING', 'HEURISTIC_HAZARD'] as const;
export type PhaseTwoOutcome = (typeof PHASE_TWO_OUTCOMES)[number];
/** Phase 2 as the state machine writes it now: the participants it delivered to, and what each answered. */
const phaseTwoDeliveries = z.object({ names: z.array(z.string()), outcomes: z.array(z.enum(PHASE_TWO_OUTCOMES)) });

/** One reader field for each declared attribute (logAttributes.ts), no more and no fewer: `satisfies` refuses a missing or an extra one. */
const logItemShape = {
  txnId: z.string(),
  status: z.enum(TXN_STATUSES),
  createdAt: z.string(),
  timeoutSeconds: z.coerce.number(),
  // Absent on an item recovery logged for an orphan (PREPARED records and no decision): no request is known.
  requestDigest: z.string().optional(),
  idempotencyKey: z.string().optional(),
  participantsJson: json(z.array(participantEntry)),
  executionName: z.string().optional(),
  executionArn: z.string().optional(),
  /** When the execution that logged the decision started: with the workflow's maximum duration, when it must have stopped. */
  executionStartedAt: z.string().optional(),
  decision: z.enum(DECISIONS).optional(),
  /**
   * A one-phase commit: set by its receipt, or, without a decision, when its outcome could not be
   * learnt (the only writing participant's own write decides, so recovery asks it instead of presuming abort).
   */
  onePhase: z.boolean().optional(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
  // Older items hold one entry per participant; newer ones the ballot.
  votesJson: json(z.union([z.array(voteEntry), ballot])).optional(),
  /**
   * Any string, not the contract's pattern: a team's own function participant's reason reaches the log
   * through the state machine, which cannot test a pattern, and an item must stay readable whatever a
   * participant answered (the metrics count a reason outside the contract as INVALID_ANSWER).
   */
  abortReason: (z.string() as z.ZodType<AbortReason>).optional(),
  abortedBy: z.string().optional(),
  /** The contract rule the aborting answer broke, in words (for INVALID_ANSWER, which rule). */
  abortRule: z.string().optional(),
  phase2StartedAt: z.string().optional(),
  // Older items (and recovery) hold one outcome per participant, aligned; the state machine its deliveries by name.
  phase2Json: json(z.union([z.array(z.enum(PHASE_TWO_OUTCOMES)), phaseTwoDeliveries])).optional(),
  heuristicHazard: z.boolean().optional(),
  leftToRecoveryAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Why an operator decided (`pakka resolve --reason`); set with `decidedBy = operator:<name>`. */
  decisionNote: z.string().optional(),
  /**
   * Protocol violations a participant answered to recovery, as `participant:CODE` (a string set, so
   * concurrent sweepers add to it and never overwrite each other): each one is a heuristic hazard.
   */
  violations: z
    .union([z.set(z.string()), z.array(z.string())])
    .transform((v) => [...v].sort())
    .optional(),
  recoveredAt: z.string().optional(),
  recoveryAttempts: z.coerce.number().optional(),
  lastRecoveryError: z.string().optional(),
  /** The byStatus index's partition (`<status>#<shard>`, logShards.ts). */
  statusPartition: z.string().optional(),
  /** The open index's partition (`OPEN#<shard>`): present while recovery must look at the transaction. */
  openPartition: z.string().optional(),
} satisfies Record<LogAttribute, z.ZodType>;
const logItem = z.object(logItemShape);
type StoredLogItem = z.infer<typeof logItem>;

/** The log item in one shape whichever code wrote it: votes and phase-2 outcomes aligned with participantsJson. */
export type CoordinatorLogItem = Omit<StoredLogItem, 'votesJson' | 'phase2Json'> & {
  votesJson?: Array<z.infer<typeof voteEntry>>;
  phase2Json?: PhaseTwoOutcome[];
};

function aligned(item: StoredLogItem): CoordinatorLogItem {
  const { votesJson, phase2Json, ...rest } = item;
  const votes =
    votesJson && !Array.isArray(votesJson)
      ? votesJson.names.map((name, i) => ({
          name,
          vote: votesJson.needsCommit[i] === 1 || votesJson.onePhase?.[i] === 1 ? ('VOTE_COMMIT' as const) : ('READ_ONLY' as const),
        }))
      : votesJson;
  let outcomes: PhaseTwoOutcome[] | undefined;
  let hazard = item.heuristicHazard;
  if (phase2Json && !Array.isArray(phase2Json)) {
    // A participant the state machine did not deliver to was left out of phase 2 (a READ_ONLY voter).
    const delivered = new Map(phase2Json.names.map((name, i) => [name, phase2Json.outcomes[i]]));
    outcomes = item.participantsJson.map((p): PhaseTwoOutcome => delivered.get(p.name) ?? 'SKIPPED');
    hazard = (hazard ?? false) || phase2Json.outcomes.includes('HEURISTIC_HAZARD');
  } else outcomes = phase2Json;
  // The state machine starts phase 2 as it logs the decision and records no separate start.
  const phase2StartedAt = item.phase2StartedAt ?? (phase2Json && !Array.isArray(phase2Json) ? item.decidedAt : undefined);
  return {
    ...rest,
    ...(votes ? { votesJson: votes } : {}),
    ...(outcomes ? { phase2Json: outcomes } : {}),
    ...(hazard !== undefined ? { heuristicHazard: hazard } : {}),
    ...(phase2StartedAt ? { phase2StartedAt } : {}),
  };
}

/** The request was sent as a one-phase commit: its outcome is its participant's to say, never presumed. */
export const isOnePhaseRequest = (item: Pick<CoordinatorLogItem, 'onePhase' | 'participantsJson'>): boolean =>
  item.onePhase === true || (item.participantsJson.length === 1 && item.participantsJson[0]?.onePhase === true);

export const parseCoordinatorLogItem = (item: Record<string, unknown>): CoordinatorLogItem => aligned(logItem.parse(item));

export interface ParticipantView {
  name: string;
  vote: (typeof VOTES)[number] | null;
  reason: string | null;
  /** For the participant whose answer aborted the transaction: the rule it broke, in words. */
  rule?: string;
  phaseTwo: PhaseTwoOutcome | null;
}

export interface TransactionView {
  txnId: string;
  status: TxnStatus;
  decision: (typeof DECISIONS)[number] | null;
  reason: string | null;
  participants: ParticipantView[];
  heuristicHazard: boolean;
  /** Who logged the decision: `coordinator`, `recovery` or `operator:<name>`; null while undecided. */
  decidedBy?: string | null;
  decisionNote?: string | null;
  /** Protocol violations participants answered to recovery, as `participant:CODE`. */
  violations?: string[];
  createdAt: string;
  decidedAt: string | null;
  finishedAt: string | null;
  deadline: string;
  timings: { prepareMs: number | null; decideMs: number | null; commitMs?: number | null; abortMs?: number | null; totalMs: number | null };
}

const ms = (from: string | undefined, to: string | undefined) => (from && to ? Date.parse(to) - Date.parse(from) : null);

/** What the API shows for one transaction. Votes that were never collected (prepare ended early) are null. */
export function transactionView(item: CoordinatorLogItem): TransactionView {
  const votes = new Map((item.votesJson ?? []).map((v) => [v.name, v.vote]));
  const participants = item.participantsJson.map((p, i): ParticipantView => {
    const vote = votes.get(p.name) ?? (item.abortedBy === p.name ? 'VOTE_ABORT' : null);
    return {
      name: p.name,
      vote,
      reason: item.abortedBy === p.name ? (item.abortReason ?? null) : null,
      ...(item.abortedBy === p.name && item.abortRule ? { rule: item.abortRule } : {}),
      phaseTwo: item.phase2Json?.[i] ?? null,
    };
  });
  const phase2 = item.decision === 'ABORT' ? 'abortMs' : 'commitMs';
  return {
    txnId: item.txnId,
    status: item.status,
    decision: item.decision ?? null,
    reason: item.abortReason ?? null,
    participants,
    // Recovery's violations count too: a later coordinator write of heuristicHazard must not hide them.
    heuristicHazard: (item.heuristicHazard ?? false) || (item.violations?.length ?? 0) > 0,
    decidedBy: item.decidedBy ?? (item.decision ? 'coordinator' : null),
    decisionNote: item.decisionNote ?? null,
    violations: item.violations ?? [],
    createdAt: item.createdAt,
    decidedAt: item.decidedAt ?? null,
    finishedAt: item.finishedAt ?? null,
    deadline: new Date(Date.parse(item.createdAt) + item.timeoutSeconds * 1000).toISOString(),
    timings: {
      prepareMs: ms(item.createdAt, item.decidedAt),
      // The state machine starts phase 2 as it logs the decision; only recovery records a later start.
      decideMs: ms(item.decidedAt, item.phase2StartedAt ?? item.decidedAt),
      [phase2]: ms(item.phase2StartedAt ?? item.decidedAt, item.finishedAt),
      totalMs: ms(item.createdAt, item.finishedAt),
    },
  };
}
