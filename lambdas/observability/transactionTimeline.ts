/**
 * One transaction's timeline, per phase and per participant, from what the records already hold:
 * the coordinator log (createdAt, decidedAt, phase2StartedAt, finishedAt, each vote's votedAt,
 * recovery's marks) and each participant's record (preparedAt, committedAt, abortedAt, on the
 * participant's own clock). Pure: `pakka inspect` and GET /transactions/{txnId}/inspect show it.
 */
import type { CoordinatorLogItem, PhaseTwoOutcome } from '../coordinatorLog/coordinatorLog.js';
import type { StoredRecord } from '../participants/record.js';

export interface TimeSpan {
  startedAt: string | null;
  endedAt: string | null;
  /** Null unless both ends are known and in order (the two ends may come from different clocks). */
  ms: number | null;
}

export interface ParticipantTimeline {
  name: string;
  /** Prepare ran from the transaction's begin (every prepare starts at once) to the coordinator noting the vote. */
  prepare: TimeSpan & { vote: string | null; reason: string | null; preparedAt: string | null };
  /** Phase 2 from its start to the participant recording the outcome; null when it had no phase 2 (read-only, undecided). */
  phaseTwo: (TimeSpan & { action: 'commit' | 'abort'; outcome: PhaseTwoOutcome | null }) | null;
}

export interface TransactionTimeline {
  phases: Array<TimeSpan & { phase: 'prepare' | 'decide' | 'commit' | 'abort' }>;
  participants: ParticipantTimeline[];
  slowest: { prepare: { participant: string; ms: number } | null; phaseTwo: { participant: string; ms: number } | null };
  decidedBy: string | null;
  /** Set when the coordinator handed phase 2 to recovery, or recovery took the transaction over. */
  recovery: { leftToRecoveryAt: string | null; recoveredAt: string | null; attempts: number; lastError: string | null } | null;
}

export interface TimelineParticipant {
  name: string;
  vote: string | null;
  reason: string | null;
  phaseTwo: PhaseTwoOutcome | null;
  record: StoredRecord | null;
}

export function span(startedAt: string | null | undefined, endedAt: string | null | undefined): TimeSpan {
  const start = startedAt ?? null;
  const end = endedAt ?? null;
  const ms = start && end ? Date.parse(end) - Date.parse(start) : null;
  return { startedAt: start, endedAt: end, ms: ms !== null && ms >= 0 ? ms : null };
}

function slowestOf(entries: Array<{ participant: string; ms: number | null }>): { participant: string; ms: number } | null {
  let best: { participant: string; ms: number } | null = null;
  for (const { participant, ms } of entries) if (ms !== null && (!best || ms > best.ms)) best = { participant, ms };
  return best;
}

export function transactionTimeline(item: CoordinatorLogItem, participants: readonly TimelineParticipant[]): TransactionTimeline {
  const votedAt = new Map((item.votesJson ?? []).map((v) => [v.name, v.votedAt]));
  const phaseTwoAction = item.decision === 'COMMIT' ? 'commit' : item.decision === 'ABORT' ? 'abort' : null;
  // The log item is written once, by the decision, and phase 2 follows it at once: without a recorded
  // start (older items had one), phase 2 starts when the decision was logged.
  const phaseTwoStartedAt = item.phase2StartedAt ?? (phaseTwoAction ? item.decidedAt : undefined);
  const timelines = participants.map((p): ParticipantTimeline => {
    const record = p.record;
    const ended = phaseTwoAction === 'commit' ? record?.committedAt : record?.abortedAt;
    // A read-only participant (SKIPPED) has no phase 2; with no decision yet nobody has one.
    const inPhaseTwo = phaseTwoAction !== null && p.phaseTwo !== 'SKIPPED' && (phaseTwoStartedAt !== undefined || ended !== undefined);
    return {
      name: p.name,
      // The participant whose no ended the prepare phase has no votedAt: its answer led straight to the decision.
      prepare: {
        ...span(item.createdAt, votedAt.get(p.name) ?? record?.preparedAt ?? (item.abortedBy === p.name ? item.decidedAt : undefined)),
        vote: p.vote,
        reason: p.reason ?? record?.voteReason ?? null,
        preparedAt: record?.preparedAt ?? null,
      },
      phaseTwo: inPhaseTwo && phaseTwoAction ? { ...span(phaseTwoStartedAt, ended), action: phaseTwoAction, outcome: p.phaseTwo } : null,
    };
  });
  const phases: TransactionTimeline['phases'] = [
    { phase: 'prepare', ...span(item.createdAt, item.decidedAt) },
    { phase: 'decide', ...span(item.decidedAt, phaseTwoStartedAt) },
  ];
  if (phaseTwoAction) phases.push({ phase: phaseTwoAction, ...span(phaseTwoStartedAt, item.finishedAt) });
  const tookOver = item.leftToRecoveryAt !== undefined || item.recoveredAt !== undefined || (item.recoveryAttempts ?? 0) > 0;
  return {
    phases,
    participants: timelines,
    slowest: {
      prepare: slowestOf(timelines.map((t) => ({ participant: t.name, ms: t.prepare.ms }))),
      phaseTwo: slowestOf(timelines.map((t) => ({ participant: t.name, ms: t.phaseTwo?.ms ?? null }))),
    },
    decidedBy: item.decidedBy ?? (item.decision ? 'coordinator' : null),
    recovery: tookOver
      ? {
          leftToRecoveryAt: item.leftToRecoveryAt ?? null,
          recoveredAt: item.recoveredAt ?? null,
          attempts: item.recoveryAttempts ?? 0,
          lastError: item.lastRecoveryError ?? null,
        }
      : null,
  };
}
