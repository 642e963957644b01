/** Reads what a route needs from an API Gateway proxy event, the same way locally and on AWS. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LIMITS, TXN_ID_PATTERN, TXN_ID_RULE } from '../request/transactionRequest.js';
import { hasLoneSurrogate, parseExactJson, utf8Text } from './exactJson.js';
import { ApiError } from './http.js';

/** HTTP header names are case-insensitive; API Gateway passes them as the client spelled them. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

export function query(event: APIGatewayProxyEvent, name: string): string | undefined {
  return event.queryStringParameters?.[name] ?? undefined;
}

export function booleanQuery(event: APIGatewayProxyEvent, name: string): boolean {
  const value = query(event, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ApiError(400, 'INVALID_REQUEST', `${name} must be true or false`, name);
}

export function integerQuery(event: APIGatewayProxyEvent, name: string, min: number, max: number, fallback: number): number {
  const value = query(event, name);
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ApiError(400, 'INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}`, name);
  return n;
}

/**
 * Every POST must say it sends JSON. A web page can make a browser send a cross-site POST without a
 * CORS preflight only as text/plain, form-urlencoded or multipart, so refusing anything but JSON
 * keeps other sites from running transactions or recovery through a user's browser.
 */
export function requireJsonContentType(event: APIGatewayProxyEvent): void {
  const mediaType = header(event, 'Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', 'Content-Type');
  }
}

/**
 * The JSON body, refused before parsing when it is larger than the limit, and refused rather than
 * changed when its bytes are not UTF-8, a string holds a lone surrogate, or a number is not an exact
 * integer (see exactJson.ts). API Gateway passes a body as text or, for bytes, as base64; the local
 * server passes bytes that are not UTF-8 as base64 too, so this one check covers both.
 */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new ApiError(400, 'INVALID_REQUEST', 'body is required: a JSON transaction request', 'body');
  }
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > LIMITS.maxBodyBytes) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `body must be at most ${LIMITS.maxBodyBytes} bytes`, 'body');
  }
  const text = event.isBase64Encoded ? utf8Text(bytes) : event.body;
  if (text === undefined) throw new ApiError(400, 'INVALID_REQUEST', 'body is not valid UTF-8', 'body');
  if (hasLoneSurrogate(text)) throw new ApiError(400, 'INVALID_REQUEST', 'body contains a lone UTF-16 surrogate: text must be well-formed Unicode', 'body');
  const parsed = parseExactJson(text);
  if (!parsed.ok) throw new ApiError(400, 'INVALID_REQUEST', parsed.message, parsed.field);
  return parsed.value;
}

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKey(event: APIGatewayProxyEvent): string | undefined {
  const key = header(event, IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(400, 'INVALID_REQUEST', `${IDEMPOTENCY_KEY_HEADER} must be 1-255 visible ASCII characters`, IDEMPOTENCY_KEY_HEADER);
  }
  return key;
}

export function txnIdParam(value: string): string {
  if (!TXN_ID_PATTERN.test(value)) throw new ApiError(400, 'INVALID_REQUEST', `txnId ${TXN_ID_RULE}`, 'txnId');
  return value;
}
