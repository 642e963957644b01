/**
 * A network between a client and DynamoDB Local that loses answers: it forwards every request, and for the ones
 * `matches` picks it can answer 500 after DynamoDB applied the request (the answer lost on the way back), answer 500
 * without forwarding (DynamoDB never saw it), or reset the connection after forwarding. It counts every matching
 * request that reached it, so a test sees how often a client sent a write whose outcome it could not know.
 */
import { type IncomingHttpHeaders, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'appliedThen500' | 'appliedThenReset' | 'lost500' | 'none';

export interface FaultyProxy {
  endpoint: string;
  /** The fault for the next matching requests (one each, in order); matching requests after these pass. */
  arm(...faults: Fault[]): void;
  /** Matching requests that reached the proxy. */
  matched(): number;
  /** Matching requests that reached DynamoDB. */
  applied(): number;
  close(): Promise<void>;
}

const INTERNAL_ERROR = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected: the answer was lost' });

export async function faultyDynamoProxy(target: string, matches: (operation: string, body: string) => boolean): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const faults: Fault[] = [];
  let matched = 0;
  let applied = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const match = matches(operation, body.toString('utf8'));
      const fault = match ? (faults.shift() ?? 'none') : 'none';
      if (match) matched++;
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
