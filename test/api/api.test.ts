/** The HTTP API over real HTTP, against the local service: every route, status code and error body. */
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalService } from '../../local/server.js';
import { LIMITS } from '../../lambdas/request/transactionRequest.js';
import { twoPhaseOnly, uniqueId } from '../support/pakka.js';
import { call, startTestService, taskGate } from '../support/service.js';

interface ErrorBody {
  error: { code: string; message: string; field: string | null };
}
interface TxnBody {
  txnId: string;
  status: string;
  decision: string | null;
  reason: string | null;
  participants: Array<{ name: string; vote: string | null; reason: string | null; state: string }>;
}
interface ListBody {
  transactions: Array<{ txnId: string; status: string; createdAt: string }>;
  nextCursor: string | null;
}

let api: LocalService;
let gated: LocalService;
const gate = taskGate();
const logged: Array<{ message: string; detail?: Record<string, unknown> }> = [];

beforeAll(async () => {
  [api, gated] = await Promise.all([
    startTestService({ log: (message, detail) => logged.push({ message, ...(detail ? { detail } : {}) }) }),
    // Its tests hold a single participant's transaction inside the two-phase windows: one-phase commit off.
    startTestService({ config: twoPhaseOnly(), pakka: { beforeTask: gate.beforeTask }, wait: { waitMs: 300 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([api?.stop(), gated?.stop()]);
});

const credit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'credit', key, amount }] });
const debit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'debit', key, amount }] });

async function fund(service: LocalService, name: string, key: string, amount: number): Promise<void> {
  const answer = await call<TxnBody>(service.url, 'POST', '/transactions?wait=true', { participants: [credit(name, key, amount)] });
  expect(answer.body.status).toBe('COMMITTED');
}

async function balance(service: LocalService, name: string, key: string): Promise<number | undefined> {
  const answer = await call<{ balance: number }>(service.url, 'GET', `/participants/${name}/items/${encodeURIComponent(key)}`);
  return answer.status === 200 ? answer.body.balance : undefined;
}

async function finalOf(service: LocalService, txnId: string): Promise<TxnBody> {
  for (let i = 0; i < 400; i++) {
    const answer = await call<TxnBody>(service.url, 'GET', `/transactions/${txnId}`);
    if (answer.status === 200 && ['COMMITTED', 'ABORTED'].includes(answer.body.status)) return answer.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`transaction ${txnId} did not finish`);
}

describe('health and participants', () => {
  it('GET /health answers ok', async () => {
    const answer = await call(api.url, 'GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok' });
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('GET /participants lists every configured participant with its kind and operations', async () => {
    const answer = await call<{ participants: Array<{ name: string; kind: string; operations: string[] }> }>(api.url, 'GET', '/participants');
    expect(answer.status).toBe(200);
    expect(answer.body.participants.map((p) => p.name)).toEqual([...api.pakka.config.keys()]);
    expect(answer.body.participants.find((p) => p.name === 'payer-bank')).toMatchObject({
      kind: 'ledger',
      operations: ['credit', 'debit', 'assertBalanceAtLeast'],
    });
    expect(answer.body.participants.find((p) => p.name === 'cinema')).toMatchObject({ kind: 'booking', operations: ['hold', 'release'] });
  });

  it('GET /participants/{name}/items/{key} shows the item; 404 for an unknown participant or item, 400 for a bad key', async () => {
    const key = uniqueId('alice');
    await fund(api, 'payer-bank', key, 700);
    expect(await call(api.url, 'GET', `/participants/payer-bank/items/${key}`)).toMatchObject({ status: 200, body: { key, balance: 700 } });
    const item = await call(api.url, 'GET', `/participants/payer-bank/items/${key}`);
    expect(item.body).not.toHaveProperty('lockedBy');

    const unknownParticipant = await call<ErrorBody>(api.url, 'GET', `/participants/no-such-bank/items/${key}`);
    expect(unknownParticipant).toMatchObject({ status: 404, body: { error: { code: 'PARTICIPANT_NOT_FOUND', field: 'participant' } } });
    const unknownItem = await call<ErrorBody>(api.url, 'GET', `/participants/payer-bank/items/${uniqueId('nobody')}`);
    expect(unknownItem).toMatchObject({ status: 404, body: { error: { code: 'ITEM_NOT_FOUND', field: 'key' } } });
    const badKey = await call<ErrorBody>(api.url, 'GET', `/participants/payer-bank/items/${encodeURIComponent('-no spaces')}`);
    expect(badKey).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'key' } } });
  });

  it('an item key may contain a slash, percent-encoded or not', async () => {
    const key = `${uniqueId('show')}/A7`;
    const booked = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', {
      participants: [{ name: 'cinema', operations: [{ op: 'hold', key, holder: 'ravi' }] }],
    });
    expect(booked.body.status).toBe('COMMITTED');
    for (const path of [encodeURIComponent(key), key]) {
      expect(await call(api.url, 'GET', `/participants/cinema/items/${path}`)).toMatchObject({ status: 200, body: { key, heldBy: 'ravi' } });
    }
  });
});

