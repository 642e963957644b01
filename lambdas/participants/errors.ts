/** How the participant's failures are named, so the state machine's Retry and Catch can tell them apart. */
import { PAKKA_ERROR } from '../protocol/errorNames.js';
import { TransientFailure } from '../protocol/participantState.js';

/**
 * A write sent once (./sendOnce.ts) whose outcome is unknown: it may or may not have been applied, and is not sent
 * again. The SDK's retry strategy classifies an error by its status, its `$retryable`, its network code and its
 * `cause`, so this carries none of them: what the SDK raised is kept as `raised`.
 */
export class UnknownWriteOutcome extends Error {
  override readonly name = PAKKA_ERROR.unknownWriteOutcome;
  constructor(
    message: string,
    readonly raised: unknown,
  ) {
    super(message);
  }
}

/** A malformed message from the coordinator: never retried, turned into an abort vote. */
export class InvalidParticipantRequest extends Error {
  override readonly name = PAKKA_ERROR.invalidRequest;
}

const TRANSIENT_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'TransactionConflictException',
  'TimeoutError',
]);

/** DynamoDB errors worth retrying become `Pakka.Transient`; everything else keeps its name. */
export function classifyDynamoError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const retryable = (error as { $retryable?: unknown }).$retryable !== undefined;
  const network = 'code' in error && typeof error.code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)/.test(error.code);
  if (TRANSIENT_ERRORS.has(error.name) || retryable || network) {
    return new TransientFailure(`${error.name}: ${error.message}`, { cause: error });
  }
  return error;
}

export async function classified<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw classifyDynamoError(error);
  }
}
