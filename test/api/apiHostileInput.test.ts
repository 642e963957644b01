/**
 * Request bodies a hostile client sends, refused at the edge before anything is parsed into a
 * rounded number or a rewritten string: numbers whose JSON text is not an exact integer in the
 * range JavaScript numbers hold exactly, bytes that are not UTF-8, and lone surrogates. Over real
 * HTTP (the local server's API Gateway stand-in) and as API Gateway events (string and base64 bodies).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/router.js';
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

/** POSTs raw bytes as JSON, as a client may. */
async function postBytes(path: string, bytes: Buffer): Promise<{ status: number; body: ErrorBody & Record<string, unknown> }> {
  const response = await fetch(api.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new Uint8Array(bytes) });
  return { status: response.status, body: (await response.json()) as ErrorBody & Record<string, unknown> };
}

const creditText = (key: string, amountText: string) =>
  `{"participants":[{"name":"payer-bank","operations":[{"op":"credit","key":"${key}","amount":${amountText}}]}]}`;

async function transactionCount(): Promise<number> {
  const listing = await call<{ transactions: unknown[] }>(api.url, 'GET', '/transactions?limit=100');
  return listing.body.transactions.length;
}

describe('numbers are taken only as exact integers, before parsing can round them', () => {
  it.each([
    '2.99999999999999999',
    '100.000000000000001',
    '1.0',
    '1e3',
    '1E3',
    '10e-1',
    '9007199254740993',
    '-9007199254740993',
    '123456789012345678901234567890',
  ])('amount %s is refused with 400 naming the field, and nothing is stored', async (amountText) => {
    const key = uniqueId('round');
    const before = await transactionCount();
    const answer = await postBytes('/transactions?wait=true', Buffer.from(creditText(key, amountText)));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'participants[0].operations[0].amount' });
    expect(answer.body.error.message).toContain(amountText);
    expect(await transactionCount()).toBe(before);
    expect((await call(api.url, 'GET', `/participants/payer-bank/items/${key}`)).status).toBe(404);
  });

  it('names a number anywhere in the body, e.g. the timeout', async () => {
    const body = `{"timeoutSeconds":30.0,"participants":[{"name":"payer-bank","operations":[{"op":"credit","key":"k","amount":1}]}]}`;
    const answer = await postBytes('/transactions', Buffer.from(body));
    expect(answer.status).toBe(400);
    expect(answer.body.error.field).toBe('timeoutSeconds');
  });

  it('an integer written plainly still commits exactly', async () => {
    const key = uniqueId('exact');
    const answer = await postBytes('/transactions?wait=true', Buffer.from(creditText(key, '3')));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'COMMITTED' });
    expect((await call<{ value: unknown }>(api.url, 'GET', `/participants/payer-bank/items/${key}`)).body).toMatchObject({ balance: 3 });
  });
});

describe('text must be well-formed Unicode', () => {
  const outboxBody = (message: Buffer) =>
    Buffer.concat([
      Buffer.from(`{"participants":[{"name":"sms-gateway","operations":[{"op":"enqueue","key":"${uniqueId('sms')}","message":"ok`),
      message,
      Buffer.from('end"}]}]}'),
    ]);

  it('bytes that are not UTF-8 (C3 28 FF) are refused, not rewritten to U+FFFD', async () => {
    const before = await transactionCount();
    const answer = await postBytes('/transactions?wait=true', outboxBody(Buffer.from([0xc3, 0x28, 0xff])));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'body' });
    expect(answer.body.error.message).toMatch(/UTF-8/);
    expect(await transactionCount()).toBe(before);
  });

  it('a lone surrogate written as an escape (\\ud800) is refused, naming the field', async () => {
    const before = await transactionCount();
    const answer = await postBytes('/transactions?wait=true', outboxBody(Buffer.from('\\ud800')));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'participants[0].operations[0].message' });
    expect(answer.body.error.message).toMatch(/surrogate/);
    expect(await transactionCount()).toBe(before);
  });

  it('a lone surrogate in a key of an object is refused too, and a surrogate pair (an emoji) is fine', async () => {
    const badKey = await postBytes('/transactions', Buffer.from('{"participants":[],"\\udc00":1}'));
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.message).toMatch(/surrogate/);
    const emoji = await postBytes('/transactions?wait=true', outboxBody(Buffer.from('\\ud83d\\ude00 \u{1F600}')));
    expect(emoji.status).toBe(200);
    expect(emoji.body).toMatchObject({ status: 'COMMITTED' });
  });

  it('the resolve route reads its body the same way', async () => {
    const answer = await postBytes(
      `/transactions/${uniqueId('txn')}/resolve`,
      Buffer.from('{"decision":"ABORT","operator":"asha","reason":"customer called \\ud800"}'),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.field).toBe('reason');
    expect(answer.body.error.message).toMatch(/surrogate/);
  });
});

describe('as API Gateway events (string and base64 bodies)', () => {
  const event = (body: string, isBase64Encoded: boolean): APIGatewayProxyEvent =>
    ({
      httpMethod: 'POST',
      path: '/transactions',
      headers: { 'content-type': 'application/json' },
      queryStringParameters: null,
      body,
      isBase64Encoded,
    }) as unknown as APIGatewayProxyEvent;
  const errorOf = (result: { statusCode: number; body: string }) => ({ status: result.statusCode, ...(JSON.parse(result.body) as ErrorBody).error });

  it('refuses invalid UTF-8 in a base64 body, a lone surrogate in a string body, and an inexact number in either', async () => {
    const handler = apiHandler(api.service);
    const notUtf8 = Buffer.concat([Buffer.from('{"participants":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]).toString('base64');
    expect(errorOf(await handler(event(notUtf8, true)))).toMatchObject({ status: 400, field: 'body' });
    expect(errorOf(await handler(event('{"participants":"\ud800"}', false)))).toMatchObject({ status: 400, field: 'body' });
    expect(errorOf(await handler(event(creditText('k', '1e3'), false)))).toMatchObject({ status: 400, field: 'participants[0].operations[0].amount' });
    expect(errorOf(await handler(event(Buffer.from(creditText('k', '2.99999999999999999')).toString('base64'), true)))).toMatchObject({
      status: 400,
      field: 'participants[0].operations[0].amount',
    });
  });
});
