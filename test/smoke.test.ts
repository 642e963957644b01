import { describe, expect, it } from 'vitest';
import { testPakka, uniqueId } from './support/pakka.js';

describe('smoke', () => {
  it('commits a UPI transfer', async () => {
    const pakka = await testPakka();
    const payer = uniqueId('acct');
    const fund = await pakka.runTransaction({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 1000 }] }] });
    console.log(JSON.stringify(fund, null, 1));
    const r = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 500 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: 'bob', amount: 495 }] },
        { name: 'upi-switch', operations: [{ op: 'credit', key: 'fees', amount: 5 }] },
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: uniqueId('sms'), message: 'paid' }] },
      ],
    });
    console.log(JSON.stringify(r, null, 1));
    const r2 = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 5000 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: 'bob', amount: 4950 }] },
      ],
    });
    console.log(JSON.stringify(r2, null, 1));
    expect(r.ok).toBe(true);
  });
});
