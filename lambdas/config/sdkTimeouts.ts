/**
 * Bounds on every AWS SDK call to DynamoDB (and Step Functions): a connection timeout, a timeout for
 * each attempt's answer, and a number of attempts. Without them a call to a wedged data store waits
 * for ever; on Lambda only the function's timeout ends it, and locally nothing does. The defaults
 * keep all attempts of one call (2 x (2 s + 2.5 s), plus a back-off of a few hundred ms) under a
 * participant's 10 s task timeout, the shortest timeout around any of these calls, so the caller
 * sees an error it can retry (the state machine retries Pakka.Transient). The connection timeout also
 * covers the wait for a free socket of the client's pool, so it is not cut finer than a busy process's
 * burst of calls needs. PAKKA_SDK_* override them. Lambda
 * invocations are left out: a participant may rightly take up to its own timeout to answer.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { z } from 'zod';

export interface SdkTimeouts {
  connectionTimeoutMs: number;
  /** Per attempt: the SDK retries a timed-out attempt up to maxAttempts in all. */
  requestTimeoutMs: number;
  maxAttempts: number;
}

export const DEFAULT_SDK_TIMEOUTS: SdkTimeouts = { connectionTimeoutMs: 2000, requestTimeoutMs: 2500, maxAttempts: 2 };

const ms = z.coerce.number().int().min(1).max(600_000);
const fromEnvironment = z.object({
  PAKKA_SDK_CONNECTION_TIMEOUT_MS: ms.optional(),
  PAKKA_SDK_REQUEST_TIMEOUT_MS: ms.optional(),
  PAKKA_SDK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).optional(),
});

/** The defaults, overridden by whichever PAKKA_SDK_* variables are set; a bad value throws at start-up. */
export function sdkTimeoutsFromEnv(env: Record<string, string | undefined> = process.env): SdkTimeouts {
  const parsed = fromEnvironment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`SDK timeouts: ${issue?.path.join('.') ?? 'environment'} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  const d = DEFAULT_SDK_TIMEOUTS;
  return {
    connectionTimeoutMs: e.PAKKA_SDK_CONNECTION_TIMEOUT_MS ?? d.connectionTimeoutMs,
    requestTimeoutMs: e.PAKKA_SDK_REQUEST_TIMEOUT_MS ?? d.requestTimeoutMs,
    maxAttempts: e.PAKKA_SDK_MAX_ATTEMPTS ?? d.maxAttempts,
  };
}

/** Client configuration that bounds every call: spread it into `new DynamoDBClient({ ... })`. */
export function boundedClientConfig(timeouts: SdkTimeouts = sdkTimeoutsFromEnv()): { maxAttempts: number; requestHandler: NodeHttpHandler } {
  return {
    maxAttempts: timeouts.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Without it a request past requestTimeout only logs a warning and goes on waiting.
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * The client for a synchronous Express start (`StartSyncExecution`), which answers only when the
 * execution ends. One attempt: the SDK would take a timed-out attempt for a transient error and call
 * again, and each call starts another Express execution (Express runs at most once per start, not
 * per name). Its answer may take the whole wait, so the attempt's timeout is longer than the wait,
 * and the caller's abort signal, at the wait, is what ends the call.
 */
export function syncStartClientConfig(waitMs: number, timeouts: SdkTimeouts = sdkTimeoutsFromEnv()): { maxAttempts: number; requestHandler: NodeHttpHandler } {
  return boundedClientConfig({
    connectionTimeoutMs: timeouts.connectionTimeoutMs,
    requestTimeoutMs: waitMs + SYNC_START_MARGIN_MS,
    maxAttempts: 1,
  });
}

/** How much longer than the wait a synchronous start's attempt may last before the SDK gives up on it. */
export const SYNC_START_MARGIN_MS = 2_000;
