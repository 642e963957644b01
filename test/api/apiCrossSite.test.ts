/**
 * Review findings on the local HTTP API: cross-site "simple" POSTs, DNS rebinding through the Host
 * header, and forged listing cursors. Over real HTTP against the local service.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedHost } from '../../local/loopbackGuard.js';
import type { LocalService } from '../../local/server.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';

interface ErrorBody {
  error: { code: string; message: string; field: string | null };
}

let api: LocalService;
beforeAll(async () => {
  api = await startTestService({ recovery: { timer: false } });
});
afterAll(async () => api?.stop());

const transfer = (key: string) => JSON.stringify({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key, amount: 7 }] }] });

/** A raw HTTP/1.1 request, so the Host header can be anything (fetch always sends the URL's). */
function rawRequest(path: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST needs Content-Type: application/json', () => {
  for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    it(`refuses ${contentType} with 415 and runs nothing`, async () => {
      const key = uniqueId('cs');
      const answer = await call<ErrorBody>(api.url, 'POST', '/transactions?wait=true', transfer(key), { 'Content-Type': contentType });
      expect(answer).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' } } });
      expect((await call(api.url, 'GET', `/participants/payer-bank/items/${key}`)).status).toBe(404);
      const recovery = await call<ErrorBody>(api.url, 'POST', '/recovery/run', '', { 'Content-Type': contentType });
      expect(recovery).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' } } });
    });
  }

  it('refuses a POST with no Content-Type at all', async () => {
    const response = await fetch(`${api.url}/recovery/run`, { method: 'POST' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' } });
  });

  it('accepts application/json with parameters, in any case, and an empty JSON POST', async () => {
    const key = uniqueId('ok');
    const answer = await call<{ status: string }>(api.url, 'POST', '/transactions?wait=true', transfer(key), {
      'Content-Type': 'Application/JSON; charset=utf-8',
    });
    expect(answer).toMatchObject({ status: 200, body: { status: 'COMMITTED' } });
    const response = await fetch(`${api.url}/recovery/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(200);
  });
});

describe('the local server answers only to its own Host', () => {
  it('refuses another name (DNS rebinding) and a missing Host, and runs nothing', async () => {
    const key = uniqueId('rb');
    for (const host of [`evil.example:${api.port}`, 'localhost', `localhost:${api.port + 1}`, `localhost.evil.example:${api.port}`]) {
      const answer = await rawRequest('/transactions?wait=true', 'POST', { Host: host, 'Content-Type': 'application/json' }, transfer(key));
      expect(answer).toMatchObject({ status: 421, body: { error: { code: 'MISDIRECTED_REQUEST', field: 'Host' } } });
    }
    expect((await rawRequest('/health', 'GET', { Host: `evil.example:${api.port}` })).status).toBe(421);
    expect((await call(api.url, 'GET', `/participants/payer-bank/items/${key}`)).status).toBe(404);
    expect(allowedHost(undefined, '127.0.0.1', api.port)).toBe(false);
  });

  it('answers localhost, 127.0.0.1 and [::1] on its port', async () => {
    for (const host of [`localhost:${api.port}`, `127.0.0.1:${api.port}`, `[::1]:${api.port}`, `LOCALHOST:${api.port}`]) {
      expect(await rawRequest('/health', 'GET', { Host: host })).toMatchObject({ status: 200, body: { status: 'ok' } });
    }
  });
});

describe('a forged listing cursor', () => {
  const forged = (filter: string, positions: Record<string, unknown>) =>
    encodeURIComponent(Buffer.from(JSON.stringify({ v: 2, filter, positions })).toString('base64url'));
  const at = '2026-01-01T00:00:00.000Z';

  it('answers 400 on the cursor, not 500 or items outside the filter', async () => {
    const cases = [
      ['status=COMMITTED&', forged('COMMITTED', { 'COMMITTED#0': { txnId: '', statusPartition: 'COMMITTED#0', createdAt: 'x' } })],
      ['status=COMMITTED&', forged('COMMITTED', { 'COMMITTED#0': { txnId: 'a'.repeat(3000), statusPartition: 'COMMITTED#0', createdAt: at } })],
      ['status=COMMITTED&', forged('COMMITTED', { 'ABORTED#0': 'start' })],
      ['', forged('ALL', { 'COMMITTED#0': { txnId: 'ok', statusPartition: 'COMMITTED#0', createdAt: 'yesterday' } })],
    ] as const;
    for (const [filter, cursor] of cases) {
      const answer = await call<ErrorBody>(api.url, 'GET', `/transactions?${filter}cursor=${cursor}`);
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'cursor' } } });
    }
  });

  it('still pages with a well-formed cursor', async () => {
    const answer = await call(
      api.url,
      'GET',
      `/transactions?status=COMMITTED&cursor=${forged('COMMITTED', { 'COMMITTED#0': { txnId: 'zzz', statusPartition: 'COMMITTED#0', createdAt: at } })}`,
    );
    expect(answer).toMatchObject({ status: 200, body: { nextCursor: null } });
  });
});
