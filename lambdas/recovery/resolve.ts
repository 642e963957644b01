/**
 * An operator's manual decision for a stuck transaction (`pakka resolve`, POST /transactions/{id}/resolve),
 * as docs/design.md ("Recovery") allows it: ABORT of an undecided two-phase transaction at any moment, and
 * COMMIT only when every participant is known to have voted yes. Nothing waits for the coordinator:
 * the decision is written once, conditionally, so a coordinator still running loses that write and
 * obeys. A one-phase transaction's outcome is learnt from its participant, whatever was asked.
 * Recorded as manual (`decidedBy = operator:<name>`, with the reason); then driven like any recovered
 * transaction.
 */
import { z } from 'zod';
import type { CoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { TXN_ID_PATTERN, TXN_ID_RULE } from '../request/transactionRequest.js';
import type { BarrierRecordState } from '../protocol/participantState.js';
import { DECISIONS, type Decision } from '../protocol/vote.js';
import { isFinal, isOnePhaseRequest } from '../coordinatorLog/coordinatorLog.js';
import type { RecoveryPorts } from './ports.js';
import { type TransactionOutcome, decideAndDrive } from './sweep.js';
import type { MetricsRecorder } from '../observability/recorder.js';

export const resolveRequest = z.strictObject({
  decision: z.enum(DECISIONS, { error: 'must be COMMIT or ABORT' }),
  operator: z.string({ error: 'must be a string naming who decides' }).regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 characters: letters, digits, . _ @ or -'),
  reason: z.string({ error: 'must be a string saying why' }).trim().min(3, 'must say why, in at least 3 characters').max(500, 'must be at most 500 characters'),
});
export type ResolveRequest = z.infer<typeof resolveRequest>;

export interface ResolveRefusal {
  ok: false;
  /** The HTTP status the API answers with. */
  status: 400 | 404 | 409;
  code: 'INVALID_REQUEST' | 'NOT_FOUND' | 'DECISION_ALREADY_LOGGED' | 'VOTES_UNKNOWN';
  message: string;
  field: string | null;
  /** The decision already in the log, when that is why the request was refused. */
  logged?: { decision: Decision; decidedBy: string; decidedAt: string | null; note: string | null };
}

export type ResolveResult = { ok: true; decision: Decision; outcome: TransactionOutcome } | ResolveRefusal;

export function validateResolveRequest(body: unknown): { ok: true; value: ResolveRequest } | ResolveRefusal {
  const parsed = resolveRequest.safeParse(body, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? 'body') : issue?.path.join('.') || 'body';
  const message =
    issue?.code === 'unrecognized_keys'
      ? 'is not a field of a resolve request'
      : issue?.code === 'invalid_type' && issue.input === undefined
        ? 'is required'
        : (issue?.message ?? 'is invalid');
  return { ok: false, status: 400, code: 'INVALID_REQUEST', field, message: `${field} ${message}` };
}

/** What a participant's own record says about its vote: PREPARED or COMMITTED means it voted VOTE_COMMIT. */
export type KnownVote = 'VOTE_COMMIT' | 'VOTE_ABORT' | 'UNKNOWN';

export const voteFromRecord = (state: BarrierRecordState | 'UNKNOWN'): KnownVote =>
  state === 'PREPARED' || state === 'COMMITTED' ? 'VOTE_COMMIT' : state === 'ABORTED' ? 'VOTE_ABORT' : 'UNKNOWN';

/**
 * Participants whose yes vote is not established. Logged votes count first; otherwise the participant's
 * record. A check-only participant leaves no record, so its vote is unknown too: its check may never have run.
 */
export function unconfirmedVoters(item: CoordinatorLogItem, recordVotes: ReadonlyMap<string, KnownVote>): string[] {
  const logged = new Map((item.votesJson ?? []).map((v) => [v.name, v.vote]));
  return item.participantsJson
    .filter((p) => {
      const vote = logged.get(p.name);
      if (vote === 'VOTE_COMMIT' || vote === 'READ_ONLY') return false;
      return recordVotes.get(p.name) !== 'VOTE_COMMIT';
    })
    .map((p) => p.name);
}

const alreadyLogged = (item: CoordinatorLogItem): ResolveRefusal => ({
  ok: false,
  status: 409,
  code: 'DECISION_ALREADY_LOGGED',
  field: 'decision',
  message: `transaction ${item.txnId} already has a logged decision, ${item.decision} by ${item.decidedBy ?? 'coordinator'}; it cannot be changed, recovery delivers it`,
  logged: {
    decision: item.decision as Decision,
    decidedBy: item.decidedBy ?? 'coordinator',
    decidedAt: item.decidedAt ?? null,
    note: item.decisionNote ?? null,
  },
});

/**
 * A transaction with no log item: its coordinator never logged a decision (the item is written only
 * then), and only the participants' records tell it exists. Which participants took part is unknown
 * (one that was never sent prepare holds nothing and would never hear a commit), so only ABORT can be
 * decided: a commit could apply at some participants and never reach the others. The decision creates
 * the item, conditionally; a coordinator still preparing then loses its own decision write and aborts.
 */
async function resolveUnlogged(txnId: string, request: ResolveRequest, ports: RecoveryPorts, metrics?: MetricsRecorder): Promise<ResolveResult> {
  const asked = await Promise.all(
    (ports.inDoubt.participants ?? []).map(async (name) => {
      const answer = await ports.participants.send(name, { action: 'status', txnId });
      return { name, state: 'state' in answer ? answer.state : 'UNKNOWN', preparedAt: 'preparedAt' in answer ? answer.preparedAt : undefined };
    }),
  );
  const holders = asked.filter((a) => a.state === 'PREPARED');
  if (!holders.length)
    return {
      ok: false,
      status: 404,
      code: 'NOT_FOUND',
      field: 'txnId',
      message: `no transaction ${txnId}: nothing in the coordinator log and no participant holds it prepared`,
    };
  const createdAt =
    holders
      .map((h) => h.preparedAt)
      .filter((at): at is string => typeof at === 'string')
      .sort()[0] ?? new Date(ports.now()).toISOString();
  if (request.decision === 'COMMIT') {
    return {
      ok: false,
      status: 409,
      code: 'VOTES_UNKNOWN',
      field: 'decision',
      message: `${txnId} has no log item, so which participants it has cannot be shown (${holders.map((h) => h.name).join(', ')} hold it prepared; one never asked would hold nothing): only ABORT can be decided`,
    };
  }
  const author = { decidedBy: `operator:${request.operator}`, note: request.reason };
  const write = await ports.log.logOrphanDecision(
    txnId,
    request.decision,
    author,
    holders.map((h) => ({ name: h.name })),
    createdAt,
    new Date(ports.now()).toISOString(),
  );
  if (!write.won) {
    if (write.item?.decision) return alreadyLogged(write.item);
    throw new Error(`transaction ${txnId}: no decision could be logged or read`);
  }
  const outcome = await decideAndDrive(write.item, ports, author, metrics, request.decision);
  return { ok: true, decision: request.decision, outcome: outcome.kind === 'driven' ? { ...outcome, decidedNow: true } : outcome };
}

export async function resolveTransaction(txnId: string, body: unknown, ports: RecoveryPorts, metrics?: MetricsRecorder): Promise<ResolveResult> {
  if (!TXN_ID_PATTERN.test(txnId)) return { ok: false, status: 400, code: 'INVALID_REQUEST', field: 'txnId', message: `txnId ${TXN_ID_RULE}` };
  const validated = validateResolveRequest(body);
  if (!validated.ok) return validated;
  const request = validated.value;
  const item = await ports.log.read(txnId);
  if (!item) return resolveUnlogged(txnId, request, ports, metrics);
  if (item.decision || isFinal(item)) return alreadyLogged(item);
  // A one-phase transaction's outcome is learnt from its participant (decideAndDrive), never forced by a vote count.
  if (request.decision === 'COMMIT' && !item.onePhase) {
    const states = await Promise.all(
      item.participantsJson.map(async (p) => {
        const answer = await ports.participants.send(p.name, { action: 'status', txnId });
        return [p.name, voteFromRecord('state' in answer ? answer.state : 'UNKNOWN')] as const;
      }),
    );
    const unconfirmed = unconfirmedVoters(item, new Map(states));
    if (unconfirmed.length) {
      return {
        ok: false,
        status: 409,
        code: 'VOTES_UNKNOWN',
        field: 'decision',
        message: `a commit needs every participant to have voted yes, and ${unconfirmed.join(', ')} did not (or cannot be shown to); abort instead`,
      };
    }
  }
  const author = { decidedBy: `operator:${request.operator}`, note: request.reason };
  const outcome = await decideAndDrive(item, ports, author, metrics, request.decision);
  // A one-phase commit's participant decided it; the operator's resolve only made recovery ask.
  if (isOnePhaseRequest(item) && outcome.kind === 'driven') return { ok: true, decision: outcome.decision, outcome };
  if (outcome.kind === 'driven' && !outcome.decidedNow) {
    // Someone logged a decision between our read and our write: that one stands, and has just been driven.
    const current = await ports.log.read(txnId);
    if (current?.decision) return alreadyLogged(current);
  }
  return { ok: true, decision: request.decision, outcome };
}
