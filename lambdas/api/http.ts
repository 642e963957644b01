/** The API's responses: JSON bodies, and one error shape for every 4xx and 5xx. */
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface ApiErrorBody {
  code: string;
  message: string;
  /** The request field at fault (`participants[0].operations[1].amount`, `limit`, `Idempotency-Key`), null if none. */
  field: string | null;
}

/** A refusal the client can act on; anything else thrown by a route is a 500. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body, exactIntegers),
});

export const errorResponse = (error: ApiError): APIGatewayProxyResult =>
  jsonResponse(error.statusCode, { error: { code: error.code, message: error.message, field: error.field } satisfies ApiErrorBody }, error.headers);

/** What a 500 says: the detail goes to the log, never to the client. */
export const internalError = (): APIGatewayProxyResult =>
  errorResponse(new ApiError(500, 'INTERNAL_ERROR', 'the request failed on the server; it has been logged'));

/**
 * DynamoDB hands back an integer beyond 2^53 - 1 as a BigInt. Pakka never writes one (a credit that
 * would pass it votes LIMIT_EXCEEDED), but data from before that rule may hold one: it is answered
 * exactly, as a decimal string, rather than rounded or refused.
 */
function exactIntegers(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
