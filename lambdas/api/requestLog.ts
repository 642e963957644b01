/**
 * One structured log line per API request, in the protocol's words: which transaction, which phase
 * (`begin` for a submission, `inspect` for a read, `recovery` for an operator's decision) and what
 * was done, so a CloudWatch Logs Insights filter on one txnId finds the API's part of the story.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { pathSegments } from './router.js';

export interface RequestLogFields {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  txnId?: string;
  phase: string;
  action: string;
}

function txnIdFromBody(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { txnId?: unknown; transaction?: { txnId?: unknown } };
    const id = parsed.txnId ?? parsed.transaction?.txnId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function requestLogFields(
  event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'>,
  result: APIGatewayProxyResult,
  durationMs: number,
): RequestLogFields {
  const segments = pathSegments(event.path ?? '/');
  const method = event.httpMethod;
  const [first, second, third] = segments;
  const named = first === 'transactions' && second !== undefined ? second : undefined;
  const base = { method, path: event.path, status: result.statusCode, durationMs };
  if (first === 'transactions' && method === 'POST' && second === undefined) {
    const txnId = txnIdFromBody(result.body);
    return { ...base, ...(txnId ? { txnId } : {}), phase: 'begin', action: 'submit' };
  }
  if (named !== undefined && third === 'resolve') return { ...base, txnId: named, phase: 'recovery', action: 'resolve' };
  if (named !== undefined) return { ...base, txnId: named, phase: 'inspect', action: third === 'inspect' ? 'inspect' : 'read' };
  if (first === 'recovery') return { ...base, phase: 'recovery', action: 'sweep' };
  return { ...base, phase: 'api', action: 'read' };
}
