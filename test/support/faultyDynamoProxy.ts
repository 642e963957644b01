/**
 * A network between a client and DynamoDB Local that loses answers: it forwards every request, and for the ones
 * `matches` picks it can answer 500 after DynamoDB applied the request (the answer lost on the way back), answer 500
 * without forwarding (DynamoDB never saw it), or reset the connection after forwarding. It counts every matching
 * request that reached it, so a test sees how often a client sent a write whose outcome it could not know.
 */
import { type IncomingHttpHeaders, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `appliedThen500`, `appliedThenReset` (before any byte of the answer), `appliedThenBodyReset` (after the 200 status
 * line and part of the body): DynamoDB applied the request and the answer is lost. `lost500`: never forwarded.
 * `throttled`: never forwarded, answered 400 ProvisionedThroughputExceededException (a definite no).
 */
export type Fault = 'appliedThen500' | 'appliedThenReset' | 'appliedThenBodyReset' | 'lost500' | 'throttled' | 'none';

export interface FaultyProxy {
  endpoint: string;
  /** The fault for the next matching requests (one each, in order); matching requests after these pass. */
  arm(...faults: Fault[]): void;
  /** Matching requests that reached the proxy. */
  matched(): number;
  /** Matching requests that reached DynamoDB. */
  applied(): number;
  /** Called as each matching request arrives, before its fault (a test's clock may move there). */
  onMatch(callback: (() => void) | undefined): void;
  close(): Promise<void>;
}

const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'injected: throttled',
});
const INTERNAL_ERROR = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected: the answer was lost' });

export async function faultyDynamoProxy(target: string, matches: (operation: string, body: string) => boolean): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const faults: Fault[] = [];
  let matched = 0;
  let applied = 0;
  let matchedCallback: (() => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const match = matches(operation, body.toString('utf8'));
      const fault = match ? (faults.shift() ?? 'none') : 'none';
      if (match) {
        matched++;
        matchedCallback?.();
      }
      if (fault === 'throttled') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(THROTTLED);
        return;
      }
      if (fault === 'lost500') {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(INTERNAL_ERROR);
        return;
      }
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const out = forward({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        const answered: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answered.push(chunk));
        answer.on('end', () => {
          if (match) applied++;
          if (fault === 'appliedThenReset') {
            res.socket?.destroy();
            return;
          }
          if (fault === 'appliedThenBodyReset') {
            const whole = Buffer.concat(answered);
            res.writeHead(answer.statusCode ?? 200, { ...answer.headers, 'content-length': String(whole.length) });
            res.write(whole.subarray(0, Math.max(1, Math.floor(whole.length / 2))), () => res.socket?.destroy());
            return;
          }
          if (fault === 'appliedThen500') {
            res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(INTERNAL_ERROR);
            return;
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers).end(Buffer.concat(answered));
        });
      });
      out.on('error', (error) => res.destroy(error));
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    arm: (...next) => faults.push(...next),
    matched: () => matched,
    applied: () => applied,
    onMatch: (callback) => {
      matchedCallback = callback;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
