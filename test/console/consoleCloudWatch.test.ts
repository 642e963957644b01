/**
 * The console's charts on AWS: `pakka console`'s proxy asks CloudWatch for the charts' figures with
 * GetMetricData, signed with SigV4 for CloudWatch (signing name `monitoring`). Against a local
 * stand-in for CloudWatch's endpoint that checks the request's shape as CloudWatch's Query protocol
 * has it (Action, Version, MetricDataQueries.member.N...) and its signature (it signs the request
 * again with the same credentials and refuses a difference, as CloudWatch does), and answers in
 * CloudWatch's XML. No real AWS.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer, request } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUDWATCH_SERVICE, parseGetMetricData } from '../../cli/cloudWatch.js';
import { type ConsoleProxy, startConsoleProxy } from '../../cli/consoleCommand.js';
import { sigv4Signer } from '../../client/sigv4.js';
import { CLOUDWATCH_PATH } from '../../console/src/cloudWatchPath.js';
import { CLOUDWATCH_PERIOD_SECONDS, seriesFromResults, seriesRequest } from '../../console/src/cloudWatchSeries.js';
import { PHASES } from '../../console/src/liveMetrics.js';
import { signatureValid } from '../support/sigv4Verify.js';
import { ON_CI } from '../support/tools.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-example' };
const REGION = 'eu-west-1';
const NOW = Date.parse('2026-12-07T08:30:20.000Z');
const T0 = '2026-12-07T08:27:00Z';
const T1 = '2026-12-07T08:28:00Z';

const xmlError = (code: string, message: string) =>
  `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;

/** One result per query Id: two minutes of data, the second page holding the second minute. */
function xmlAnswer(ids: string[], page: 1 | 2): string {
  const value = (id: string, minute: number) => (id === 'started' ? 120 + minute * 60 : id === 'committed' ? 90 : id === 'aborted' ? 30 : 10 + minute);
  const member = (id: string) => {
    const [t, minute] = page === 1 ? [T0, 0] : [T1, 1];
    return `<member><Timestamps><member>${t}</member></Timestamps><Label>${id}</Label><Id>${id}</Id><Values><member>${value(id, minute)}.0</member></Values><StatusCode>Complete</StatusCode></member>`;
  };
  return `<?xml version="1.0"?><GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult><MetricDataResults>${ids.map(member).join('')}</MetricDataResults>${page === 1 ? '<NextToken>page&amp;2</NextToken>' : ''}<Messages/></GetMetricDataResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetMetricDataResponse>`;
}

interface Seen {
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  signatureValid: boolean;
}

let cloudWatch: Server;
let endpoint: URL;
const seen: Seen[] = [];
let proxy: ConsoleProxy;

