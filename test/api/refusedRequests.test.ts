/** Inputs a security review found mishandled: each must be refused with the field and rule named. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { validateTransactionRequest } from '../../lambdas/request/transactionRequest.js';
import type { LocalService } from '../../local/server.js';
import { startTestService } from '../support/service.js';
import { uniqueId } from '../support/pakka.js';

const config = loadParticipantConfig();
const errorOf = (body: unknown) => {
  const result = validateTransactionRequest(body, config);
  if (result.ok) throw new Error('expected a validation error');
  return result.error;
};
const credit = (amount: unknown) => ({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount }] }] });

describe('validation messages', () => {
  it('says "is required" only for a missing field, and names the rule for a wrong type', () => {
    expect(errorOf(credit('5'))).toMatchObject({
      field: 'participants[0].operations[0].amount',
      message: 'participants[0].operations[0].amount must be a number',
    });
    expect(errorOf(credit(undefined)).message).toBe('participants[0].operations[0].amount is required');
    expect(errorOf({ participants: 5 }).message).toBe('participants must be an array of participants');
  });

  it('refuses an own __proto__ key in an operation instead of dropping it', () => {
    const body = JSON.parse('{"participants":[{"name":"payer-bank","operations":[{"op":"credit","key":"a","amount":1,"__proto__":{"x":1}}]}]}') as unknown;
    expect(errorOf(body).field).toBe('participants[0].operations[0].__proto__');
  });
});

describe('naming a transaction twice', () => {
  let service: LocalService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('refuses a body txnId together with an Idempotency-Key, and starts nothing', async () => {
    const txnId = uniqueId('named');
    const response = await fetch(`${service.url}/transactions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' },
      body: JSON.stringify({ txnId, ...credit(1) }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', field: 'txnId' } });
    expect((await fetch(`${service.url}/transactions/${txnId}`)).status).toBe(404);
  });
});
