/**
 * A txnId names one request, for ever (issue 21 D6, D8, D9; issue 20 item 3): the API claims the txnId
 * with the request's digest before anything starts, so a second, different request under it is a 409
 * whatever state the first is in (undecided, one-phase without its receipt, decided, finished), on
 * both workflows, and the same request is idempotent. Runs on both variants (vitest.config.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import type { TransactionRequest } from '../../lambdas/request/transactionRequest.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { LocalRecovery } from '../../local/recovery.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalService } from '../../local/server.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';
import { TEST_VARIANT } from '../support/variant.js';

interface TxnBody {
  txnId: string;
  status: string;
  decision: string | null;
  participants: Array<{ name: string; state: string }>;
}

let api: LocalService;
/** `state/txnId` pairs whose coordinator stops dead before that state, as a crashed coordinator does. */
const stops = new Map<string, () => void>();

beforeAll(async () => {
  api = await startTestService({
    pakka: {
      beforeTask: async (state, input) => {
        const task = input as { Key?: { txnId?: { S?: string } }; Payload?: { txnId?: string } };
        const txnId = task.Key?.txnId?.S ?? task.Payload?.txnId;
        const stop = txnId !== undefined ? stops.get(`${state}/${txnId}`) : undefined;
        if (stop && txnId !== undefined) {
          api.pakka.execution(txnId)?.abort();
          stop();
          throw Object.assign(new Error('the coordinator stopped'), { name: 'Pakka.CoordinatorStopped' });
        }
      },
      variant: TEST_VARIANT,
      // payee-bank cannot prepare a `never-` transaction: it is still being retried when the first no ends the prepare phase.
      wrapInvoker: (invoke) => async (name, payload) => {
        const message = payload as { action?: string; txnId?: string };
        if (name === 'payee-bank' && message.action === 'prepare' && message.txnId?.startsWith('never-')) {
          throw Object.assign(new Error('injected: payee-bank is unreachable'), { name: 'Pakka.Transient' });
        }
        return invoke(name, payload);
      },
    },
    wait: { waitMs: 300 },
    recovery: { timer: false },
  });
});
afterAll(async () => {
  await api?.stop();
});

/** The coordinator of `txnId` dies just before `state` (a log write): `reached` settles when it did. */
function stopAt(state: string, txnId: string): { reached: Promise<void> } {
  let arrive!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  stops.set(`${state}/${txnId}`, arrive);
  return { reached };
}

const credit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'credit', key, amount }] });
const debit = (name: string, key: string, amount: number) => ({ name, operations: [{ op: 'debit', key, amount }] });

async function balance(name: string, key: string): Promise<number | undefined> {
  const answer = await call<{ balance: number }>(api.url, 'GET', `/participants/${name}/items/${encodeURIComponent(key)}`);
  return answer.status === 200 ? answer.body.balance : undefined;
}

async function finalOf(txnId: string): Promise<TxnBody> {
  for (let i = 0; i < 400; i++) {
    const answer = await call<TxnBody>(api.url, 'GET', `/transactions/${txnId}`);
    if (answer.status === 200 && ['COMMITTED', 'ABORTED'].includes(answer.body.status)) return answer.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`transaction ${txnId} did not finish`);
}

