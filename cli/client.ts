/**
 * A client of Pakka's HTTP API, for the CLI and the example scenarios. It speaks the same contract
 * locally and on AWS; the response types are the API's own.
 */
import type { ApiErrorBody } from '../lambdas/api/http.js';
import type { InspectedParticipant, TransactionStatus } from '../lambdas/api/transactionRoutes.js';
import type { OutcomeEvent } from '../lambdas/observability/transactionOutcome.js';
import type { TransactionTimeline } from '../lambdas/observability/transactionTimeline.js';
import type { CoordinatorLogItem, TransactionView } from '../lambdas/coordinator/coordinatorLog.js';
import type { SweepSummary } from '../lambdas/recovery/recoveryService.js';
import type { ResolveRequest } from '../lambdas/recovery/resolve.js';

export type { TransactionStatus };

export const DEFAULT_URL = 'http://localhost:3000';

export interface Inspection {
  transaction: TransactionStatus;
  log: CoordinatorLogItem | null;
  participants: InspectedParticipant[];
  /** Per phase and per participant; null while the transaction has no log item yet. */
  timeline?: TransactionTimeline | null;
}

export interface ParticipantInfo {
  name: string;
  kind: string;
  description: string;
  operations: string[];
  prepareTimeoutSeconds: number;
  commitTimeoutSeconds: number;
}

export interface TransactionList {
  transactions: TransactionView[];
  nextCursor: string | null;
}

export type Item = { participant: string; key: string; lockedBy?: string } & Record<string, unknown>;

export type { OutcomeEvent, SweepSummary };

/** What POST /transactions/{txnId}/resolve answers once the operator's decision is logged. */
export interface Resolved {
  txnId: string;
  decision: 'COMMIT' | 'ABORT';
  /** Every participant answered; otherwise recovery keeps delivering the decision. */
  final: boolean;
  phaseTwo?: string[];
  violations?: string[];
  errors?: string[];
  transaction?: TransactionView;
}

/** The API refused the request (4xx) or failed (5xx). */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiErrorBody,
  ) {
    super(error.message);
    this.name = 'ApiCallError';
  }
}

/** The API could not be reached at all. */
export class UnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach Pakka at ${url} (${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}); is it running (npm start)? Set --url or PAKKA_URL otherwise`);
    this.name = 'UnreachableError';
  }
}

export const FINAL = new Set(['COMMITTED', 'ABORTED']);
export const isFinal = (view: { status: string }) => FINAL.has(view.status);

export interface SubmitOptions {
  wait?: boolean;
  idempotencyKey?: string;
}

export type Submitted = { final: true; transaction: TransactionStatus } | { final: false; txnId: string; status: string };

export class PakkaClient {
  readonly url: string;

  constructor(url: string = DEFAULT_URL) {
    this.url = url.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new UnreachableError(this.url, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiCallError(response.status, { code: 'NOT_JSON', message: `${method} ${path} answered ${response.status} with a body that is not JSON`, field: null });
    }
    if (response.status >= 400) {
      const error = (parsed as { error?: ApiErrorBody }).error;
      throw new ApiCallError(response.status, error ?? { code: `HTTP_${response.status}`, message: `${method} ${path} answered ${response.status}`, field: null });
    }
    return { status: response.status, body: parsed as T };
  }

  /** Submits a request body (JSON text, sent as is so the server judges it). */
  async submit(body: string, options: SubmitOptions = {}): Promise<Submitted> {
    const headers = options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : undefined;
    const answer = await this.request<TransactionStatus & { txnId: string; status: string }>('POST', `/transactions${options.wait ? '?wait=true' : ''}`, body, headers);
    if (answer.status === 200 || (options.wait && isFinal(answer.body))) return { final: true, transaction: answer.body };
    return { final: false, txnId: answer.body.txnId, status: answer.body.status };
  }

  /** Submits and follows the transaction to its end (or until `timeoutMs`). */
  async run(body: unknown, options: Omit<SubmitOptions, 'wait'> & { timeoutMs?: number } = {}): Promise<TransactionStatus> {
    const submitted = await this.submit(typeof body === 'string' ? body : JSON.stringify(body), { ...options, wait: true });
    if (submitted.final) return submitted.transaction;
    return this.waitFor(submitted.txnId, options.timeoutMs);
  }

  async waitFor(txnId: string, timeoutMs = 120_000): Promise<TransactionStatus> {
    const deadline = Date.now() + timeoutMs;
    let pause = 50;
    for (;;) {
      const view = await this.transaction(txnId);
      if (isFinal(view) || Date.now() > deadline) return view;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 1000);
    }
  }

  async transaction(txnId: string): Promise<TransactionStatus> {
    return (await this.request<TransactionStatus>('GET', `/transactions/${encodeURIComponent(txnId)}`)).body;
  }

  async inspect(txnId: string): Promise<Inspection> {
    return (await this.request<Inspection>('GET', `/transactions/${encodeURIComponent(txnId)}/inspect`)).body;
  }

  async list(options: { status?: string; limit?: number; cursor?: string } = {}): Promise<TransactionList> {
    const query = new URLSearchParams();
    if (options.status) query.set('status', options.status);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.size ? `?${query}` : '';
    return (await this.request<TransactionList>('GET', `/transactions${suffix}`)).body;
  }

  /** The item, or undefined if the participant has none under that key. */
  async item(participant: string, key: string): Promise<Item | undefined> {
    try {
      return (await this.request<Item>('GET', `/participants/${encodeURIComponent(participant)}/items/${encodeURIComponent(key)}`)).body;
    } catch (error) {
      if (error instanceof ApiCallError && error.error.code === 'ITEM_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async participants(): Promise<ParticipantInfo[]> {
    return (await this.request<{ participants: ParticipantInfo[] }>('GET', '/participants')).body.participants;
  }

  /** Runs one recovery sweep now (it still leaves alone what its coordinator may finish). */
  async recover(): Promise<SweepSummary> {
    return (await this.request<SweepSummary>('POST', '/recovery/run', '{}')).body;
  }

  /** Logs an operator's decision for a stuck transaction and drives it. */
  async resolve(txnId: string, request: ResolveRequest): Promise<Resolved> {
    return (await this.request<Resolved>('POST', `/transactions/${encodeURIComponent(txnId)}/resolve`, JSON.stringify(request))).body;
  }

  /** GET /metrics: Prometheus text (local service); on AWS the API answers 404 pointing to CloudWatch. */
  async metricsText(): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new UnreachableError(this.url, error);
    }
    const text = await response.text();
    if (response.status >= 400) {
      let error: ApiErrorBody | undefined;
      try {
        error = (JSON.parse(text) as { error?: ApiErrorBody }).error;
      } catch {
        // not the API's error shape
      }
      throw new ApiCallError(response.status, error ?? { code: `HTTP_${response.status}`, message: `GET /metrics answered ${response.status}`, field: null });
    }
    return text;
  }

  /** The most recent outcome events, newest first. */
  async events(limit?: number): Promise<OutcomeEvent[]> {
    const suffix = limit === undefined ? '' : `?limit=${limit}`;
    return (await this.request<{ events: OutcomeEvent[] }>('GET', `/events${suffix}`)).body.events;
  }

  async health(): Promise<{ status: string }> {
    return (await this.request<{ status: string }>('GET', '/health')).body;
  }
}
