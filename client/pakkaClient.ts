/**
 * A typed client of Pakka's HTTP API. The same calls work against the local service (plain HTTP)
 * and the deployed API (every request signed with SigV4); the answer types are the API's own.
 */
import { type CoordinatorFault, FAULT_HEADER } from '../lambdas/request/coordinatorFault.js';
import { isFinal } from '../lambdas/coordinatorLog/coordinatorLog.js';
import type {
  Accepted,
  EventList,
  Health,
  Inspection,
  ItemView,
  ListStatus,
  OutcomeEvent,
  ParticipantInfo,
  ResolveRequest,
  Resolved,
  SweepRun,
  SweepStarted,
  SweepSummary,
  TransactionList,
  TransactionRequestBody,
  TransactionStatus,
  TxnStatus,
} from './answers.js';
import { ApiCallError } from './errors.js';
import { type RequestSigner, type SigV4Options, executeApiRegion, sigv4Signer } from './sigv4.js';
import { Transport } from './transport.js';

export const DEFAULT_URL = 'http://localhost:3000';

export interface PakkaClientOptions {
  /**
   * `auto` (default): sign when the URL is an API Gateway endpoint (`*.execute-api.<region>.amazonaws.com`),
   * with the region it names. Options: always sign, with that region (a custom domain name). A signer:
   * sign with it. `false`: never sign.
   */
  sigv4?: 'auto' | false | SigV4Options | RequestSigner;
  /** Per request; `?wait=true` alone may take 25 s. */
  timeoutMs?: number;
}

export interface SubmitOptions {
  /** Wait (up to 25 s on the server) for the outcome. */
  wait?: boolean;
  idempotencyKey?: string;
  /** Ask the coordinator to stop after prepare (a deployment with fault injection only; otherwise 400). */
  fault?: CoordinatorFault;
}

export type Submitted = { final: true; transaction: TransactionStatus } | { final: false; txnId: string; status: TxnStatus };

export interface ListOptions {
  /** A status, or OPEN: every transaction not final (PREPARING, COMMITTING, ABORTING), oldest first. */
  status?: ListStatus;
  limit?: number;
  cursor?: string;
}

function signerFor(url: string, sigv4: PakkaClientOptions['sigv4'] = 'auto'): RequestSigner | undefined {
  if (sigv4 === false) return undefined;
  if (typeof sigv4 === 'function') return sigv4;
  if (sigv4 !== 'auto') return sigv4Signer(sigv4);
  const region = executeApiRegion(url);
  return region ? sigv4Signer({ region }) : undefined;
}

const segment = encodeURIComponent;

export class PakkaClient {
  readonly url: string;
  private readonly transport: Transport;

  constructor(url: string = DEFAULT_URL, options: PakkaClientOptions = {}) {
    this.transport = new Transport(url, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...((s) => (s ? { signer: s } : {}))(signerFor(url, options.sigv4)),
    });
    this.url = this.transport.baseUrl;
  }

  /** Whether requests are signed with SigV4. */
  get signs(): boolean {
    return this.transport.signs;
  }

  /** Submits a request (an object, or JSON text sent as is so the server judges it). */
  async submit(body: TransactionRequestBody | string, options: SubmitOptions = {}): Promise<Submitted> {
    const answer = await this.transport.json<TransactionStatus | Accepted>({
      method: 'POST',
      path: '/transactions',
      query: { wait: options.wait ? 'true' : undefined },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: {
        ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
        ...(options.fault ? { [FAULT_HEADER]: options.fault } : {}),
      },
    });
    // 200 is final; with ?wait=true a 202 is the transaction still running, without it just {txnId, status}.
    if (options.wait && 'participants' in answer.body && (answer.status === 200 || isFinal(answer.body))) return { final: true, transaction: answer.body };
    return { final: false, txnId: answer.body.txnId, status: answer.body.status };
  }

  /** Submits and follows the transaction to its end (or until `timeoutMs`). */
  async run(body: TransactionRequestBody | string, options: Omit<SubmitOptions, 'wait'> & { timeoutMs?: number } = {}): Promise<TransactionStatus> {
    const { timeoutMs, ...submit } = options;
    const submitted = await this.submit(body, { ...submit, wait: true });
    if (submitted.final) return submitted.transaction;
    return this.waitFor(submitted.txnId, timeoutMs);
  }

  /** Reads the transaction until it is final or `timeoutMs` has passed; returns the last view. */
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

  /** GET /transactions/{txnId}. */
  async transaction(txnId: string): Promise<TransactionStatus> {
    return (await this.transport.json<TransactionStatus>({ method: 'GET', path: `/transactions/${segment(txnId)}` })).body;
  }

  async inspect(txnId: string): Promise<Inspection> {
    return (await this.transport.json<Inspection>({ method: 'GET', path: `/transactions/${segment(txnId)}/inspect` })).body;
  }

  /** One page, newest first (a status not final, or OPEN: oldest first); pass `nextCursor` back as `cursor` for the next. */
  async list(options: ListOptions = {}): Promise<TransactionList> {
    const query = { status: options.status, limit: options.limit === undefined ? undefined : String(options.limit), cursor: options.cursor };
    return (await this.transport.json<TransactionList>({ method: 'GET', path: '/transactions', query })).body;
  }

  /** The item, or undefined if the participant has none under that key. */
  async item(participant: string, key: string): Promise<ItemView | undefined> {
    try {
      // A key's own `/` is sent as %2F: one path segment, which no signer or proxy normalizes away (`a//b`, `./x`).
      return (await this.transport.json<ItemView>({ method: 'GET', path: `/participants/${segment(participant)}/items/${segment(key)}` })).body;
    } catch (error) {
      if (error instanceof ApiCallError && error.code === 'ITEM_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async participants(): Promise<ParticipantInfo[]> {
    return (await this.transport.json<{ participants: ParticipantInfo[] }>({ method: 'GET', path: '/participants' })).body.participants;
  }

  /**
   * Runs one recovery sweep now (it still leaves alone what its coordinator may finish). The local
   * service answers the sweep's counts; the deployed API starts it in the background and says where to follow it.
   */
  async recover(): Promise<SweepRun> {
    const answer = await this.transport.json<SweepSummary | SweepStarted>({ method: 'POST', path: '/recovery/run', body: '{}' });
    const body = answer.body;
    return answer.status === 202 && 'status' in body ? { kind: 'started', started: body } : { kind: 'finished', summary: body as SweepSummary };
  }

  /** Logs an operator's decision for a stuck transaction and drives it; a refusal's ApiCallError carries the decision already logged. */
  async resolve(txnId: string, request: ResolveRequest): Promise<Resolved> {
    return (await this.transport.json<Resolved>({ method: 'POST', path: `/transactions/${segment(txnId)}/resolve`, body: JSON.stringify(request) })).body;
  }

  /** GET /metrics: Prometheus text (local service); on AWS the API answers 404 pointing to CloudWatch. */
  async metricsText(): Promise<string> {
    return this.transport.text({ method: 'GET', path: '/metrics' });
  }

  /** The most recent outcome events, newest first (local service; on AWS 404 pointing to EventBridge). */
  async events(limit?: number): Promise<OutcomeEvent[]> {
    return (await this.transport.json<EventList>({ method: 'GET', path: '/events', query: { limit: limit === undefined ? undefined : String(limit) } })).body
      .events;
  }

  async health(): Promise<Health> {
    return (await this.transport.json<Health>({ method: 'GET', path: '/health' })).body;
  }
}