describe('POST /transactions', () => {
  it('commits with ?wait=true and answers 200 with the final transaction, as GET shows it', async () => {
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(api, 'payer-bank', payer, 1000);
    const answer = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', {
      participants: [debit('payer-bank', payer, 400), credit('payee-bank', payee, 400)],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'COMMITTED',
      decision: 'COMMIT',
      participants: [
        { name: 'payer-bank', vote: 'VOTE_COMMIT', state: 'COMMITTED' },
        { name: 'payee-bank', vote: 'VOTE_COMMIT', state: 'COMMITTED' },
      ],
    });
    expect(answer.headers.get('location')).toBe(`/transactions/${answer.body.txnId}`);
    const got = await call<TxnBody>(api.url, 'GET', `/transactions/${answer.body.txnId}`);
    expect(got).toMatchObject({ status: 200, body: answer.body });
    expect(await balance(api, 'payer-bank', payer)).toBe(600);
    expect(await balance(api, 'payee-bank', payee)).toBe(400);
  });

  it('aborts on insufficient funds: 200 ABORTED with the reason, and nothing moves', async () => {
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(api, 'payer-bank', payer, 100);
    const answer = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', {
      participants: [debit('payer-bank', payer, 500), credit('payee-bank', payee, 500)],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(answer.body.participants[0]).toMatchObject({ name: 'payer-bank', vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await balance(api, 'payer-bank', payer)).toBe(100);
    expect(await balance(api, 'payee-bank', payee)).toBeUndefined();
  });

  it('answers 202 with {txnId, status} at once without ?wait, and GET follows it to the end', async () => {
    const key = uniqueId('alice');
    const answer = await call<{ txnId: string; status: string }>(api.url, 'POST', '/transactions', { participants: [credit('payer-bank', key, 5)] });
    expect(answer.status).toBe(202);
    expect(Object.keys(answer.body).sort()).toEqual(['status', 'txnId']);
    expect(answer.body.txnId).toMatch(/^txn-/);
    expect((await finalOf(api, answer.body.txnId)).status).toBe('COMMITTED');
  });

  it('uses the client txnId', async () => {
    const txnId = uniqueId('order');
    const answer = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', { txnId, participants: [credit('payer-bank', uniqueId('a'), 5)] });
    expect(answer.body).toMatchObject({ txnId, status: 'COMMITTED' });
  });

  it('a repeat with the same Idempotency-Key and body returns the same transaction and starts nothing; another body is 409', async () => {
    const payer = uniqueId('alice');
    await fund(api, 'payer-bank', payer, 1000);
    const body = { participants: [debit('payer-bank', payer, 300)] };
    const headers = { 'Idempotency-Key': uniqueId('key') };
    // Concurrent retries too: they all land on one transaction.
    const answers = await Promise.all([1, 2, 3].map(() => call<TxnBody>(api.url, 'POST', '/transactions?wait=true', body, headers)));
    const again = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', body, headers);
    for (const answer of [...answers, again]) expect(answer).toMatchObject({ status: 200, body: { txnId: answers[0]?.body.txnId, status: 'COMMITTED' } });
    expect(await balance(api, 'payer-bank', payer)).toBe(700);

    const other = await call<ErrorBody>(api.url, 'POST', '/transactions', { participants: [debit('payer-bank', payer, 301)] }, headers);
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_CONFLICT', field: 'txnId' } } });
    expect(await balance(api, 'payer-bank', payer)).toBe(700);
  });

  it('a repeat with the same txnId and body is the same transaction; another body is 409', async () => {
    const txnId = uniqueId('t');
    const account = uniqueId('acct');
    const body = { txnId, participants: [credit('payer-bank', account, 50)] };
    const first = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', body);
    const repeat = await call<{ txnId: string; status: string }>(api.url, 'POST', '/transactions', body);
    expect(repeat).toMatchObject({ status: 202, body: { txnId, status: 'COMMITTED' } });
    expect(first.body.status).toBe('COMMITTED');
    expect(await balance(api, 'payer-bank', account)).toBe(50);
    const other = await call<ErrorBody>(api.url, 'POST', '/transactions', { txnId, participants: [credit('payer-bank', account, 51)] });
    expect(other.status).toBe(409);
    expect(await balance(api, 'payer-bank', account)).toBe(50);
  });

  it('?wait=true answers 202 with the current view when the outcome takes longer than the bound', async () => {
    const txnId = uniqueId('slow');
    const held = gate.hold('LogCommitDecision', txnId);
    const answer = await call<TxnBody>(gated.url, 'POST', '/transactions?wait=true', { txnId, participants: [credit('payer-bank', uniqueId('a'), 5)] });
    expect(answer.status).toBe(202);
    // Votes reach the log with the decision; the participant's own record already says PREPARED.
    expect(answer.body).toMatchObject({ txnId, status: 'PREPARING', participants: [{ name: 'payer-bank', vote: null, state: 'PREPARED' }] });
    held.release();
    expect((await finalOf(gated, txnId)).status).toBe('COMMITTED');
  });
});

