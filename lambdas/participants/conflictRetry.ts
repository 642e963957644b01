/**
 * A participant's write that meets AWS's transaction-conflict rules is tried again here, before the
 * conflict can become a vote or a Lambda error. AWS cancels a TransactWriteItems that names an item of
 * another transaction in progress, fails a single-item write to such an item with
 * TransactionConflictException, and its SDKs retry neither (DynamoDB developer guide, "Amazon DynamoDB
 * Transactions: How it works", section "Transaction conflict handling in DynamoDB"). The other
 * transaction ends within milliseconds, so the write is retried with exponential backoff and full
 * jitter, as the same guide advises ("Error handling", section "Error retries and exponential backoff":
 * up to 50 ms before the first retry, up to 100 ms before the second, up to 200 ms before the third;
 * jitter helps concurrent clients succeed faster). The bound keeps every attempt of a write, with the
 * SDK's own per-call bounds (sdkTimeouts.ts), well inside the participant's task timeout.
 *
 * Only a pure conflict is retried: a cancellation that also reports a failed condition is an answer,
 * read by cancellation.ts. A conflict still there after the last attempt goes on as before (Pakka.Transient).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ConflictBackoff {
  /** Tries of one write in all, the first included. */
  attempts: number;
  /** The longest wait before the first retry; it doubles per retry up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/** AWS's example ceilings (50, 100, 200 ms) and one more: at most 750 ms of waiting in all. */
export const DEFAULT_CONFLICT_BACKOFF: ConflictBackoff = { attempts: 5, firstDelayMs: 50, maxDelayMs: 400 };

export interface ConflictRetryOptions {
  backoff?: ConflictBackoff;
  /** In [0, 1): the jitter's source. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry (metrics, tests). */
  onRetry?: (retry: number, delayMs: number, error: Error) => void;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True for TransactionConflictException, and for a cancellation whose only reason is TransactionConflict. */
export function isTransactionConflict(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TransactionConflictException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const codes = ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  return codes.includes('TransactionConflict') && codes.every((code) => code === 'None' || code === 'TransactionConflict');
}

/** Full jitter: uniform in [0, min(max, first x 2^retry)), retry counted from 0. */
export function conflictDelayMs(retry: number, backoff: ConflictBackoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export async function retryingConflicts<T>(write: () => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const backoff = options.backoff ?? DEFAULT_CONFLICT_BACKOFF;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  for (let retry = 0; ; retry++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransactionConflict(error) || retry + 1 >= backoff.attempts) throw error;
      const delay = conflictDelayMs(retry, backoff, random);
      options.onRetry?.(retry + 1, delay, error);
      await sleep(delay);
    }
  }
}

/**
 * The same client, every `send` of which retries conflicts: the participant runtimes wrap the client
 * they are given once, so every write they make (and its future call sites) is covered.
 */
export function conflictRetryingClient(client: DynamoDBDocumentClient, options: ConflictRetryOptions = {}): DynamoDBDocumentClient {
  const send = client.send.bind(client) as (command: unknown, sendOptions?: unknown) => Promise<unknown>;
  const retrying = Object.create(client) as DynamoDBDocumentClient;
  Object.defineProperty(retrying, 'send', {
    value: (command: unknown, sendOptions?: unknown) => retryingConflicts(() => send(command, sendOptions), options),
  });
  return retrying;
}
