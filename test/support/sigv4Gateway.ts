/**
 * A stand-in for API Gateway with IAM authorization, for tests. Each request's SigV4 signature is
 * checked the way AWS does it, by signing the request as received again, with the same library and
 * the known credentials, and comparing the Authorization headers; the body is hashed as received, so
 * a changed body fails too. A request that passes goes, without its stage path, to the API handler.
 * Refusals are API Gateway's (403 MISSING_AUTHENTICATION_TOKEN, INCOMPLETE_SIGNATURE,
 * INVALID_SIGNATURE), in the `{error: {code, message, field}}` shape the stack's gateway responses give.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, createServer } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ApiHandler } from '../../lambdas/api/router.js';
import { proxyEvent, readBody, sendResult } from '../../local/apiGateway.js';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type Verdict = 'verified' | 'MISSING_AUTHENTICATION_TOKEN' | 'INCOMPLETE_SIGNATURE' | 'INVALID_SIGNATURE';

export interface GatewayRequest {
  method: string;
  path: string;
  verdict: Verdict;
}

export interface SignedGateway {
  /** The stage's base URL, as the stack output ApiUrl gives it (ending in `/v1/`). */
  url: string;
  /** Every request received, in order, with what the signature check said. */
  requests: GatewayRequest[];
  stop(): Promise<void>;
}

export interface SignedGatewayOptions {
  handler: ApiHandler;
  credentials: TestCredentials;
  region: string;
  stage?: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const MESSAGES: Record<Exclude<Verdict, 'verified'>, string> = {
  MISSING_AUTHENTICATION_TOKEN: 'Missing Authentication Token',
  INCOMPLETE_SIGNATURE: "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and 'X-Amz-Date'",
  INVALID_SIGNATURE:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Signs the request again as it arrived and says whether the client's signature is the same. */
async function verify(request: IncomingMessage, body: Buffer, signer: SignatureV4): Promise<Verdict> {
  const authorization = headerValue(request, 'authorization');
  if (authorization === undefined) return 'MISSING_AUTHENTICATION_TOKEN';
  const parsed = AUTHORIZATION.exec(authorization);
  const amzDate = AMZ_DATE.exec(headerValue(request, 'x-amz-date') ?? '');
  if (!parsed || !amzDate) return 'INCOMPLETE_SIGNATURE';
  const [, year, month, day, hour, minute, second] = amzDate.map(Number) as number[];
  const signingDate = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0));
  const signedHeaders = (parsed[5] ?? '').split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request, name);
    if (value === undefined) return 'INVALID_SIGNATURE';
    headers[name] = value;
  }
  // The payload hash comes from the body that arrived, never from what the client says it hashed.
  if ('x-amz-content-sha256' in headers) headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
  const rawUrl = request.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const query: Record<string, string> = {};
  if (queryAt >= 0) for (const [name, value] of new URLSearchParams(rawUrl.slice(queryAt + 1))) query[name] = value;
  const [hostname, port] = (headers.host ?? '').split(':');
  const resigned = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: hostname ?? '',
      ...(port ? { port: Number(port) } : {}),
      path: queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl,
      query,
      headers,
      ...(body.length ? { body: body.toString('utf8') } : {}),
    },
    { signingDate },
  );
  return resigned.headers.authorization === authorization ? 'verified' : 'INVALID_SIGNATURE';
}

export async function startSignedGateway(options: SignedGatewayOptions): Promise<SignedGateway> {
  const stage = options.stage ?? 'v1';
  // applyChecksum off: the check adds no header the client did not sign.
  const signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials: options.credentials, sha256: Sha256, applyChecksum: false });
  const requests: GatewayRequest[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const verdict = await verify(request, body, signer);
      const event = proxyEvent(request, body);
      requests.push({ method: event.httpMethod, path: event.path, verdict });
      if (verdict !== 'verified') {
        sendResult(response, {
          statusCode: 403,
          headers: {
            'Content-Type': 'application/json',
            'x-amzn-ErrorType': verdict === 'MISSING_AUTHENTICATION_TOKEN' ? 'MissingAuthenticationTokenException' : 'InvalidSignatureException',
          },
          body: JSON.stringify({ error: { code: verdict, message: MESSAGES[verdict], field: null } }),
        });
        return;
      }
      const prefix = `/${stage}`;
      if (event.path !== prefix && !event.path.startsWith(`${prefix}/`)) {
        sendResult(response, {
          statusCode: 403,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: { code: 'MISSING_AUTHENTICATION_TOKEN', message: MESSAGES.MISSING_AUTHENTICATION_TOKEN, field: null } }),
        });
        return;
      }
      const path = event.path.slice(prefix.length) || '/';
      sendResult(response, await options.handler({ ...event, path, requestContext: { ...event.requestContext, stage, path: event.path } }));
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: String(error), field: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/${stage}/`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
