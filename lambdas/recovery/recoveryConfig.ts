/**
 * The recovery sweeper's thresholds, in one place with their defaults. The other timeouts live where
 * they belong: each participant's prepare timeout in the participant config, the execution deadline
 * in the request (`timeoutSeconds`, bounded by LIMITS).
 */
import { z } from 'zod';
import { LIMITS } from '../request/transactionRequest.js';

export interface RecoveryConfig {
  /**
   * How long after a transaction's deadline (createdAt + timeoutSeconds) recovery leaves it to its
   * coordinator. The commit phase may run past the deadline (it retries for about a minute before it
   * hands over), and recovery also checks that the execution has stopped; the grace only keeps
   * recovery from asking Step Functions about every young transaction.
   */
  deadlineGraceSeconds: number;
  /**
   * Age after which a participant's PREPARED record is looked into. A record whose transaction has a
   * coordinator log item follows the transaction's own rules; one with no log item at all is aborted
   * (presumed abort). Longer than the longest deadline plus the grace, so no live prepare is touched.
   */
  preparedRecordAgeSeconds: number;
  /** How often the sweeper runs (the EventBridge schedule on AWS, the timer of the local server). */
  sweepIntervalSeconds: number;
  /** Upper bound of transactions one sweep handles, so one run stays well inside a Lambda's timeout. */
  maxTransactionsPerSweep: number;
  /** Transactions recovered at the same time within one sweep. */
  concurrency: number;
}

export const DEFAULT_RECOVERY_CONFIG: RecoveryConfig = {
  deadlineGraceSeconds: 60,
  preparedRecordAgeSeconds: LIMITS.maxTimeoutSeconds + 60,
  sweepIntervalSeconds: 60,
  maxTransactionsPerSweep: 200,
  concurrency: 8,
};

const seconds = z.coerce.number().int().min(0).max(86_400);

const fromEnvironment = z.object({
  PAKKA_RECOVERY_GRACE_SECONDS: seconds.optional(),
  PAKKA_RECOVERY_PREPARED_AGE_SECONDS: seconds.optional(),
  PAKKA_RECOVERY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  PAKKA_RECOVERY_MAX_TRANSACTIONS: z.coerce.number().int().min(1).max(10_000).optional(),
  PAKKA_RECOVERY_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
});

/** The defaults, overridden by whichever `PAKKA_RECOVERY_*` variables are set; a bad value throws at start-up. */
export function recoveryConfigFromEnv(env: Record<string, string | undefined> = process.env): RecoveryConfig {
  const parsed = fromEnvironment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`recovery configuration: ${issue?.path.join('.') ?? 'environment'} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  const d = DEFAULT_RECOVERY_CONFIG;
  return {
    deadlineGraceSeconds: e.PAKKA_RECOVERY_GRACE_SECONDS ?? d.deadlineGraceSeconds,
    preparedRecordAgeSeconds: e.PAKKA_RECOVERY_PREPARED_AGE_SECONDS ?? d.preparedRecordAgeSeconds,
    sweepIntervalSeconds: e.PAKKA_RECOVERY_INTERVAL_SECONDS ?? d.sweepIntervalSeconds,
    maxTransactionsPerSweep: e.PAKKA_RECOVERY_MAX_TRANSACTIONS ?? d.maxTransactionsPerSweep,
    concurrency: e.PAKKA_RECOVERY_CONCURRENCY ?? d.concurrency,
  };
}
