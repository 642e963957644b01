/**
 * Delivers a logged decision to the participants that still need it and records what came back:
 * final when every one answered, still open (for the next sweep) when some did not. Used by the
 * sweeper and by an operator's resolve; both obey the decision the log holds, never their own.
 */
import type { CoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import { PAKKA_ERROR } from '../protocol/errorNames.js';
import type { Decision } from '../protocol/vote.js';
import { type Delivery, type PhaseTwoResult, phaseTwoPlan, phaseTwoResult } from './inDoubt.js';
import type { ParticipantPort, RecoveryPorts } from './ports.js';

export interface DriveResult extends PhaseTwoResult {
  txnId: string;
  decision: Decision;
  /** True when this run marked the transaction COMMITTED/ABORTED. */
  final: boolean;
}

const VIOLATION_CODE = /^([A-Z][A-Z_]+):/;

/** Sends the decision to one participant and classifies the answer; never throws. */
export async function deliver(
  participants: ParticipantPort,
  participant: string,
  decision: Decision,
  txnId: string,
  operations?: Array<Record<string, unknown>>,
): Promise<Delivery> {
  try {
    const answer = await participants.send(participant, { action: decision === 'COMMIT' ? 'commit' : 'abort', txnId, ...(operations ? { operations } : {}) });
    const outcome = 'outcome' in answer ? answer.outcome : undefined;
    if (outcome === undefined) return { participant, kind: 'failed', error: `unexpected answer ${JSON.stringify(answer)}` };
    return { participant, kind: 'acknowledged', outcome };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    // An ABORT that meets a one-phase commit changed nothing: a hazard, reported like a violation.
    if (name === PAKKA_ERROR.committedInOnePhase) return { participant, kind: 'violation', code: 'ABORT_AFTER_COMMIT' };
    if (name === PAKKA_ERROR.protocolViolation) {
      const code = (error as { code?: unknown }).code;
      return { participant, kind: 'violation', code: typeof code === 'string' ? code : (VIOLATION_CODE.exec(message)?.[1] ?? 'PROTOCOL_VIOLATION') };
    }
    return { participant, kind: 'failed', error: `${name}: ${message}` };
  }
}

/**
 * The outcome of a one-phase commit whose coordinator never learnt it (the item is logged onePhase,
 * without a decision): the only writing participant's own write decided it, so it is asked, never
 * presumed. The question is an abort: it aborts (or writes the tombstone that stops a late one-phase
 * commit) unless the transaction committed, and then answers Pakka.CommittedInOnePhase. Throws when the
 * participant cannot be asked; the item stays open for the next sweep.
 */
export async function learnOnePhaseOutcome(participants: ParticipantPort, item: CoordinatorLogItem): Promise<Decision> {
  const [only, ...others] = item.participantsJson;
  if (!only || others.length) throw new Error(`transaction ${item.txnId} is marked onePhase but has ${item.participantsJson.length} participants`);
  try {
    const answer = await participants.send(only.name, { action: 'abort', txnId: item.txnId, operations: only.operations });
    if ('outcome' in answer && answer.outcome === 'ABORTED') return 'ABORT';
    throw new Error(`unexpected answer to the abort of a one-phase commit: ${JSON.stringify(answer)}`);
  } catch (error) {
    if (error instanceof Error && error.name === PAKKA_ERROR.committedInOnePhase) return 'COMMIT';
    throw error;
  }
}

export async function driveDecision(
  item: CoordinatorLogItem,
  decision: Decision,
  ports: Pick<RecoveryPorts, 'log' | 'participants' | 'now'>,
): Promise<DriveResult> {
  const plan = phaseTwoPlan(item, decision);
  const startedAt = new Date(ports.now()).toISOString();
  const deliveries = await Promise.all(
    // An empty redo list (an orphan's item: no request was known) sends none; the participant uses the one it stored.
    plan.participants
      .filter((p) => p.target)
      .map((p) => deliver(ports.participants, p.name, decision, item.txnId, p.operations.length ? p.operations : undefined)),
  );
  const result = phaseTwoResult(plan, deliveries, item.phase2Json);
  const record = { decision, outcomes: result.outcomes, violations: result.violations, startedAt, now: new Date(ports.now()).toISOString() };
  if (result.complete) await ports.log.markFinal(item.txnId, record);
  else await ports.log.recordPending(item.txnId, record, result.errors.join('; '));
  return { txnId: item.txnId, decision, final: result.complete, ...result };
}
