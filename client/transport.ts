/**
 * One exchange with the API: the URL under the base (a deployed API's stage path included), the
 * signature when the client signs, and the answer's error body turned into an ApiCallError.
 */
import type { ApiErrorBody } from '../lambdas/api/http.js';
import type { ResolveRefused } from '../lambdas/api/recoveryRoutes.js';
import { ApiCallError, UnreachableError } from './errors.js';
import type { RequestSigner } from './sigv4.js';

export interface Exchange {
  method: 'GET' | 'POST';
  /** Under the base URL, starting with `/`; each segment already percent-encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  /** JSON text, sent as is. */
  body?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export interface TransportOptions {
  /** Signs each request (the deployed API); without it, plain HTTP (the local service). */
  signer?: RequestSigner;
  timeoutMs?: number;
}

/** RFC 3986, as SigV4 encodes the query it signs (URLSearchParams would send a space as `+`). */
const queryString = (query: Record<string, string | undefined>) =>
  Object.entries(query)
    .flatMap(([name, value]) => (value === undefined ? [] : [`${encodeURIComponent(name)}=${encodeURIComponent(value)}`]))
    .join('&');

export class Transport {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly options: TransportOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get signs(): boolean {
    return this.options.signer !== undefined;
  }

  /** The raw answer, whatever its status. */
  async send(exchange: Exchange): Promise<Answer> {
    const search = exchange.query ? queryString(exchange.query) : '';
    const url = new URL(`${this.baseUrl}${exchange.path}${search ? `?${search}` : ''}`);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(exchange.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...exchange.headers,
    };
    if (this.options.signer)
      headers = await this.options.signer({ method: exchange.method, url, headers, ...(exchange.body !== undefined ? { body: exchange.body } : {}) });
    let response: Response;
    try {
      response = await fetch(url, {
        method: exchange.method,
        headers,
        ...(exchange.body !== undefined ? { body: exchange.body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new UnreachableError(this.baseUrl, error);
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  /** A JSON answer below 400; anything else becomes an ApiCallError carrying the API's error body. */
  async json<T>(exchange: Exchange): Promise<{ status: number; body: T }> {
    const answer = await this.send(exchange);
    if (answer.status >= 400) throw callError(exchange, answer);
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      throw new ApiCallError(answer.status, {
        code: 'NOT_JSON',
        message: `${exchange.method} ${exchange.path} answered ${answer.status} with a body that is not JSON`,
        field: null,
      });
    }
    return { status: answer.status, body: body as T };
  }

  /** A text answer below 400 (GET /metrics). */
  async text(exchange: Exchange): Promise<string> {
    const answer = await this.send(exchange);
    if (answer.status >= 400) throw callError(exchange, answer);
    return answer.text;
  }
}

/** The error body of a refusal, or a stand-in naming the status when the body is not the API's shape. */
export function callError(exchange: Pick<Exchange, 'method' | 'path'>, answer: Answer): ApiCallError {
  let parsed: Partial<ResolveRefused> | undefined;
  try {
    parsed = JSON.parse(answer.text) as Partial<ResolveRefused>;
  } catch {
    // not JSON: a proxy's HTML page, say
  }
  const error = parsed?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const body: ApiErrorBody = { code: error.code, message: error.message, field: typeof error.field === 'string' ? error.field : null };
    return new ApiCallError(answer.status, body, parsed?.logged);
  }
  // API Gateway's default answers are `{"message": "..."}`, e.g. before the stack's gateway responses exist.
  const message = typeof (parsed as { message?: unknown } | undefined)?.message === 'string' ? (parsed as { message: string }).message : undefined;
  return new ApiCallError(answer.status, {
    code: `HTTP_${answer.status}`,
    message: message ?? `${exchange.method} ${exchange.path} answered ${answer.status}`,
    field: null,
  });
}
