/**
 * A small fake card gateway over HTTP, as a payment provider exposes one: authorize (hold an amount on a
 * card), capture (take it), void (release it), each idempotent by the caller's idempotency key. A void for
 * a key it has never seen is remembered, so an authorize that arrives after its void is refused (a real
 * gateway's "cancel before authorize"). Tests start it on loopback; it keeps everything in memory.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Card {
  limit: number;
  held: number;
  captured: number;
}

type Authorization = { card: string; amount: number; status: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'DECLINED'; id: string };

export interface CardGateway {
  url: string;
  /** Requests that reached an authorize, capture or void endpoint (seeding and reads are not counted). */
  calls(): number;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text ? JSON.parse(text) : {};
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

export async function startCardGateway(): Promise<CardGateway> {
  const cards = new Map<string, Card>();
  const authorizations = new Map<string, Authorization>();
  let calls = 0;
  let next = 1;

  const view = (card: string, c: Card) => ({ card, limit: c.limit, held: c.held, captured: c.captured, available: c.limit - c.held - c.captured });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'PUT' && parts[0] === 'cards' && parts[1]) {
      const { limit } = await body(req);
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) return json(res, 400, { error: 'limit must be a non-negative integer' });
      cards.set(parts[1], { limit, held: 0, captured: 0 });
      return json(res, 200, view(parts[1], cards.get(parts[1])!));
    }
    if (req.method === 'GET' && parts[0] === 'cards' && parts[1]) {
      const card = cards.get(parts[1]);
      return card ? json(res, 200, view(parts[1], card)) : json(res, 404, { error: 'no such card' });
    }
    if (req.method !== 'POST' || parts[0] !== 'authorizations' || !parts[1]) return json(res, 404, { error: 'no such route' });
    calls++;
    const key = parts[1];
    const existing = authorizations.get(key);
    switch (parts[2]) {
      case undefined: {
        if (existing) return json(res, existing.status === 'DECLINED' ? 402 : existing.status === 'VOIDED' ? 409 : 200, existing); // idempotent repeat, or refused after its void
        const { card, amount } = await body(req);
        if (typeof card !== 'string' || typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0)
          return json(res, 400, { error: 'card and a positive integer amount are required' });
        const account = cards.get(card);
        const id = `auth_${next++}`;
        if (!account || account.limit - account.held - account.captured < amount) {
          authorizations.set(key, { card, amount, status: 'DECLINED', id });
          return json(res, 402, authorizations.get(key));
        }
        account.held += amount;
        authorizations.set(key, { card, amount, status: 'AUTHORIZED', id });
        return json(res, 201, authorizations.get(key));
      }
      case 'capture': {
        if (!existing || existing.status === 'VOIDED' || existing.status === 'DECLINED')
          return json(res, 409, { error: `cannot capture ${existing?.status ?? 'an unknown authorization'}` });
        if (existing.status === 'AUTHORIZED') {
          const account = cards.get(existing.card)!;
          account.held -= existing.amount;
          account.captured += existing.amount;
          existing.status = 'CAPTURED';
        }
        return json(res, 200, existing);
      }
      case 'void': {
        if (existing?.status === 'CAPTURED') return json(res, 409, { error: 'cannot void a captured authorization' });
        if (!existing) {
          // Remember the void, so the authorize it overtook is refused when it arrives.
          authorizations.set(key, { card: '', amount: 0, status: 'VOIDED', id: `void_${next++}` });
        } else if (existing.status === 'AUTHORIZED') {
          cards.get(existing.card)!.held -= existing.amount;
          existing.status = 'VOIDED';
        }
        return json(res, 200, authorizations.get(key));
      }
      default:
        return json(res, 404, { error: 'no such route' });
    }
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
