/**
 * Recovery and resolve against the local service: POST /recovery/run, POST /transactions/{id}/resolve,
 * and `pakka recover` / `pakka resolve` run as processes (bin/pakka.js), on DynamoDB Local with the
 * fault seam stopping coordinators.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../local/faults.js';
import type { LocalService } from '../../local/server.js';
import { HOUR_MS } from '../chaos/ledgerWorld.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';

const BIN = new URL('../../bin/pakka.js', import.meta.url).pathname;

function pakka(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--url', url, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const payer = uniqueId('payer');
const payee = uniqueId('payee');
const ids = { recover: uniqueId('rec'), resolve: uniqueId('res'), http: uniqueId('http'), httpRefused: uniqueId('ref'), listed: uniqueId('lst') };
// Each stops before its decision with every participant prepared, but `resolve`, which stops before any
// prepare ran: its claim names the participants, yet none has voted, so only ABORT may be decided.
const injector = new FaultInjector(
  Object.values(ids).map((txnId) => ({ fault: 'stopCoordinator' as const, at: txnId === ids.resolve ? 'Prepare' : 'LogCommitDecision', txnId })),
);
let service: LocalService;

const transfer = (txnId: string) => ({
  txnId,
  participants: [
    { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
    { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 100 }] },
  ],
});

async function stuck(txnId: string) {
  const answer = await call(service.url, 'POST', '/transactions', transfer(txnId));
  expect(answer.status).toBe(202);
  await service.pakka.drain();
  await injector.settled();
  expect(injector.wasStopped(txnId)).toBe(true);
  expect((await call<{ status: string }>(service.url, 'GET', `/transactions/${txnId}`)).body.status).toBe('PREPARING');
}

beforeAll(async () => {
  // The sweeper's clock runs an hour ahead: every stuck transaction is past its deadline.
  service = await startTestService({ pakka: injector.seams(), recovery: { timer: false, now: () => Date.now() + HOUR_MS }, log: () => {} });
  injector.attach(service.pakka);
  const funded = await call<{ status: string }>(service.url, 'POST', '/transactions?wait=true', {
    participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 1000 }] }],
  });
  expect(funded.body.status).toBe('COMMITTED');
});
afterAll(async () => {
  await service?.stop();
});

describe('recovery through the local service', () => {
  it('lists an undecided transaction under PREPARING from its claim (its participants in the request’s order), and drops it once decided', async () => {
    await stuck(ids.listed);
    type Listing = {
      transactions: Array<{ txnId: string; status: string; decision: string | null; participants: Array<{ name: string }> }>;
      nextCursor: string | null;
    };
    const listed = await call<Listing>(service.url, 'GET', '/transactions?status=PREPARING&limit=100');
    expect(listed.status).toBe(200);
    const row = listed.body.transactions.find((t) => t.txnId === ids.listed);
    expect(row).toMatchObject({ status: 'PREPARING', decision: null });
    expect(row?.participants.map((p) => p.name)).toEqual(['payer-bank', 'payee-bank']);
    expect(listed.body.nextCursor).toBeNull();
    expect((await call(service.url, 'GET', '/transactions?status=PREPARING&cursor=abc')).status).toBe(400);
    const resolved = await call(service.url, 'POST', `/transactions/${ids.listed}/resolve`, { decision: 'ABORT', operator: 'asha', reason: 'listing test' });
    expect(resolved.status).toBe(200);
    const after = await call<Listing>(service.url, 'GET', '/transactions?status=PREPARING&limit=100');
    expect(after.body.transactions.map((t) => t.txnId)).not.toContain(ids.listed);
  });

  it('pakka recover runs a sweep that aborts a transaction whose coordinator died before deciding', async () => {
    await stuck(ids.recover);
    const run = await pakka(service.url, ['recover']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/finished [1-9]/);
    expect(run.code).toBe(0);
    const view = (await call<{ status: string; decidedBy: string; participants: Array<{ state: string }> }>(service.url, 'GET', `/transactions/${ids.recover}`))
      .body;
    expect(view).toMatchObject({ status: 'ABORTED', decidedBy: 'recovery' });
    expect(view.participants.map((p) => p.state)).toEqual(['ABORTED', 'ABORTED']);
    const again = await pakka(service.url, ['--json', 'recover']);
    expect(JSON.parse(again.stdout)).toMatchObject({ finalized: 0, quiet: true });
  });

  it("pakka resolve --abort logs the operator's decision with who and why, and aborts; --commit of an undecided transaction is refused", async () => {
    await stuck(ids.resolve);
    // The claim names the participants, but the coordinator stopped before any of them voted: a commit is refused.
    const commit = await pakka(service.url, ['resolve', ids.resolve, '--commit', '--operator', 'asha', '--reason', 'both banks confirmed']);
    expect(commit.code).toBe(2);
    expect(commit.stderr).toContain('409 VOTES_UNKNOWN');
    const run = await pakka(service.url, ['resolve', ids.resolve, '--abort', '--operator', 'asha', '--reason', 'customer cancelled']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('ABORT delivered to every participant');
    // The CLI's exit code says the transaction's outcome, as `pakka submit` does: 1 is aborted.
    expect(run.code).toBe(1);
    const inspect = await pakka(service.url, ['inspect', ids.resolve]);
    expect(inspect.stdout).toMatch(/decided by\s+operator:asha/);
    expect(inspect.stdout).toMatch(/decision note\s+customer cancelled/);
    expect((await call<{ balance: number }>(service.url, 'GET', `/participants/payer-bank/items/${payer}`)).body.balance).toBe(1000);

    // Once decided, a second resolve is refused and shows the logged decision.
    const again = await pakka(service.url, ['resolve', ids.resolve, '--commit', '--operator', 'ravi', '--reason', 'second thoughts']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('409 DECISION_ALREADY_LOGGED');
    expect(again.stderr).toContain('ABORT by operator:asha');
  });

  it('pakka resolve refuses a call without exactly one of --commit and --abort', async () => {
    const run = await pakka(service.url, ['resolve', ids.recover, '--operator', 'asha', '--reason', 'neither']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--commit or --abort');
  });

  it('POST /transactions/{id}/resolve answers 400 for bad input, 409 with the logged decision, 200 with the transaction', async () => {
    await stuck(ids.http);
    const bad = await call(service.url, 'POST', `/transactions/${ids.http}/resolve`, { decision: 'ABORT', operator: 'asha' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'reason' } } });
    const empty = await call(service.url, 'POST', `/transactions/${ids.http}/resolve`);
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'body' } } });
    const missing = await call(service.url, 'POST', `/transactions/${uniqueId('none')}/resolve`, { decision: 'ABORT', operator: 'asha', reason: 'gone' });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const ok = await call(service.url, 'POST', `/transactions/${ids.http}/resolve`, { decision: 'ABORT', operator: 'asha', reason: 'customer cancelled' });
    expect(ok).toMatchObject({
      status: 200,
      body: { txnId: ids.http, decision: 'ABORT', final: true, transaction: { status: 'ABORTED', decidedBy: 'operator:asha' } },
    });
    const refused = await call(service.url, 'POST', `/transactions/${ids.http}/resolve`, { decision: 'COMMIT', operator: 'asha', reason: 'changed my mind' });
    expect(refused).toMatchObject({
      status: 409,
      body: {
        error: { code: 'DECISION_ALREADY_LOGGED', field: 'decision' },
        logged: { decision: 'ABORT', decidedBy: 'operator:asha', note: 'customer cancelled' },
      },
    });
  });

  it("POST /recovery/run answers the sweep's counts; GET is not allowed", async () => {
    await stuck(ids.httpRefused);
    const run = await call(service.url, 'POST', '/recovery/run');
    expect(run).toMatchObject({ status: 200, body: { decided: 1, finalized: 1, errors: 0 } });
    expect((await call(service.url, 'GET', '/recovery/run')).status).toBe(405);
  });
});
