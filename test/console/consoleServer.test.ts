/**
 * The local service's console and its guard on writes: pages under /console with a strict CSP, no
 * file outside the bundle, and state-changing calls refused when a browser marks them cross-origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../local/consoleAssets.js';
import { crossOriginWrite } from '../../local/loopbackGuard.js';
import type { LocalService } from '../../local/server.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';

let api: LocalService;
beforeAll(async () => {
  api = await startTestService({ recovery: { timer: false }, consoleLog: () => {} });
  await ensureConsoleBuilt();
}, 120_000);
afterAll(async () => api?.stop());

const credit = (key: string) => ({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key, amount: 5 }] }] });

describe('state-changing calls from another origin', () => {
  it('are refused with 403 when the browser says cross-site or same-site, and run nothing', async () => {
    const key = uniqueId('xo');
    const refused: Array<Record<string, string>> = [
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: 'http://evil.example' },
      { Origin: `http://localhost:${api.port + 1}` },
      { Origin: 'null' },
    ];
    for (const headers of refused) {
      const answer = await call(api.url, 'POST', '/transactions?wait=true', credit(key), headers);
      expect(answer).toMatchObject({ status: 403, body: { error: { code: 'CROSS_ORIGIN', field: 'Origin' } } });
    }
    expect((await call(api.url, 'GET', `/participants/payer-bank/items/${key}`)).status).toBe(404);
  });

  it('pass from the console itself, and from clients that are not browsers', async () => {
    const own = await call(api.url, 'POST', '/transactions?wait=true', credit(uniqueId('own')), {
      Origin: `http://localhost:${api.port}`,
      'Sec-Fetch-Site': 'same-origin',
    });
    expect(own).toMatchObject({ status: 200, body: { status: 'COMMITTED' } });
    expect((await call(api.url, 'POST', '/transactions?wait=true', credit(uniqueId('cli')))).status).toBe(200);
    expect(crossOriginWrite('GET', { 'sec-fetch-site': 'cross-site' }, '127.0.0.1', 3000)).toBe(false);
  });
});

describe('/console', () => {
  it('serves the page with a CSP that allows only its own scripts, and its assets', async () => {
    const response = await fetch(`${api.url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'.*frame-ancestors 'none'/);
    const html = await response.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${api.url}${script}`);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('never serves a file outside the bundle', async () => {
    for (const path of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/build.json', '/console/assets/..%2f..%2fvite.config.ts']) {
      const response = await fetch(`${api.url}${path}`);
      const text = await response.text();
      expect(text).not.toContain('"dependencies"');
      expect(text).not.toContain('sourceHash');
      expect(text).not.toContain('defineConfig');
    }
  });

  it('answers 405 to a write', async () => {
    const answer = await call(api.url, 'POST', '/console', {}, { Origin: `http://localhost:${api.port}` });
    expect(answer).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED' } } });
  });
});
