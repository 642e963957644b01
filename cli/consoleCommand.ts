/**
 * `pakka console --url <deployed API>`: the web console on this machine, against the API on AWS.
 * The console's files are served here; every other request is passed to the API signed with
 * SigV4 from the user's AWS credentials, so the browser never holds a credential. The charts'
 * figures, which on AWS are in CloudWatch (there is no /metrics), come through
 * POST /console/cloudwatch/GetMetricData, signed the same way for CloudWatch. Like the local
 * service it answers only on loopback, to its own Host, and refuses cross-origin writes.
 */
import { type Server, createServer } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { readBody, sendResult } from '../local/apiGateway.js';
import { ensureConsoleBuilt, isConsolePath, serveConsole } from '../local/consoleAssets.js';
import { loopbackRefusal } from '../local/loopbackGuard.js';
import { type CloudWatchClient, CloudWatchError, cloudWatchIn, getMetricData, metricDataRequest } from './cloudWatch.js';
import { CLOUDWATCH_PATH } from '../console/src/cloudWatchPath.js';
import { type RequestSigner, SigningError, executeApiRegion, sigv4Signer } from '../client/sigv4.js';

export const DEFAULT_CONSOLE_PORT = 3100;

/** Request headers the API contract uses; nothing else from the browser (cookies, its Origin) goes to AWS. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'idempotency-key'];
/** Response headers passed back to the browser. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'location', 'allow', 'retry-after'];

export interface ConsoleProxyOptions {
  /** The deployed API's base URL, stage included (`https://abc.execute-api.eu-west-1.amazonaws.com/prod`). */
  apiUrl: string;
  port?: number;
  host?: string;
  signer: RequestSigner;
  /** Where the charts' figures come from on AWS; without it the console shows that it has none. */
  cloudWatch?: CloudWatchClient;
  log?: (line: string) => void;
}

export interface ConsoleProxy {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const jsonError = (statusCode: number, code: string, message: string, field: string | null) => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ error: { code, message, field } }),
});

/** The API URL a console request is for: the base URL's path, then the request's path and query. */
export function targetUrl(apiUrl: string, requestUrl: string): URL {
  const base = new URL(apiUrl);
  const incoming = new URL(requestUrl, 'http://localhost');
  const target = new URL(base.toString());
  target.pathname = `${base.pathname.replace(/\/+$/, '')}${incoming.pathname}`;
  target.search = incoming.search;
  return target;
}

/** The console's GetMetricData, checked, then sent to CloudWatch signed; CloudWatch's answer as JSON. */
async function metricData(cloudWatch: CloudWatchClient | undefined, method: string, body: Buffer, log: (line: string) => void): Promise<APIGatewayProxyResult> {
  if (method !== 'POST')
    return {
      ...jsonError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${CLOUDWATCH_PATH}; allowed: POST`, null),
      headers: { 'Content-Type': 'application/json', Allow: 'POST' },
    };
  if (!cloudWatch) return jsonError(404, 'NO_CLOUDWATCH', 'this console reads no CloudWatch metrics', null);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return jsonError(400, 'INVALID_REQUEST', 'the body must be JSON: {MetricDataQueries, StartTime, EndTime}', 'body');
  }
  const parsed = metricDataRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return jsonError(400, 'INVALID_REQUEST', issue?.message ?? 'invalid GetMetricData request', issue?.path.join('.') || 'body');
  }
  try {
    const results = await getMetricData(cloudWatch, parsed.data);
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify({ MetricDataResults: results }),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`console proxy: CloudWatch GetMetricData failed: ${reason}`);
    const code = error instanceof CloudWatchError ? error.code : 'CLOUDWATCH_UNREACHABLE';
    return jsonError(502, code, `CloudWatch did not give the charts' figures: ${reason}`, null);
  }
}

export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  let port = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request);
        const refused = loopbackRefusal(request, host, port, "this console's own pages");
        if (refused) {
          sendResult(response, refused);
          return;
        }
        const method = request.method ?? 'GET';
        const url = request.url ?? '/';
        const path = new URL(url, 'http://localhost').pathname;
        if (path === CLOUDWATCH_PATH) {
          sendResult(response, await metricData(options.cloudWatch, method, body, log));
          return;
        }
        if (isConsolePath(path)) {
          await serveConsole(method, path, response, log);
          return;
        }
        const target = targetUrl(options.apiUrl, url);
        const headers: Record<string, string> = {};
        for (const name of FORWARDED_REQUEST_HEADERS) {
          const value = request.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const text = body.length ? body.toString('utf8') : undefined;
        let signed: Record<string, string>;
        try {
          signed = await options.signer({ method, url: target, headers, ...(text !== undefined ? { body: text } : {}) });
        } catch (error) {
          // The signer's own message already says what to do; the page's message says it once, so the bare cause.
          const cause = error instanceof SigningError ? error.cause : error;
          const reason = cause instanceof Error ? cause.message : String(cause);
          log(`console proxy: cannot sign the call: ${reason}`);
          sendResult(
            response,
            jsonError(
              502,
              'NO_AWS_CREDENTIALS',
              `pakka console could not sign the call with your AWS credentials (${reason}); set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then reload`,
              null,
            ),
          );
          return;
        }
        // fetch sets Host itself, from the URL it was signed for.
        const { host: _host, ...sendHeaders } = signed;
        const answer = await fetch(target, { method, headers: sendHeaders, ...(text !== undefined ? { body: text } : {}), redirect: 'manual' });
        const answerHeaders: Record<string, string> = {};
        for (const name of FORWARDED_RESPONSE_HEADERS) {
          const value = answer.headers.get(name);
          if (value !== null) answerHeaders[name] = value;
        }
        sendResult(response, { statusCode: answer.status, headers: answerHeaders, body: await answer.text() });
      } catch (error) {
        log(`console proxy: the call to the API failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent) {
          sendResult(
            response,
            jsonError(502, 'API_UNREACHABLE', `the deployed API did not answer: ${error instanceof Error ? error.message : String(error)}`, null),
          );
        } else response.end();
      }
    })();
  });
  port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CONSOLE_PORT, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_CONSOLE_PORT));
    });
  });
  return {
    url: `http://localhost:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ConsoleCommandOptions {
  url: string;
  port: number;
  region?: string;
  out: (text: string) => void;
}

/** Runs until Ctrl-C: builds the console if needed, then serves it with the signing proxy. */
export async function runConsole(options: ConsoleCommandOptions): Promise<void> {
  let apiUrl: URL;
  try {
    apiUrl = new URL(options.url);
  } catch {
    throw new Error(`--url must be the deployed API's URL (the stack output ApiUrl), not '${options.url}'`);
  }
  const region = options.region ?? executeApiRegion(apiUrl) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`cannot tell the API's region from ${apiUrl.host}: pass --region or set AWS_REGION`);
  await ensureConsoleBuilt((line) => options.out(`${line}\n`));
  const proxy = await startConsoleProxy({
    apiUrl: apiUrl.toString(),
    port: options.port,
    signer: sigv4Signer({ region }),
    cloudWatch: cloudWatchIn(region),
    log: (line) => options.out(`${line}\n`),
  });
  options.out(
    `Pakka console for ${apiUrl.toString()} (calls signed with your AWS credentials, region ${region})\n  ${proxy.url}/console\nPress Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => void proxy.stop().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