beforeAll(async () => {
  cloudWatch = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        const valid = await signatureValid({ service: CLOUDWATCH_SERVICE, region: REGION, credentials: CREDENTIALS }, req.method ?? '', url, req.headers, body);
        const params = new URLSearchParams(body);
        seen.push({ params, headers: req.headers, signatureValid: valid });
        const reply = (status: number, xml: string) => {
          res.writeHead(status, { 'Content-Type': 'text/xml' });
          res.end(xml);
        };
        if (!valid) return reply(403, xmlError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'));
        if (req.method !== 'POST' || url.pathname !== '/' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
          return reply(400, xmlError('InvalidAction', 'a Query-protocol POST to / is expected'));
        }
        if (params.get('Action') !== 'GetMetricData' || params.get('Version') !== '2010-08-01')
          return reply(400, xmlError('InvalidAction', 'not GetMetricData'));
        const ids = [...params].filter(([k]) => /^MetricDataQueries\.member\.\d+\.Id$/.test(k)).map(([, v]) => v);
        reply(200, xmlAnswer(ids, params.get('NextToken') === 'page&2' ? 2 : 1));
      })();
    });
  });
  await new Promise<void>((resolve) => cloudWatch.listen(0, '127.0.0.1', resolve));
  const address = cloudWatch.address();
  endpoint = new URL(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
  proxy = await startConsoleProxy({
    apiUrl: 'http://127.0.0.1:9/prod',
    port: 0,
    signer: sigv4Signer({ region: REGION, credentials: CREDENTIALS }),
    cloudWatch: { endpoint, signer: sigv4Signer({ region: REGION, service: CLOUDWATCH_SERVICE, credentials: CREDENTIALS }) },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise<void>((resolve) => cloudWatch?.close(() => resolve()));
});

function post(path: string, body: string, target = proxy): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path,
        method: 'POST',
        headers: {
          Host: `localhost:${target.port}`,
          Origin: `http://localhost:${target.port}`,
          'Sec-Fetch-Site': 'same-origin',
          'Content-Type': 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe("the console's charts from CloudWatch", () => {
  it('asks GetMetricData for the Pakka namespace with the dimensions the functions emit, signed for CloudWatch, every page followed', async () => {
    const before = seen.length;
    const answer = await post(CLOUDWATCH_PATH, JSON.stringify(seriesRequest(NOW)));
    expect(answer.status).toBe(200);
    // Two pages: NextToken was followed.
    expect(seen.length - before).toBe(2);
    const [first, second] = seen.slice(before) as [Seen, Seen];
    expect(first.signatureValid && second.signatureValid).toBe(true);
    expect(first.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/monitoring\/aws4_request/);
    expect(first.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(second.params.get('NextToken')).toBe('page&2');
    const p = first.params;
    expect(p.get('StartTime')).toBe('2026-12-07T05:30:00.000Z');
    expect(p.get('EndTime')).toBe('2026-12-07T08:30:00.000Z');
    expect(p.get('ScanBy')).toBe('TimestampAscending');
    const queries = Number([...p.keys()].filter((k) => /^MetricDataQueries\.member\.\d+\.Id$/.test(k)).length);
    expect(queries).toBe(3 + 3 * PHASES.length);
    for (let n = 1; n <= queries; n++) {
      const q = (field: string) => p.get(`MetricDataQueries.member.${n}.${field}`);
      if (q('Expression')) {
        expect(q('Expression')).toContain(`{Pakka,Reason,service} MetricName="TransactionsAborted"`);
        expect(q('Period')).toBe(String(CLOUDWATCH_PERIOD_SECONDS));
        continue;
      }
      expect(q('MetricStat.Metric.Namespace')).toBe('Pakka');
      expect(q('MetricStat.Metric.Dimensions.member.1.Name')).toBe('service');
      expect(q('MetricStat.Metric.Dimensions.member.1.Value')).toBe('pakka');
      expect(q('MetricStat.Period')).toBe(String(CLOUDWATCH_PERIOD_SECONDS));
      expect(q('MetricStat.Stat')).toMatch(/^(Sum|p50|p95|p99)$/);
    }
    expect(p.get('MetricDataQueries.member.1.MetricStat.Metric.MetricName')).toBe('TransactionsStarted');

    // The charts' series: rates per second over each minute, CloudWatch's percentiles as they are.
    const series = seriesFromResults((JSON.parse(answer.body) as { MetricDataResults: Parameters<typeof seriesFromResults>[0] }).MetricDataResults);
    expect(series.times).toEqual([Date.parse(T0) / 1000, Date.parse(T1) / 1000]);
    expect(series.started).toEqual([2, 3]);
    expect(series.committed).toEqual([1.5, 1.5]);
    expect(series.aborted).toEqual([0.5, 0.5]);
    expect(series.successRate).toEqual([75, 75]);
    expect(series.phases.prepare).toEqual({ p50: [10, 11], p95: [10, 11], p99: [10, 11] });
  });

  it('refuses a malformed request with the field at fault, and passes on nothing', async () => {
    const before = seen.length;
    const bad = await post(CLOUDWATCH_PATH, JSON.stringify({ ...seriesRequest(NOW), MetricDataQueries: [{ Id: 'Bad id', Expression: 'x' }] }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'INVALID_REQUEST', field: 'MetricDataQueries.0.Id' } });
    expect((await post(CLOUDWATCH_PATH, 'not json')).status).toBe(400);
    expect(seen.length).toBe(before);
  });

  it("CloudWatch's refusal (here: a request signed with other credentials) reaches the page as a 502 naming CloudWatch's code", async () => {
    const other = await startConsoleProxy({
      apiUrl: 'http://127.0.0.1:9/prod',
      port: 0,
      signer: sigv4Signer({ region: REGION, credentials: CREDENTIALS }),
      cloudWatch: {
        endpoint,
        signer: sigv4Signer({ region: REGION, service: CLOUDWATCH_SERVICE, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-key' } }),
      },
    });
    try {
      const answer = await post(CLOUDWATCH_PATH, JSON.stringify(seriesRequest(NOW)), other);
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'SignatureDoesNotMatch' } });
      expect(seen.at(-1)?.signatureValid).toBe(false);
    } finally {
      await other.stop();
    }
  });

  it("reads CloudWatch's XML: results, entities, and an error", () => {
    expect(parseGetMetricData(200, xmlAnswer(['started'], 1))).toEqual({
      results: [{ Id: 'started', Label: 'started', Timestamps: [T0], Values: [120], StatusCode: 'Complete' }],
      nextToken: 'page&2',
    });
    expect(() => parseGetMetricData(400, xmlError('InvalidParameterValue', 'bad &lt;Id&gt;'))).toThrow('bad <Id>');
  });

  const CHROMIUM = process.env.PAKKA_CHROMIUM ?? '/usr/bin/chromium';
  it.skipIf(!existsSync(CHROMIUM) && !ON_CI)(
    "in the browser: where the API has no /metrics, the overview's charts are CloudWatch's",
    async () => {
      // The deployed API as the console meets it on AWS: /metrics is 404, the listings are empty.
      const api = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (path === '/prod/metrics') return json(404, { error: { code: 'NOT_FOUND', message: 'on AWS the metrics are in CloudWatch', field: null } });
        if (path === '/prod/participants') return json(200, { participants: [] });
        if (path === '/prod/transactions') return json(200, { transactions: [], nextCursor: null });
        json(404, { error: { code: 'NOT_FOUND', message: `no route ${path}`, field: null } });
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      const address = api.address();
      const onAws = await startConsoleProxy({
        apiUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/prod`,
        port: 0,
        signer: sigv4Signer({ region: REGION, credentials: CREDENTIALS }),
        cloudWatch: { endpoint, signer: sigv4Signer({ region: REGION, service: CLOUDWATCH_SERVICE, credentials: CREDENTIALS }) },
      });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
      try {
        const page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' })).newPage();
        const before = seen.length;
        await page.goto(`${onAws.url}/console/#/`);
        await expect.poll(() => page.getByTestId('chart-source').textContent(), { timeout: 30_000 }).toContain('CloudWatch');
        expect(seen.length).toBeGreaterThan(before);
        expect(seen.slice(before).every((s) => s.signatureValid)).toBe(true);
        // Each chart drew its axis from CloudWatch's two minutes.
        const labels = await page.locator('.chart-canvas').evaluateAll((charts) => charts.map((c) => c.getAttribute('data-time-labels')));
        expect(labels.length).toBeGreaterThanOrEqual(7);
        expect(labels.every((l) => (JSON.parse(l ?? '[]') as unknown[]).length > 0)).toBe(true);
        expect(await page.locator('.notice').count()).toBe(0);
        const shots = new URL('../../test-output/console/', import.meta.url);
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: new URL('overview-cloudwatch.png', shots).pathname, fullPage: true });
      } finally {
        await browser.close();
        await onAws.stop();
        await new Promise<void>((resolve) => api.close(() => resolve()));
      }
    },
    120_000,
  );
});
