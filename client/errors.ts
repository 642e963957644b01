/** How a call to the API fails, as types a caller can tell apart. */
import type { ApiErrorBody } from '../lambdas/api/http.js';
import type { ResolveRefused } from '../lambdas/api/recoveryRoutes.js';

export { SigningError } from './sigv4.js';

/**
 * The API refused the request (4xx) or failed (5xx), with its JSON error body: `code` names the
 * rule, `field` the part of the request at fault. On AWS, API Gateway's own refusals (a missing or
 * wrong signature, a route outside the contract) come in the same shape.
 */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorBody,
    /** A refused resolve: the decision already in the log, when that is why. */
    readonly logged?: ResolveRefused['logged'],
  ) {
    super(error.message);
    this.name = 'ApiCallError';
  }

  get code(): string {
    return this.error.code;
  }

  get field(): string | null {
    return this.error.field;
  }
}

/** The API could not be reached at all (refused connection, DNS, timeout). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
    super(`cannot reach Pakka at ${url} (${reason}); is it running (npm start)? Set --url or PAKKA_URL otherwise`, { cause });
    this.name = 'UnreachableError';
  }
}
