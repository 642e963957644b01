/**
 * The guard in front of every server Pakka runs on this machine (the local service, `pakka console`):
 * a request must name this server in its Host, and a state-changing request must not come from
 * another site's page. A browser is the only client that can be tricked into sending either.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = ['0.0.0.0', '::', ''];

/**
 * DNS rebinding: a web page whose own name resolves to 127.0.0.1 reaches this server with its own
 * name in Host. Only the loopback names (and the address the server was explicitly bound to) are ours.
 */
export function allowedHost(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (hostHeader === undefined) return false;
  const names = WILDCARD_HOSTS.includes(boundHost) ? LOOPBACK_NAMES : [...LOOPBACK_NAMES, boundHost.includes(':') ? `[${boundHost}]` : boundHost];
  return names.some((name) => hostHeader.toLowerCase() === `${name.toLowerCase()}:${port}`);
}

/**
 * A state-changing request the browser marks as coming from another site (or another port of this
 * machine): refused even with the JSON content type, which a page elsewhere can send with CORS
 * preflight. Clients that are not browsers send neither header, and pass.
 */
export function crossOriginWrite(method: string | undefined, headers: IncomingHttpHeaders, boundHost: string, port: number): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = headers.origin;
  if (origin === undefined) return false;
  try {
    const url = new URL(origin);
    return url.protocol !== 'http:' || !allowedHost(url.host, boundHost, port);
  } catch {
    return true;
  }
}

export interface GuardedRequest {
  method?: string | undefined;
  headers: IncomingHttpHeaders;
}

const refusal = (statusCode: number, code: string, message: string, field: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ error: { code, message, field } }),
});

/**
 * The answer that refuses `request`, or undefined when it may pass: `421 MISDIRECTED_REQUEST` for a
 * Host that is not this server, `403 CROSS_ORIGIN` for a write from another site's page. `pages` names
 * whose pages may write, for the message ("this server's own pages").
 */
export function loopbackRefusal(request: GuardedRequest, boundHost: string, port: number, pages: string): APIGatewayProxyResult | undefined {
  if (!allowedHost(request.headers.host, boundHost, port)) {
    return refusal(421, 'MISDIRECTED_REQUEST', `Host must be localhost:${port}, 127.0.0.1:${port} or [::1]:${port}`, 'Host');
  }
  if (crossOriginWrite(request.method, request.headers, boundHost, port)) {
    return refusal(403, 'CROSS_ORIGIN', `a state-changing request must come from ${pages} (Origin http://localhost:${port})`, 'Origin');
  }
  return undefined;
}
