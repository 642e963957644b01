/**
 * Every view of an undecided transaction agrees and tells the truth (issue 22, part 1), on DynamoDB
 * Local and the real ASL: GET gives a real deadline, the 202 of `?wait=true` the transaction's own
 * createdAt, `inspect` the items its records hold and a timeline of its prepare phase.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { getTransaction, type Inspection, inspectTransaction, submitTransaction, type TransactionStatus } from '../../lambdas/api/transactionRoutes.js';
import { localTransactionService } from '../../local/transactionService.js';
import { transferRequest } from '../chaos/ledgerWorld.js';
import { fundedWorlds, transfer } from '../support/transferFixtures.js';

const world = fundedWorlds();

describe('an undecided transaction, seen through the API', () => {
  it('GET has a deadline after createdAt; inspect shows the items its records hold and its prepare timeline', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    await w.start('t1', transfer).done;
    await w.injector.settled();
    const service = localTransactionService(w.pakka, w.dynamo);
    const got = JSON.parse((await getTransaction(service, 't1')).body) as TransactionStatus;
    expect(got.status).toBe('PREPARING');
    expect(Date.parse(got.deadline)).toBeGreaterThan(Date.parse(got.createdAt));
    const inspected = JSON.parse((await inspectTransaction(service, 't1')).body) as Inspection;
    const items = Object.fromEntries(inspected.participants.map((p) => [p.name, p.items.map((i) => i.key)]));
    expect(items).toEqual({ 'payer-bank': ['alice'], 'payee-bank': ['bob'], 'upi-switch': ['fees'] });
    // The payer's item shows what this transaction holds on it: the 1000 it debits, reserved.
    expect(inspected.participants.find((p) => p.name === 'payer-bank')?.items[0]?.view).toMatchObject({ balance: 5000, reserved: 1000 });
    expect(inspected.timeline.phases[0]).toMatchObject({ phase: 'prepare', startedAt: got.createdAt, endedAt: null });
    for (const p of inspected.timeline.participants) expect(p.prepare.preparedAt).not.toBeNull();
  });

  it('the 202 of ?wait=true gives the createdAt GET gives, not the time of the reply', async () => {
    const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't2' }]);
    const service = localTransactionService(w.pakka, w.dynamo);
    const event = {
      body: JSON.stringify(transferRequest('t2', transfer)),
      queryStringParameters: { wait: 'true' },
      headers: { 'Content-Type': 'application/json' },
    } as unknown as APIGatewayProxyEvent;
    const waiting = submitTransaction(service, event, { waitMs: 300, pollMinMs: 25, pollMaxMs: 50 });
    await w.injector.paused('t2');
    const answer = await waiting;
    expect(answer.statusCode).toBe(202);
    const accepted = JSON.parse(answer.body) as TransactionStatus;
    const got = JSON.parse((await getTransaction(service, 't2')).body) as TransactionStatus;
    expect(accepted).toMatchObject({ status: 'PREPARING', createdAt: got.createdAt, deadline: got.deadline });
    expect(Date.parse(accepted.deadline) - Date.parse(accepted.createdAt)).toBe(30_000);
    w.injector.resume('t2');
    await w.pakka.drain();
  });
});