describe('the window between StartExecution and the decision (the first log write)', () => {
  it('GET answers 200 PREPARING, a repeat starts nothing, another body is 409', async () => {
    const txnId = uniqueId('early');
    const account = uniqueId('acct');
    const held = gate.hold('Prepare', txnId);
    const body = { txnId, participants: [credit('payer-bank', account, 10)] };
    const started = await call<{ txnId: string; status: string }>(gated.url, 'POST', '/transactions', body);
    expect(started).toMatchObject({ status: 202, body: { txnId, status: 'PREPARING' } });
    await held.reached;
    // Really inside the window: the log holds the API's claim of the txnId, with no decision yet.
    expect(await gated.service.readLog(txnId)).toMatchObject({ status: 'PREPARING', requestDigest: expect.any(String) });
    expect((await gated.service.readLog(txnId))?.decision).toBeUndefined();

    const got = await call<TxnBody>(gated.url, 'GET', `/transactions/${txnId}`);
    expect(got).toMatchObject({
      status: 200,
      body: { txnId, status: 'PREPARING', decision: null, participants: [{ name: 'payer-bank', vote: null, state: 'UNKNOWN' }] },
    });
    expect(await call(gated.url, 'POST', '/transactions', body)).toMatchObject({ status: 202, body: { txnId, status: 'PREPARING' } });
    const other = await call<ErrorBody>(gated.url, 'POST', '/transactions', { txnId, participants: [credit('payer-bank', account, 11)] });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_CONFLICT' } } });

    held.release();
    expect((await finalOf(gated, txnId)).status).toBe('COMMITTED');
    expect(await balance(gated, 'payer-bank', account)).toBe(10);
  });

  it('shows what a prepared transaction reserves on an item, apart from its committed balance, while the decision is pending', async () => {
    const txnId = uniqueId('held');
    const payer = uniqueId('alice');
    const payee = uniqueId('newbob');
    await fund(gated, 'payer-bank', payer, 90);
    const held = gate.hold('LogCommitDecision', txnId);
    await call(gated.url, 'POST', '/transactions', { txnId, participants: [debit('payer-bank', payer, 40), credit('payee-bank', payee, 40)] });
    await held.reached;
    const during = await call<Record<string, unknown>>(gated.url, 'GET', `/participants/payer-bank/items/${payer}`);
    expect(during).toMatchObject({ status: 200, body: { balance: 90, available: 50, reserved: 40, incoming: 0, holds: [{ txnId, op: 'debit', amount: 40 }] } });
    expect(during.body).not.toHaveProperty('lockedBy');
    // A credit to an account that does not exist yet creates nothing a reader can see before commit.
    expect(await call(gated.url, 'GET', `/participants/payee-bank/items/${payee}`)).toMatchObject({ status: 404, body: { error: { code: 'ITEM_NOT_FOUND' } } });
    const inspected = await call<{ participants: Array<{ record: { state: string }; items: Array<{ key: string; view: Record<string, number> | null }> }> }>(
      gated.url,
      'GET',
      `/transactions/${txnId}/inspect`,
    );
    expect(inspected.body.participants[0]).toMatchObject({ record: { state: 'PREPARED' }, items: [{ key: payer, view: { balance: 90, reserved: 40 } }] });
    held.release();
    expect((await finalOf(gated, txnId)).status).toBe('COMMITTED');
    expect(await call(gated.url, 'GET', `/participants/payer-bank/items/${payer}`)).toMatchObject({
      body: { balance: 50, available: 50, reserved: 0, holds: [] },
    });
    expect(await call(gated.url, 'GET', `/participants/payee-bank/items/${payee}`)).toMatchObject({ status: 200, body: { balance: 40, incoming: 0 } });
  });

  it('hides a slot that only a prepared hold created until the hold commits', async () => {
    const txnId = uniqueId('seat');
    const seat = uniqueId('A');
    const held = gate.hold('LogCommitDecision', txnId);
    await call(gated.url, 'POST', '/transactions', { txnId, participants: [{ name: 'cinema', operations: [{ op: 'hold', key: seat, holder: 'asha' }] }] });
    await held.reached;
    expect(await call(gated.url, 'GET', `/participants/cinema/items/${seat}`)).toMatchObject({ status: 404, body: { error: { code: 'ITEM_NOT_FOUND' } } });
    held.release();
    expect((await finalOf(gated, txnId)).status).toBe('COMMITTED');
    expect(await call(gated.url, 'GET', `/participants/cinema/items/${seat}`)).toMatchObject({ status: 200, body: { heldBy: 'asha', holds: [] } });
  });
});

