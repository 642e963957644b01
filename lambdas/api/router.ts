/**
 * The API as one Lambda handler: API Gateway proxy event in, proxy result out. API Gateway on AWS
 * and the local HTTP server both call this; neither holds any route logic of its own.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, errorResponse, internalError, jsonResponse } from './http.js';
import { listTransactions } from './listing.js';
import { type ObservabilitySource, eventsRoute, metricsRoute } from './observabilityRoutes.js';
import { getParticipantItem, listParticipants } from './participantRoutes.js';
import { requireJsonContentType, txnIdParam } from './request.js';
import { DEFAULT_WAIT, type WaitOptions, getTransaction, inspectTransaction, submitTransaction } from './transactionRoutes.js';
import type { TransactionService } from './transactionService.js';
import { resolveTransactionRoute, runRecovery } from './recoveryRoutes.js';
import type { RecoveryService } from '../recovery/recoveryService.js';

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** GET /health. */
export interface Health {
  status: 'ok';
  /** How many participants this API is configured with. */
  participants: number;
}

export interface ApiOptions {
  wait?: Partial<WaitOptions>;
  /** Where a 500's detail goes (the client only sees a generic error). */
  logError?: (message: string, detail: Record<string, unknown>) => void;
  /** POST /recovery/run and POST /transactions/{txnId}/resolve; without it they answer 503. */
  recovery?: RecoveryService;
  /** GET /metrics and GET /events (local mode); without it they answer 404 pointing to CloudWatch and EventBridge. */
  observability?: ObservabilitySource;
  /** Honour the Pakka-Fault request header (lambdas/request/coordinatorFault.ts); off: the header is refused with 400. */
  faultInjection?: boolean;
}

type Route = (event: APIGatewayProxyEvent, params: string[]) => Promise<APIGatewayProxyResult> | APIGatewayProxyResult;
interface RouteEntry {
  /** Path segments; `*` matches one segment, `**` the rest of the path (item keys may contain `/`). */
  pattern: string[];
  methods: Partial<Record<'GET' | 'POST', Route>>;
}

/**
 * API Gateway may hand over the path with or without percent-decoding; decoding each segment here
 * once gives the same segments either way (txnIds and item keys never contain `%`).
 */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function match(pattern: string[], segments: string[]): string[] | undefined {
  const params: string[] = [];
  for (const [i, part] of pattern.entries()) {
    if (part === '**') {
      if (segments.length <= i) return undefined;
      params.push(segments.slice(i).join('/'));
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part === '*') params.push(segment);
    else if (part !== segment) return undefined;
  }
  return segments.length === pattern.length ? params : undefined;
}

export function apiHandler(service: TransactionService, options: ApiOptions = {}): ApiHandler {
  const wait: WaitOptions = { ...DEFAULT_WAIT, ...options.wait };
  const logError = options.logError ?? ((message, detail) => console.error(JSON.stringify({ level: 'ERROR', message, ...detail })));
  const param = (params: string[], i: number) => params[i] ?? '';
  const routes: RouteEntry[] = [
    { pattern: ['health'], methods: { GET: () => jsonResponse(200, { status: 'ok', participants: service.config.size } satisfies Health) } },
    {
      pattern: ['transactions'],
      methods: { POST: (event) => submitTransaction(service, event, wait, options.faultInjection === true), GET: (event) => listTransactions(service, event) },
    },
    { pattern: ['transactions', '*'], methods: { GET: (_e, p) => getTransaction(service, txnIdParam(param(p, 0))) } },
    { pattern: ['transactions', '*', 'inspect'], methods: { GET: (_e, p) => inspectTransaction(service, txnIdParam(param(p, 0))) } },
    { pattern: ['transactions', '*', 'resolve'], methods: { POST: (e, p) => resolveTransactionRoute(options.recovery, service, e, txnIdParam(param(p, 0))) } },
    { pattern: ['recovery', 'run'], methods: { POST: () => runRecovery(options.recovery) } },
    { pattern: ['participants'], methods: { GET: () => listParticipants(service) } },
    { pattern: ['metrics'], methods: { GET: () => metricsRoute(options.observability) } },
    { pattern: ['events'], methods: { GET: (event) => eventsRoute(options.observability, event) } },
    { pattern: ['participants', '*', 'items', '**'], methods: { GET: (_e, p) => getParticipantItem(service, param(p, 0), param(p, 1)) } },
  ];

  return async (event) => {
    const segments = pathSegments(event.path ?? '/');
    try {
      for (const route of routes) {
        const params = match(route.pattern, segments);
        if (!params) continue;
        const handle = route.methods[event.httpMethod as keyof RouteEntry['methods']];
        if (!handle) {
          const allow = Object.keys(route.methods).join(', ');
          throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${event.httpMethod} is not allowed on ${event.path}; allowed: ${allow}`, null, { Allow: allow });
        }
        if (event.httpMethod === 'POST') requireJsonContentType(event);
        return await handle(event, params);
      }
      throw new ApiError(404, 'NOT_FOUND', `no route ${event.httpMethod} ${event.path}`);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      logError('request failed', {
        method: event.httpMethod,
        path: event.path,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
      return internalError();
    }
  };
}
