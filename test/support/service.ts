/**
 * The local service for API, CLI and scenario tests: on the run's shared DynamoDB Local, with its
 * own table prefix and a free port, over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalService, type LocalServiceOptions, startLocalService } from '../../local/server.js';

export async function startTestService(options: Omit<LocalServiceOptions, 'dynamoEndpoint' | 'port'> = {}): Promise<LocalService> {
  return startLocalService({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tablePrefix: `s${randomUUID().slice(0, 8)}-`,
    ...options,
    pakka: { fastRetriesMs: 5, ...options.pakka },
  });
}

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON call to the service; the body of every answer must be JSON. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined || method === 'POST' ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as T };
}

/** The txnId a Task's input concerns: the log item (Begin), the log key (decisions), or the Lambda payload. */
function txnIdOf(input: unknown): string | undefined {
  const i = input as { Item?: { txnId?: { S?: string } }; Key?: { txnId?: { S?: string } }; Payload?: { txnId?: string } };
  return i.Item?.txnId?.S ?? i.Key?.txnId?.S ?? i.Payload?.txnId;
}

/**
 * Holds chosen transactions before a chosen Task until released: the window between StartExecution
 * and BeginTransaction, or a prepared transaction whose commit has not run yet.
 */
export function taskGate() {
  const held = new Map<string, { promise: Promise<void>; release: () => void; reached: Promise<void>; arrive: () => void }>();
  const keyOf = (state: string, txnId: string) => `${state}/${txnId}`;
  const entry = (state: string, txnId: string) => {
    const key = keyOf(state, txnId);
    let value = held.get(key);
    if (!value) {
      let release!: () => void;
      let arrive!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      const reached = new Promise<void>((r) => (arrive = r));
      value = { promise, release, reached, arrive };
      held.set(key, value);
    }
    return value;
  };
  return {
    beforeTask: async (state: string, input: unknown) => {
      const txnId = txnIdOf(input);
      if (txnId === undefined || !held.has(keyOf(state, txnId))) return;
      const gate = entry(state, txnId);
      gate.arrive();
      await gate.promise;
    },
    /** From now on, `state` of `txnId` waits for release(); `reached` settles when it got there. */
    hold(state: string, txnId: string) {
      const gate = entry(state, txnId);
      return { release: gate.release, reached: gate.reached };
    },
  };
}