/** A sweeper whose clock is past a deadline `timeoutSeconds` from now and every grace (recovery no longer asks whether a coordinator runs). */
function recoveryLater(timeoutSeconds: number): LocalRecovery {
  const later = Date.now() + (timeoutSeconds + DEFAULT_RECOVERY_CONFIG.deadlineGraceSeconds + EXECUTION_TIMEOUT_SECONDS.express + 60) * 1000;
  return new LocalRecovery(api.pakka, { dynamo: localDynamoClient(inject('dynamoEndpoint')), now: () => later });
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  call<TxnBody & { error?: { code: string } }>(api.url, 'POST', '/transactions', body, headers);

describe(`a txnId names one request, for ever (${TEST_VARIANT})`, () => {
  it('D6: a one-phase commit whose receipt is not logged refuses another body under its txnId (409), and only its own credit is applied', async () => {
    const txnId = uniqueId('x1');
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    const receipt = stopAt('LogOnePhaseCommit', txnId);
    expect((await post({ txnId, participants: [credit('payee-bank', a, 100)] })).status).toBe(202);
    await receipt.reached;
    // The participant's own write decided: GET learns it from the record.
    expect((await call<TxnBody>(api.url, 'GET', `/transactions/${txnId}`)).body).toMatchObject({ status: 'COMMITTED' });

    expect(await post({ txnId, participants: [credit('payer-bank', b, 500)] })).toMatchObject({
      status: 409,
      body: { error: { code: 'IDEMPOTENCY_CONFLICT' } },
    });
    // The same body again is a retry: the same transaction, nothing applied twice.
    expect((await post({ txnId, participants: [credit('payee-bank', a, 100)] })).status).toBe(202);
    expect(await finalOf(txnId)).toMatchObject({ status: 'COMMITTED', participants: [{ name: 'payee-bank' }] });
    expect(await balance('payee-bank', a)).toBe(100);
    expect(await balance('payer-bank', b)).toBeUndefined();
  });

  it('D6: one Idempotency-Key with two bodies is a 409 while the first one-phase receipt is missing', async () => {
    const key = uniqueId('key');
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    const first = await post({ participants: [credit('payee-bank', a, 100)] }, { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    const txnId = first.body.txnId;
    // The receipt may already be written by now: the 409 must hold in every state, so this test holds none.
    expect(await post({ participants: [credit('payer-bank', b, 500)] }, { 'Idempotency-Key': key })).toMatchObject({ status: 409 });
    expect(await finalOf(txnId)).toMatchObject({ status: 'COMMITTED' });
    expect(await post({ participants: [credit('payer-bank', b, 500)] }, { 'Idempotency-Key': key })).toMatchObject({ status: 409 });
    expect(await balance('payer-bank', b)).toBeUndefined();
  });

  it.each([
    ['one-phase', (key: string) => ({ participants: [credit('payer-bank', key, 7)] })],
    ['two-phase', (key: string) => ({ participants: [credit('payer-bank', key, 7), credit('payee-bank', key, 7)] })],
  ])('D9: a two-phase transaction stopped before its decision refuses a %s request under its txnId, and recovery ends the first', async (_kind, other) => {
    const txnId = uniqueId('x9');
    const a = uniqueId('a');
    const b = uniqueId('b');
    const decision = stopAt('LogCommitDecision', txnId);
    expect((await post({ txnId, timeoutSeconds: 5, participants: [credit('payer-bank', a, 100), credit('payee-bank', a, 100)] })).status).toBe(202);
    await decision.reached;
    expect(await post({ txnId, ...other(b) })).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_CONFLICT' } } });
    // Recovery, past the deadline, aborts the first request and releases what it holds (its promise of 100 included).
    const report = await recoveryLater(5).sweep();
    expect(report.errors).toEqual([]);
    expect(await finalOf(txnId)).toMatchObject({ status: 'ABORTED', participants: [{ state: 'ABORTED' }, { state: 'ABORTED' }] });
    expect(await balance('payer-bank', a)).toBeUndefined();
    expect(await balance('payer-bank', b)).toBeUndefined();
    expect(await post({ txnId, ...other(b) })).toMatchObject({ status: 409 });
  });

  it('two different bodies started at the same instant: exactly one is accepted, and only its credit is applied', async () => {
    const txnId = uniqueId('race');
    const keys = [uniqueId('a'), uniqueId('b'), uniqueId('c'), uniqueId('d')];
    const answers = await Promise.all(keys.map((key, i) => post({ txnId, participants: [credit(i % 2 ? 'payer-bank' : 'payee-bank', key, 10 + i)] })));
    const accepted = answers.flatMap((answer, i) => (answer.status === 202 ? [i] : []));
    expect(accepted).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(keys.length - 1);
    await finalOf(txnId);
    const balances = await Promise.all(keys.map((key, i) => balance(i % 2 ? 'payer-bank' : 'payee-bank', key)));
    expect(balances).toEqual(keys.map((_, i) => (accepted.includes(i) ? 10 + i : undefined)));
  });

  it('the same body started twice at the same instant is one transaction, applied once', async () => {
    const txnId = uniqueId('twice');
    const key = uniqueId('a');
    const body = { txnId, participants: [credit('payer-bank', key, 5), credit('payee-bank', key, 5)] };
    const answers = await Promise.all([post(body), post(body), post(body)]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(await finalOf(txnId)).toMatchObject({ status: 'COMMITTED' });
    expect(await balance('payer-bank', key)).toBe(5);
    expect(await balance('payee-bank', key)).toBe(5);
  });

  it('D12: an ABORT logged before its delivery reached a participant that never prepared still becomes final, through recovery', async () => {
    const txnId = uniqueId('never');
    const [payer, payee] = [uniqueId('empty'), uniqueId('b')];
    const abort = stopAt('Abort', txnId);
    const body = { txnId, timeoutSeconds: 5, participants: [debit('payer-bank', payer, 1), credit('payee-bank', payee, 1)] };
    expect((await post(body)).status).toBe(202);
    await abort.reached;
    // payee-bank holds nothing, not even a tombstone: only the log can lead recovery to it.
    expect((await call<TxnBody>(api.url, 'GET', `/transactions/${txnId}`)).body).toMatchObject({
      status: 'ABORTING',
      participants: [{ state: 'ABORTED' }, { state: 'UNKNOWN' }],
    });
    const report = await recoveryLater(5).sweep();
    expect(report.errors).toEqual([]);
    expect(await finalOf(txnId)).toMatchObject({ status: 'ABORTED', participants: [{ state: 'ABORTED' }, { state: 'ABORTED' }] });
  });

  it('D14: the API refuses what a participant would refuse as invalid (a check on a sharded key), naming the field and the rule', async () => {
    const txnId = uniqueId('x14');
    const answer = await post({ txnId, participants: [{ name: 'upi-switch', operations: [{ op: 'assertBalanceAtLeast', key: 'fees', amount: 1 }] }] });
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'participants[0].operations[0].op' } } });
    expect((answer.body as { error?: { message?: string } }).error?.message).toMatch(/sharded/);
    expect((await call(api.url, 'GET', `/transactions/${txnId}`)).status).toBe(404);
  });

  it.each([
    ['alone', [] as Array<ReturnType<typeof credit>>],
    ['beside another participant', [credit('payee-bank', 'x14-beside', 1)]],
  ])('D14: what a participant still refuses as invalid ends the transaction ABORTED (%s)', async (_where, others) => {
    const txnId = uniqueId('x14');
    // Past the API's validation, as a request from an older API or a config changed in between would be.
    const request = {
      txnId,
      timeoutSeconds: 5,
      participants: [{ name: 'upi-switch', operations: [{ op: 'assertBalanceAtLeast', key: 'fees', amount: 1 }] }, ...others],
    } as TransactionRequest;
    await api.pakka.start(request).done;
    expect(await finalOf(txnId)).toMatchObject({ status: 'ABORTED', decision: 'ABORT' });
  });

  it("D7: an abort carrying another request's operations never learns a one-phase COMMITTED record as its own", async () => {
    const txnId = uniqueId('x7');
    const participant = api.pakka.participants.get('payee-bank');
    if (!participant) throw new Error('no payee-bank');
    const a = [{ op: 'credit', key: uniqueId('a'), amount: 100 }];
    const b = [{ op: 'credit', key: uniqueId('b'), amount: 500 }];
    expect(await participant({ action: 'commitOnePhase', txnId, operations: a })).toMatchObject({ vote: 'VOTE_COMMIT' });
    await expect(participant({ action: 'abort', txnId, operations: b })).rejects.toMatchObject({
      name: 'Pakka.ProtocolViolation',
      code: 'OPERATIONS_MISMATCH',
    });
    await expect(participant({ action: 'abort', txnId, operations: a })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
  });

  it('D8: a one-phase commit whose coordinator died before its receipt is listed, and recovery logs its receipt from the participant', async () => {
    const txnId = uniqueId('x8');
    const a = uniqueId('a');
    const receipt = stopAt('LogOnePhaseCommit', txnId);
    expect((await post({ txnId, timeoutSeconds: 5, participants: [credit('payee-bank', a, 3)] })).status).toBe(202);
    await receipt.reached;
    // The claim is the log item: PREPARING in the byStatus index, and in the open index recovery reads.
    const claimed = await api.service.readLog(txnId);
    expect(claimed).toMatchObject({ status: 'PREPARING', participantsJson: [{ name: 'payee-bank', onePhase: true }] });
    expect(claimed?.decision).toBeUndefined();
    const report = await recoveryLater(5).sweep();
    expect(report.errors).toEqual([]);
    expect(report.transactions).toContainEqual(expect.objectContaining({ kind: 'driven', txnId, decision: 'COMMIT' }));
    expect(await api.service.readLog(txnId)).toMatchObject({ decision: 'COMMIT', decidedBy: 'recovery', status: 'COMMITTED' });
    expect(await balance('payee-bank', a)).toBe(3);
  });
});