describe('balances at and beyond the largest Pakka holds', () => {
  it('a balance past 2^53 - 1 written before that limit reads back exactly, as a decimal string, not a 500', async () => {
    const key = uniqueId('whale');
    const table = api.pakka.tables.participants.get('payee-bank')!;
    await localDynamoClient(inject('dynamoEndpoint')).send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: `ITEM#${key}` }, balance: { N: '9007199254741002' }, version: { N: '1' } } }),
    );
    expect(await call(api.url, 'GET', `/participants/payee-bank/items/${key}`)).toMatchObject({
      status: 200,
      body: { balance: '9007199254741002', available: '9007199254741002' },
    });
    // And it takes no credit at all: its headroom is below zero once the item is upgraded.
    const credit = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', {
      participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key, amount: 1 }] }],
    });
    expect(credit.body).toMatchObject({ status: 'ABORTED', reason: 'LIMIT_EXCEEDED' });
  });
});

describe('GET /transactions/{txnId} and /inspect', () => {
  it('404 for an unknown transaction, 400 for a malformed id', async () => {
    expect(await call<ErrorBody>(api.url, 'GET', `/transactions/${uniqueId('none')}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'TRANSACTION_NOT_FOUND', field: 'txnId' } },
    });
    expect(await call<ErrorBody>(api.url, 'GET', `/transactions/${uniqueId('none')}/inspect`)).toMatchObject({ status: 404 });
    expect(await call<ErrorBody>(api.url, 'GET', `/transactions/bad%20id`)).toMatchObject({ status: 400, body: { error: { field: 'txnId' } } });
  });

  it('inspect shows the log record, each participant record and the items it touched', async () => {
    const [payer, sms] = [uniqueId('alice'), uniqueId('sms')];
    await fund(api, 'payer-bank', payer, 100);
    const txn = await call<TxnBody>(api.url, 'POST', '/transactions?wait=true', {
      participants: [debit('payer-bank', payer, 60), { name: 'sms-gateway', operations: [{ op: 'enqueue', key: sms, message: 'paid 60' }] }],
    });
    const answer = await call<{
      transaction: TxnBody & { timings: Record<string, number | null> };
      log: { txnId: string; decision: string; requestDigest: string };
      participants: Array<{ name: string; kind: string; record: { state: string; lockedKeys: string[] }; items: Array<Record<string, unknown>> }>;
    }>(api.url, 'GET', `/transactions/${txn.body.txnId}/inspect`);
    expect(answer.status).toBe(200);
    expect(answer.body.transaction).toMatchObject({ txnId: txn.body.txnId, status: 'COMMITTED' });
    expect(answer.body.transaction.timings.totalMs).toEqual(expect.any(Number));
    expect(answer.body.log).toMatchObject({ txnId: txn.body.txnId, decision: 'COMMIT', requestDigest: expect.any(String) });
    expect(answer.body.participants).toMatchObject([
      {
        name: 'payer-bank',
        kind: 'ledger',
        // The decided record of a hold that lived in its item names no keys: the items below show what it touched.
        record: { state: 'COMMITTED' },
        items: [{ key: payer, exists: true, lockedBy: null, view: { balance: 40 } }],
      },
      { name: 'sms-gateway', kind: 'outbox', record: { state: 'COMMITTED' }, items: [{ key: sms, view: { message: 'paid 60', messageStatus: 'READY' } }] },
    ]);
  });
});

describe('bad input never reaches the state machine', () => {
  const ok = (account: string) => ({ participants: [credit('payer-bank', account, 5)] });
  const tooManyOps = Array.from({ length: LIMITS.maxOperationsPerParticipant + 1 }, (_, i) => ({ op: 'credit', key: `k${i}`, amount: 1 }));
  const tooManyParticipants = Array.from({ length: LIMITS.maxParticipants + 1 }, (_, i) => credit('payer-bank', `k${i}`, 1));
  const cases: Array<[string, string | object, number, string, string]> = [
    ['malformed JSON', '{"participants": [', 400, 'INVALID_REQUEST', 'body'],
    ['empty body', '', 400, 'INVALID_REQUEST', 'body'],
    ['missing participants', {}, 400, 'INVALID_REQUEST', 'participants'],
    ['unknown field', { participants: [credit('payer-bank', 'a', 1)], priority: 'high' }, 400, 'INVALID_REQUEST', 'priority'],
    ['unknown participant', { participants: [credit('moon-bank', 'a', 1)] }, 400, 'INVALID_REQUEST', 'participants[0].name'],
    [
      'unknown operation',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'steal', key: 'a', amount: 1 }] }] },
      400,
      'INVALID_REQUEST',
      'participants[0].operations[0].op',
    ],
    [
      'missing operation field',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a' }] }] },
      400,
      'INVALID_REQUEST',
      'participants[0].operations[0].amount',
    ],
    ['non-integer amount', { participants: [credit('payer-bank', 'a', 1.5)] }, 400, 'INVALID_REQUEST', 'participants[0].operations[0].amount'],
    ['zero amount', { participants: [credit('payer-bank', 'a', 0)] }, 400, 'INVALID_REQUEST', 'participants[0].operations[0].amount'],
    ['negative amount', { participants: [debit('payer-bank', 'a', -5)] }, 400, 'INVALID_REQUEST', 'participants[0].operations[0].amount'],
    ['same participant twice', { participants: [credit('payer-bank', 'a', 1), credit('payer-bank', 'b', 1)] }, 400, 'INVALID_REQUEST', 'participants[1].name'],
    ['no participants', { participants: [] }, 400, 'INVALID_REQUEST', 'participants'],
    ['too many participants', { participants: tooManyParticipants }, 400, 'INVALID_REQUEST', 'participants'],
    ['too many operations', { participants: [{ name: 'payer-bank', operations: tooManyOps }] }, 400, 'INVALID_REQUEST', 'participants[0].operations'],
    ['bad txnId', { txnId: 'has spaces!', participants: [credit('payer-bank', 'a', 1)] }, 400, 'INVALID_REQUEST', 'txnId'],
    [
      'oversize body',
      { participants: [{ name: 'sms-gateway', operations: [{ op: 'enqueue', key: 'a', message: 'x'.repeat(LIMITS.maxBodyBytes) }] }] },
      413,
      'PAYLOAD_TOO_LARGE',
      'body',
    ],
  ];

  it.each(cases)('%s', async (_name, body, status, code, field) => {
    const before = await call<ListBody>(api.url, 'GET', '/transactions?limit=100');
    const answer = await call<ErrorBody>(api.url, 'POST', '/transactions?wait=true', typeof body === 'string' ? body : JSON.stringify(body));
    expect(answer.status).toBe(status);
    expect(answer.body.error).toEqual({ code, field, message: expect.any(String) });
    expect(answer.body.error.message).not.toMatch(/\n\s+at /);
    const after = await call<ListBody>(api.url, 'GET', '/transactions?limit=100');
    expect(after.body.transactions.map((t) => t.txnId)).toEqual(before.body.transactions.map((t) => t.txnId));
  });

  it('refuses a bad Idempotency-Key header and a bad wait flag', async () => {
    const account = uniqueId('acct');
    const badKey = await call<ErrorBody>(api.url, 'POST', '/transactions', ok(account), { 'Idempotency-Key': 'k'.repeat(256) });
    expect(badKey).toMatchObject({ status: 400, body: { error: { field: 'Idempotency-Key' } } });
    const badWait = await call<ErrorBody>(api.url, 'POST', '/transactions?wait=maybe', ok(account));
    expect(badWait).toMatchObject({ status: 400, body: { error: { field: 'wait' } } });
    expect(await balance(api, 'payer-bank', account)).toBeUndefined();
  });

  it('405 for a wrong method (with Allow), 404 for an unknown route', async () => {
    const wrong = await call<ErrorBody>(api.url, 'DELETE', '/transactions');
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', field: null } } });
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    expect(await call(api.url, 'PUT', '/health')).toMatchObject({ status: 405 });
    expect(await call(api.url, 'POST', `/transactions/${uniqueId('x')}`, {})).toMatchObject({ status: 405 });
    expect(await call<ErrorBody>(api.url, 'GET', '/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await call(api.url, 'GET', '/participants/payer-bank/items')).toMatchObject({ status: 404 });
  });
});

describe('GET /transactions', () => {
  let lister: LocalService;
  const committed: string[] = [];
  const aborted: string[] = [];
  beforeAll(async () => {
    lister = await startTestService();
    const payer = uniqueId('alice');
    await fund(lister, 'payer-bank', payer, 100);
    committed.push((await call<ListBody>(lister.url, 'GET', '/transactions')).body.transactions[0]?.txnId ?? '');
    for (let i = 0; i < 4; i++) {
      const c = await call<TxnBody>(lister.url, 'POST', '/transactions?wait=true', { participants: [credit('payer-bank', uniqueId('c'), 1)] });
      committed.push(c.body.txnId);
      const a = await call<TxnBody>(lister.url, 'POST', '/transactions?wait=true', { participants: [debit('payer-bank', payer, 1000)] });
      aborted.push(a.body.txnId);
    }
  });
  afterAll(async () => lister?.stop());

  async function all(query: string, limit: number): Promise<Array<{ txnId: string; status: string; createdAt: string }>> {
    const seen: ListBody['transactions'] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const answer: { status: number; body: ListBody } = await call<ListBody>(
        lister.url,
        'GET',
        `/transactions?${query}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.transactions.length).toBeLessThanOrEqual(limit);
      seen.push(...answer.body.transactions);
      cursor = answer.body.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error('listing did not end');
  }

  it('pages through every transaction newest first, each exactly once', async () => {
    const listed = await all('', 3);
    expect(listed.map((t) => t.txnId).sort()).toEqual([...committed, ...aborted].sort());
    const times = listed.map((t) => t.createdAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('filters by status', async () => {
    const listed = await all('status=ABORTED&', 2);
    expect(listed.map((t) => t.txnId).sort()).toEqual([...aborted].sort());
    expect(new Set(listed.map((t) => t.status))).toEqual(new Set(['ABORTED']));
    expect((await all('status=COMMITTED&', 100)).length).toBe(committed.length);
    expect(await all('status=PREPARING&', 5)).toEqual([]);
  });

  it('refuses a bad status, limit or cursor', async () => {
    expect(await call<ErrorBody>(lister.url, 'GET', '/transactions?status=DONE')).toMatchObject({
      status: 400,
      body: { error: { field: 'status', message: 'status must be one of PREPARING, COMMITTING, ABORTING, COMMITTED, ABORTED, OPEN' } },
    });
    for (const limit of ['0', '101', 'ten', '-1', '1.5']) {
      expect(await call<ErrorBody>(lister.url, 'GET', `/transactions?limit=${limit}`)).toMatchObject({ status: 400, body: { error: { field: 'limit' } } });
    }
    expect(await call<ErrorBody>(lister.url, 'GET', '/transactions?cursor=nonsense')).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
    const filtered = await call<ListBody>(lister.url, 'GET', '/transactions?status=ABORTED&limit=1');
    const cursor = encodeURIComponent(filtered.body.nextCursor ?? '');
    expect(await call<ErrorBody>(lister.url, 'GET', `/transactions?cursor=${cursor}`)).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
  });
});

describe('failures on the server', () => {
  it('answer a generic 500 without a stack trace, and log the detail', async () => {
    const broken = await startTestService({ log: (message, detail) => logged.push({ message, ...(detail ? { detail } : {}) }) });
    try {
      const dynamo = localDynamoClient(inject('dynamoEndpoint'));
      await dynamo.send(new DeleteTableCommand({ TableName: broken.pakka.tables.coordinatorLog }));
      dynamo.destroy();
      const before = logged.length;
      const answer = await call<ErrorBody>(broken.url, 'GET', `/transactions/${uniqueId('any')}`);
      expect(answer).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL_ERROR', field: null } } });
      expect(JSON.stringify(answer.body)).not.toMatch(/ResourceNotFound|\bat\b.*\.ts/);
      expect(logged.slice(before)).toContainEqual(
        expect.objectContaining({ message: 'request failed', detail: expect.objectContaining({ path: expect.stringContaining('/transactions/') }) }),
      );
    } finally {
      await broken.stop();
    }
  });
});
