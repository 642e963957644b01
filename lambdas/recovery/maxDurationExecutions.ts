/**
 * Whether a transaction's coordinator may still run, without asking Step Functions: Express has no
 * DescribeExecution, but no execution outlives its workflow's TimeoutSeconds (at most 300 s). So an
 * execution started at `executionStartedAt` (BeginTransaction records it; older items: createdAt)
 * has stopped for certain once that much time, plus a margin for clock skew, has passed. A
 * duplicate of an at-least-once start is started no earlier than the original, and recovery's
 * conditional decision write and the idempotent participants make a late one harmless anyway.
 */
import type { ExecutionPort } from './ports.js';

const CLOCK_SKEW_MS = 5_000;

export function maxDurationExecutions(maxDurationSeconds: number, now: () => number): ExecutionPort {
  return {
    async isRunning(item) {
      const started = Date.parse(item.executionStartedAt ?? item.createdAt);
      // An unreadable start time counts as running: recovery must never act before the coordinator stopped.
      if (Number.isNaN(started)) return true;
      return now() < started + maxDurationSeconds * 1000 + CLOCK_SKEW_MS;
    },
  };
}
