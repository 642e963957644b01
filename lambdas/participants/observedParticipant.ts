/**
 * Wraps a participant handler with what an operator needs: one structured log line per call
 * (txnId, participant, phase, action, answer, duration) and the participant-side metrics
 * (votes by kind and reason, prepare latency, idempotent repeats, errors, protocol violations).
 */
import { METRICS } from '../observability/metricNames.js';
import type { ProtocolLogger } from '../observability/logger.js';
import type { MetricsRecorder } from '../observability/recorder.js';
import { CommittedInOnePhase, ProtocolViolation } from '../protocol/participantState.js';
import type { ParticipantHandler } from './runtime.js';
import { isRaisedNo } from './voteAbortRaised.js';

export interface ParticipantObservation {
  name: string;
  metrics: MetricsRecorder;
  logger: ProtocolLogger;
}

const PHASE: Record<string, string> = { prepare: 'prepare', commitOnePhase: 'prepare', commit: 'commit', abort: 'abort', status: 'inspect' };

function peek(event: unknown): { action: string; txnId: string } {
  const e = (typeof event === 'object' && event !== null ? event : {}) as { action?: unknown; txnId?: unknown };
  return { action: typeof e.action === 'string' ? e.action : 'unknown', txnId: typeof e.txnId === 'string' ? e.txnId : 'unknown' };
}

export function observedParticipant(handler: ParticipantHandler, { name, metrics, logger }: ParticipantObservation): ParticipantHandler {
  return async (event) => {
    const { action, txnId } = peek(event);
    const context = { txnId, participant: name, phase: PHASE[action] ?? 'unknown', action };
    const dims = { Participant: name, Action: action };
    const started = performance.now();
    try {
      const answer = await handler(event);
      const ms = Math.round(performance.now() - started);
      metrics.count(METRICS.participantCalls, dims);
      metrics.timing(METRICS.participantLatency, ms, dims);
      if ('vote' in answer) {
        metrics.timing(METRICS.prepareLatency, ms, { Participant: name });
        metrics.count(METRICS.votes, { Participant: name, Vote: answer.vote, ...(answer.reason ? { Reason: answer.reason } : {}) });
        if (isRaisedNo(event, answer)) metrics.count(METRICS.raisedNoes, { Participant: name });
      }
      if ('repeated' in answer && answer.repeated) metrics.count(METRICS.retries, dims);
      logger.info(`${action} answered`, { ...context, answer, durationMs: ms });
      return answer;
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      if (error instanceof CommittedInOnePhase) {
        // An answer, not a failure: the abort asked whether a one-phase commit happened, and it had.
        metrics.count(METRICS.participantCalls, dims);
        logger.info(`${action} found the transaction committed in one phase`, { ...context, durationMs: ms });
      } else if (error instanceof ProtocolViolation) {
        // Never hidden: a violation means an operator or a bug tried to break atomicity.
        metrics.count(METRICS.protocolViolations, { Participant: name, Code: error.code });
        logger.error(`protocol violation: ${error.code}`, { ...context, code: error.code, durationMs: ms });
      } else {
        metrics.count(METRICS.participantErrors, dims);
        logger.warn(`${action} failed`, {
          ...context,
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          durationMs: ms,
        });
      }
      throw error;
    }
  };
}
