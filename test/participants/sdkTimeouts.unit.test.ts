/**
 * Every SDK call is bounded: against a DynamoDB endpoint that accepts connections and never answers
 * (a wedged data store), the local client, and a participant's prepare through it, fail with a
 * timeout after the configured attempts instead of hanging. The bounds come from PAKKA_SDK_* with
 * defaults that keep all attempts of one call inside a participant's 10 s task timeout.
 */
import { type Server, type Socket, createServer } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SDK_TIMEOUTS, boundedClientConfig, sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { LocalPakka } from '../../local/pakka.js';

let server: Server;
let endpoint = '';
let connections = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Accepts, reads, never answers: what a hung DynamoDB looks like from the client.
  server = createServer((socket) => {
    connections++;
    sockets.push(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const tight = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };

describe('a hung DynamoDB call', () => {
  it('fails with a timeout after the configured attempts, instead of hanging', async () => {
    const client = localDynamoClient(endpoint, tight);
    const before = connections;
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
      // Each attempt opened its own connection and was cut off by the request timeout.
      expect(connections - before).toBe(tight.maxAttempts);
    } finally {
      client.destroy();
    }
  }, 20_000);

  it('ends a participant prepare with an error the coordinator can retry, not a call that never returns', async () => {
    const client = localDynamoClient(endpoint, tight);
    try {
      const pakka = new LocalPakka({ dynamo: client, tablePrefix: 'hung-' });
      const prepare = pakka.participants.get('payer-bank')?.({ action: 'prepare', txnId: 'hung-1', operations: [{ op: 'credit', key: 'a', amount: 1 }] });
      // The runtime reports it as transient: the coordinator's Retry takes it, within the task timeout.
      await expect(prepare).rejects.toMatchObject({ name: 'Pakka.Transient', message: expect.stringMatching(/TimeoutError/) });
    } finally {
      client.destroy();
    }
  }, 20_000);
});

describe('the bounds', () => {
  it('default to attempts that all fit inside a participant task timeout of 10 s, and apply to the local client', async () => {
    const { connectionTimeoutMs, requestTimeoutMs, maxAttempts } = DEFAULT_SDK_TIMEOUTS;
    // Back-off between attempts is a few hundred ms at most here; leave it a second.
    expect(maxAttempts * (connectionTimeoutMs + requestTimeoutMs)).toBeLessThanOrEqual(9_000);
    // A closed port: refused at once, so the handler is initialised without waiting out the bounds.
    const client = localDynamoClient('http://127.0.0.1:9');
    try {
      expect(await client.config.maxAttempts()).toBe(maxAttempts);
      // The handler resolves its configuration lazily; it is there once the client has made one call.
      await client.send(new ListTablesCommand({})).catch(() => undefined);
      const handler = client.config.requestHandler as {
        httpHandlerConfigs(): { connectionTimeout?: number; requestTimeout?: number; throwOnRequestTimeout?: boolean };
      };
      expect(handler.httpHandlerConfigs()).toMatchObject({
        connectionTimeout: connectionTimeoutMs,
        requestTimeout: requestTimeoutMs,
        throwOnRequestTimeout: true,
      });
    } finally {
      client.destroy();
    }
  });

  it('are read from PAKKA_SDK_*, and a bad value is refused naming the variable', () => {
    expect(sdkTimeoutsFromEnv({ PAKKA_SDK_REQUEST_TIMEOUT_MS: '1500', PAKKA_SDK_CONNECTION_TIMEOUT_MS: '250', PAKKA_SDK_MAX_ATTEMPTS: '2' })).toEqual({
      requestTimeoutMs: 1500,
      connectionTimeoutMs: 250,
      maxAttempts: 2,
    });
    expect(sdkTimeoutsFromEnv({})).toEqual(DEFAULT_SDK_TIMEOUTS);
    expect(() => sdkTimeoutsFromEnv({ PAKKA_SDK_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/PAKKA_SDK_REQUEST_TIMEOUT_MS/);
    expect(() => sdkTimeoutsFromEnv({ PAKKA_SDK_REQUEST_TIMEOUT_MS: '0' })).toThrow(/PAKKA_SDK_REQUEST_TIMEOUT_MS/);
    expect(boundedClientConfig(tight).maxAttempts).toBe(2);
  });
});
