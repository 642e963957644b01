/**
 * A UPI transfer: the payer's bank debits, the payee's bank credits, the UPI switch earns its fee
 * and an SMS is queued, all or nothing. Then a transfer larger than the balance aborts and nothing moves.
 */
import { type Scenario, ScenarioRun, credit, debit } from './scenario.js';

export const AMOUNT = 25_000; // paise: ₹250.00
export const FEE = 200;
export const OPENING_BALANCE = 100_000;

export interface UpiKeys {
  payer: string;
  payee: string;
  switchAccount: string;
  sms: string;
  failedSms: string;
}

export const upiTransfer: Scenario<UpiKeys> = {
  name: 'upi',
  title: 'UPI transfer: payer bank, payee bank, switch fee and SMS, all or nothing',
  async run(context) {
    const run = new ScenarioRun(context);
    const keys: UpiKeys = {
      payer: `alice-${context.runId}`,
      payee: `bob-${context.runId}`,
      switchAccount: `fees-${context.runId}`,
      sms: `sms-${context.runId}-1`,
      failedSms: `sms-${context.runId}-2`,
    };
    const transfer = (amount: number, sms: string) => ({
      participants: [
        debit('payer-bank', keys.payer, amount + FEE),
        credit('payee-bank', keys.payee, amount),
        credit('upi-switch', keys.switchAccount, FEE),
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: sms, message: `You paid Rs ${amount / 100} to ${keys.payee}` }] },
      ],
    });
    await run.transaction('fund the payer', 'COMMITTED', { participants: [credit('payer-bank', keys.payer, OPENING_BALANCE)] });
    await run.transaction(`transfer ₹${AMOUNT / 100}`, 'COMMITTED', transfer(AMOUNT, keys.sms));
    const remaining = OPENING_BALANCE - AMOUNT - FEE;
    await run.transaction(`transfer ₹${OPENING_BALANCE / 100} (more than the balance)`, 'ABORTED', transfer(OPENING_BALANCE, keys.failedSms));

    await run.expectBalance('payer-bank', keys.payer, remaining);
    await run.expectBalance('payee-bank', keys.payee, AMOUNT);
    await run.expectBalance('upi-switch', keys.switchAccount, FEE);
    await run.expectField('sms-gateway', keys.sms, 'messageStatus', 'READY');
    await run.expectField('sms-gateway', keys.failedSms, 'message', null);
    await run.expectUnlocked('payer-bank', keys.payer);
    return run.result(keys);
  },
};
