/**
 * What API Gateway does in front of the API Lambda, for the local server: an HTTP request becomes
 * a REST API proxy event, and the handler's proxy result becomes the HTTP response. Transport only.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { utf8Text } from '../lambdas/api/exactJson.js';
import { LIMITS } from '../lambdas/request/transactionRequest.js';

/**
 * Reads the body, keeping at most one byte more than the API accepts: enough for the handler to
 * refuse an oversize body with its own error, without buffering whatever a client sends.
 */
export async function readBody(request: IncomingMessage, maxBytes = LIMITS.maxBodyBytes + 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    if (size < maxBytes) chunks.push(buffer.subarray(0, maxBytes - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

export function proxyEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value; // API Gateway keeps the last value of a repeated parameter
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const method = request.method ?? 'GET';
  const now = Date.now();
  return {
    httpMethod: method,
    path: url.pathname,
    resource: '/{proxy+}',
    pathParameters: { proxy: url.pathname.slice(1) },
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length ? multiValueQuery : null,
    stageVariables: null,
    // As API Gateway does for bytes it cannot pass as text: base64, so the handler sees them as sent.
    body: body.length ? (utf8Text(body) ?? body.toString('base64')) : null,
    isBase64Encoded: body.length > 0 && utf8Text(body) === undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: {},
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}

export function sendResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'Content-Length': String(body.length) });
  response.end(body);
}
