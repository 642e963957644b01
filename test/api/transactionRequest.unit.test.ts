/** The request rules: every bad input gets a 400-style error naming the field and the rule. */
import { describe, expect, it } from 'vitest';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { LIMITS, requestDigest, transactionIdFor, validateTransactionRequest } from '../../lambdas/request/transactionRequest.js';

const config = loadParticipantConfig();
const transfer = {
  participants: [
    { name: 'payer-bank', operations: [{ op: 'debit', key: 'alice', amount: 500 }] },
    { name: 'payee-bank', operations: [{ op: 'credit', key: 'bob', amount: 500 }] },
  ],
};

function fieldOf(body: unknown) {
  const result = validateTransactionRequest(body, config);
  if (result.ok) throw new Error('expected a validation error');
  expect(result.error.code).toBe('INVALID_REQUEST');
  expect(result.error.message).toContain(result.error.field);
  return result.error.field;
}

describe('validateTransactionRequest', () => {
  it('accepts a transfer and fills the default timeout', () => {
    const result = validateTransactionRequest(transfer, config);
    expect(result).toEqual({ ok: true, value: { ...transfer, timeoutSeconds: LIMITS.defaultTimeoutSeconds } });
  });

  it.each([
    ['a body that is not an object', 'not json', 'body'],
    ['no participants field', {}, 'participants'],
    ['an empty participant list', { participants: [] }, 'participants'],
    ['an unknown top-level field', { ...transfer, colour: 'red' }, 'colour'],
    ['an unknown participant', { participants: [{ name: 'mars-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] }, 'participants[0].name'],
    ['the same participant twice', { participants: [transfer.participants[0], transfer.participants[0]] }, 'participants[1].name'],
    ['no operations', { participants: [{ name: 'payer-bank', operations: [] }] }, 'participants[0].operations'],
    [
      'an unknown operation',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'steal', key: 'a', amount: 1 }] }] },
      'participants[0].operations[0].op',
    ],
    [
      'an operation of another kind',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'hold', key: 'a', holder: 'h' }] }] },
      'participants[0].operations[0].op',
    ],
    [
      'a float amount',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 1.5 }] }] },
      'participants[0].operations[0].amount',
    ],
    ['a zero amount', { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 0 }] }] }, 'participants[0].operations[0].amount'],
    [
      'a negative amount',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: 'a', amount: -5 }] }] },
      'participants[0].operations[0].amount',
    ],
    [
      'an amount given as a string',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: 'a', amount: '5' }] }] },
      'participants[0].operations[0].amount',
    ],
    ['a missing amount', { participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: 'a' }] }] }, 'participants[0].operations[0].amount'],
    [
      'an unknown operation field',
      { participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: 'a', amount: 1, memo: 'x' }] }] },
      'participants[0].operations[0].memo',
    ],
    ['a bad key', { participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key: '', amount: 1 }] }] }, 'participants[0].operations[0].key'],
    [
      'the same key twice in one participant',
      {
        participants: [
          {
            name: 'payer-bank',
            operations: [
              { op: 'credit', key: 'a', amount: 1 },
              { op: 'debit', key: 'a', amount: 1 },
            ],
          },
        ],
      },
      'participants[0].operations[1].key',
    ],
    ['a bad txnId', { ...transfer, txnId: 'has spaces in it' }, 'txnId'],
    ['a txnId too long', { ...transfer, txnId: 'x'.repeat(81) }, 'txnId'],
    ['a timeout too long', { ...transfer, timeoutSeconds: 301 }, 'timeoutSeconds'],
    ['a fractional timeout', { ...transfer, timeoutSeconds: 2.5 }, 'timeoutSeconds'],
  ])('rejects %s', (_what, body, field) => {
    expect(fieldOf(body)).toBe(field);
  });

  it('rejects more participants and operations than the limits', () => {
    const many = Array.from({ length: LIMITS.maxParticipants + 1 }, (_, i) => ({ name: `p${i}`, operations: [] }));
    expect(fieldOf({ participants: many })).toBe('participants');
    const ops = Array.from({ length: LIMITS.maxOperationsPerParticipant + 1 }, (_, i) => ({ op: 'credit', key: `k${i}`, amount: 1 }));
    expect(fieldOf({ participants: [{ name: 'payer-bank', operations: ops }] })).toBe('participants[0].operations');
  });
});

describe('transaction identity', () => {
  it('derives the same txnId from the same Idempotency-Key, and honours a given txnId', () => {
    const request = { participants: transfer.participants, timeoutSeconds: 30 };
    expect(transactionIdFor(request, 'key-1')).toBe(transactionIdFor(request, 'key-1'));
    expect(transactionIdFor(request, 'key-1')).not.toBe(transactionIdFor(request, 'key-2'));
    expect(transactionIdFor({ ...request, txnId: 'mine' }, 'key-1')).toBe('mine');
    expect(transactionIdFor(request)).not.toBe(transactionIdFor(request));
  });

  it('digests the content, so a different body under the same key is detectable', () => {
    const request = { participants: transfer.participants, timeoutSeconds: 30 };
    expect(requestDigest(request)).toBe(requestDigest(structuredClone(request)));
    expect(requestDigest({ ...request, timeoutSeconds: 31 })).not.toBe(requestDigest(request));
  });
});
