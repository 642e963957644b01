/**
 * `pakka console`'s proxy against a stand-in for the deployed API that checks SigV4 itself: it
 * signs each request it receives again, with the same library and the same credentials, and
 * refuses (403, as API Gateway does) any whose signature differs. Over real HTTP on loopback.
 */
import { type IncomingHttpHeaders, type Server, createServer, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleProxy, startConsoleProxy, targetUrl } from '../../cli/consoleCommand.js';
import { executeApiRegion, sigv4Signer } from '../../client/sigv4.js';
import { signatureValid } from '../support/sigv4Verify.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-example' };
const REGION = 'eu-west-1';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

const verify = (method: string, url: URL, headers: IncomingHttpHeaders, body: string) =>
  signatureValid({ service: 'execute-api', region: REGION, credentials: CREDENTIALS }, method, url, headers, body);

let api: Server;
let apiUrl = '';
const received: Received[] = [];
let proxy: ConsoleProxy;

beforeAll(async () => {
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        const signatureValid = await verify(req.method ?? 'GET', url, req.headers, body);
        received.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, headers: req.headers, body, signatureValid });
        if (!signatureValid) {
          res.writeHead(403, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Internal': 'not for the browser' });
        res.end(JSON.stringify({ echo: { method: req.method, path: url.pathname, query: url.search, body } }));
      })();
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const address = api.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/prod`;
  proxy = await startConsoleProxy({ apiUrl, port: 0, signer: sigv4Signer({ region: REGION, credentials: CREDENTIALS }) });
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise<void>((resolve) => api?.close(() => resolve()));
});

function send(
  path: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path, method, headers: { Host: `localhost:${proxy.port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('pakka console proxies the API with SigV4', () => {
  it('signs a GET the API accepts, keeping the stage path and the query', async () => {
    const before = received.length;
    const answer = await send('/transactions?status=PREPARING&limit=5', 'GET', { Accept: 'application/json', Cookie: 'session=browser-secret' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ echo: { method: 'GET', path: '/prod/transactions', query: '?status=PREPARING&limit=5', body: '' } });
    const seen = received[before];
    expect(seen).toMatchObject({ signatureValid: true, path: '/prod/transactions?status=PREPARING&limit=5' });
    expect(seen?.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(seen?.headers.cookie).toBeUndefined();
    expect(answer.headers['x-internal']).toBeUndefined();
  });

  it('signs a same-origin JSON POST with its body, and passes none of the browser headers on', async () => {
    const before = received.length;
    const body = JSON.stringify({ decision: 'ABORT', operator: 'oncall', reason: 'coordinator gone' });
    const answer = await send(
      '/transactions/t-1/resolve',
      'POST',
      {
        'Content-Type': 'application/json',
        Origin: `http://localhost:${proxy.port}`,
        'Sec-Fetch-Site': 'same-origin',
        Authorization: 'Bearer from-the-browser',
      },
      body,
    );
    expect(answer.status).toBe(200);
    const seen = received[before];
    expect(seen).toMatchObject({ method: 'POST', signatureValid: true, body });
    expect(seen?.headers.origin).toBeUndefined();
    expect(seen?.headers['sec-fetch-site']).toBeUndefined();
    expect(seen?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
  });

  it('the stand-in API does refuse a request signed with other credentials', async () => {
    const wrong = await startConsoleProxy({
      apiUrl,
      port: 0,
      signer: sigv4Signer({ region: REGION, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } }),
    });
    try {
      const response = await fetch(`${wrong.url}/transactions`);
      expect(response.status).toBe(403);
      expect(received.at(-1)?.signatureValid).toBe(false);
    } finally {
      await wrong.stop();
    }
  });

  it('says so when it has no credentials to sign with, and sends nothing', async () => {
    const before = received.length;
    const unsigned = await startConsoleProxy({ apiUrl, port: 0, signer: () => Promise.reject(new Error('Could not load credentials from any providers')) });
    try {
      const response = await fetch(`${unsigned.url}/transactions`);
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ error: { code: 'NO_AWS_CREDENTIALS' } });
      expect(received.length).toBe(before);
    } finally {
      await unsigned.stop();
    }
  });

  it('refuses a cross-site write and another Host, and sends nothing to the API', async () => {
    const before = received.length;
    const crossSite = await send('/transactions/t-1/resolve', 'POST', { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }, '{}');
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toMatchObject({ error: { code: 'CROSS_ORIGIN', field: 'Origin' } });
    const otherOrigin = await send('/recovery/run', 'POST', { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, '{}');
    expect(otherOrigin.status).toBe(403);
    const rebound = await send('/transactions', 'GET', { Host: `evil.example:${proxy.port}` });
    expect(rebound.status).toBe(421);
    expect(received.length).toBe(before);
  });

  it('serves the console itself and the state machine definition, with a strict CSP', async () => {
    const page = await send('/console', 'GET', {});
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<div id="app">');
    const asl = await send('/console/statemachine.json', 'GET', {});
    expect(JSON.parse(asl.body)).toHaveProperty('StartAt');
  });
});

describe('the API URL', () => {
  it('names its region in an execute-api host', () => {
    expect(executeApiRegion(new URL('https://abc123.execute-api.ap-south-1.amazonaws.com/prod'))).toBe('ap-south-1');
    expect(executeApiRegion(new URL('http://localhost:3000'))).toBeUndefined();
  });

  it('keeps its stage path before the request path', () => {
    expect(targetUrl('https://x.execute-api.eu-west-1.amazonaws.com/prod/', '/transactions/a?limit=2').toString()).toBe(
      'https://x.execute-api.eu-west-1.amazonaws.com/prod/transactions/a?limit=2',
    );
    expect(targetUrl('https://api.example.com', '/metrics').toString()).toBe('https://api.example.com/metrics');
  });
});
