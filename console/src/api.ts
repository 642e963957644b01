/**
 * Calls to Pakka's HTTP API from the page, on the page's own origin: the local service serves the
 * API beside the console, and `pakka console` proxies it (signing each call; no credential is here).
 */
import type { ApiErrorBody } from './apiTypes.js';

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
  ) {
    super(body?.error.message ?? `the API answered HTTP ${status}`);
    this.name = 'ApiCallError';
  }
  get code(): string | undefined {
    return this.body?.error.code;
  }
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body && typeof body === 'object' && 'error' in body ? (body as ApiErrorBody) : null;
    throw new ApiCallError(response.status, error);
  }
  return body as T;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(path, { headers: { Accept: 'application/json' }, ...(signal ? { signal } : {}) }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }),
  );
}

/** GET /metrics as text; on AWS it answers 404 naming CloudWatch, which the overview shows. */
export async function metricsText(signal?: AbortSignal): Promise<string> {
  const response = await fetch('/metrics', { headers: { Accept: 'text/plain' }, ...(signal ? { signal } : {}) });
  if (!response.ok) return answer<string>(response);
  return response.text();
}

export const txnPath = (txnId: string) => `/transactions/${encodeURIComponent(txnId)}`;
export const itemPath = (participant: string, key: string) =>
  `/participants/${encodeURIComponent(participant)}/items/${key.split('/').map(encodeURIComponent).join('/')}`;

/** The txnId the API derives from an Idempotency-Key (transactionIdFor): `idem-` and 40 characters of its SHA-256. */
export async function txnIdForIdempotencyKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  const base64 = btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return `idem-${base64.slice(0, 40)}`;
}
