/**
 * The example scenarios against the local service. Each one's end state is read back here through
 * the API and asserted directly, not only through the scenario's own checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PakkaClient } from '../../client/index.js';
import { CUSTOMERS, PAIRS, SEAT_PRICE, WALLET as CINEMA_WALLET, cinemaSeats } from '../../examples/cinemaSeats.js';
import { type ScenarioResult, newRunId } from '../../examples/scenario.js';
import { PRICE, STOCK, WALLET as SHOP_WALLET, shopOrder } from '../../examples/shopOrder.js';
import { AMOUNT, FEE, OPENING_BALANCE, upiTransfer } from '../../examples/upiTransfer.js';
import { BUSY_VENDOR, VENDORS, weddingBooking } from '../../examples/weddingBooking.js';
import type { LocalService } from '../../local/server.js';
import { startTestService } from '../support/service.js';

let service: LocalService;
let client: PakkaClient;
beforeAll(async () => {
  service = await startTestService();
  client = new PakkaClient(service.url);
});
afterAll(async () => service?.stop());

const field = async (participant: string, key: string, name: string) => (await client.item(participant, key))?.[name];
const lockOf = async (participant: string, key: string) => (await client.item(participant, key))?.lockedBy;

function expectAllChecksHold(result: ScenarioResult<unknown>): void {
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.length).toBeGreaterThan(0);
}

describe('scenarios', () => {
  it('UPI transfer: money, fee and SMS move together; an overdraft moves nothing', async () => {
    const result = await upiTransfer.run({ client, runId: newRunId() });
    expect(result.steps.map((s) => s.transaction.status)).toEqual(['COMMITTED', 'COMMITTED', 'ABORTED']);
    expect(result.steps[2]?.transaction.reason).toBe('INSUFFICIENT_FUNDS');
    const { payer, payee, switchAccount, sms, failedSms } = result.keys;
    expect(await field('payer-bank', payer, 'balance')).toBe(OPENING_BALANCE - AMOUNT - FEE);
    expect(await field('payee-bank', payee, 'balance')).toBe(AMOUNT);
    expect(await field('upi-switch', switchAccount, 'balance')).toBe(FEE);
    expect(await client.item('sms-gateway', sms)).toMatchObject({ messageStatus: 'READY', message: expect.stringContaining('You paid') });
    expect(await client.item('sms-gateway', failedSms)).toBeUndefined();
    expect(await lockOf('payer-bank', payer)).toBeUndefined();
    expectAllChecksHold(result);
  });

  it('wedding: five vendors hold the date together; when one is taken, the other four are released', async () => {
    const result = await weddingBooking.run({ client, runId: newRunId() });
    expect(result.steps.map((s) => s.transaction.status)).toEqual(['COMMITTED', 'COMMITTED', 'ABORTED']);
    expect(result.steps[2]?.transaction.reason).toBe('ALREADY_HELD');
    const { firstDate, secondDate, couple, otherClient } = result.keys;
    for (const vendor of VENDORS) expect(await field(vendor, firstDate, 'heldBy')).toBe(couple);
    expect(await field(BUSY_VENDOR, secondDate, 'heldBy')).toBe(otherClient);
    for (const vendor of VENDORS.filter((v) => v !== BUSY_VENDOR)) {
      // The aborted hold was the first use of that date: the provisional item is gone with its lock.
      expect(await client.item(vendor, secondDate)).toBeUndefined();
    }
    expectAllChecksHold(result);
  });

  it('shop order: stock, payment and SMS together; out of stock takes no money', async () => {
    const result = await shopOrder.run({ client, runId: newRunId() });
    expect(result.steps.map((s) => s.transaction.status)).toEqual(['COMMITTED', 'COMMITTED', 'ABORTED']);
    expect(result.steps[2]?.transaction.reason).toBe('OUT_OF_STOCK');
    const { customer, sku, sms, failedSms } = result.keys;
    expect(await field('warehouse', sku, 'stock')).toBe(STOCK - 1);
    expect(await field('payer-bank', customer, 'balance')).toBe(SHOP_WALLET - PRICE);
    expect(await field('sms-gateway', sms, 'messageStatus')).toBe('READY');
    expect(await client.item('sms-gateway', failedSms)).toBeUndefined();
    expect(await lockOf('warehouse', sku)).toBeUndefined();
    expect(await lockOf('payer-bank', customer)).toBeUndefined();
    expectAllChecksHold(result);
  });

  it('cinema: concurrent customers race; each pair of seats is sold exactly once and losers keep their money', async () => {
    const result = await cinemaSeats.run({ client, runId: newRunId() });
    const { customers, wants, seats } = result.keys;
    expect(customers).toHaveLength(CUSTOMERS);
    const winners = new Map<number, string>();
    for (const [p, pair] of seats.entries()) {
      const holders = await Promise.all(pair.map((seat) => field('cinema', seat, 'heldBy')));
      // Both seats of a pair went to one customer, who wanted that pair.
      expect(new Set(holders).size).toBe(1);
      const holder = holders[0] as string;
      expect(wants[customers.indexOf(holder)]).toBe(p);
      winners.set(p, holder);
      for (const seat of pair) expect(await lockOf('cinema', seat)).toBeUndefined();
    }
    expect(winners.size).toBe(PAIRS.length);
    for (const customer of customers) {
      const won = [...winners.values()].includes(customer);
      expect(await field('payer-bank', customer, 'balance')).toBe(won ? CINEMA_WALLET - 2 * SEAT_PRICE : CINEMA_WALLET);
      expect(await lockOf('payer-bank', customer)).toBeUndefined();
    }
    const purchases = result.steps.slice(1);
    expect(purchases.filter((s) => s.transaction.status === 'COMMITTED')).toHaveLength(PAIRS.length);
    expect(purchases.filter((s) => s.transaction.status === 'ABORTED').map((s) => s.transaction.reason)).toEqual(
      Array(CUSTOMERS - PAIRS.length).fill('ALREADY_HELD'),
    );
    expectAllChecksHold(result);
  });

  it('a scenario can run again on the same database: every run uses its own keys', async () => {
    const [first, second] = [await shopOrder.run({ client, runId: newRunId() }), await shopOrder.run({ client, runId: newRunId() })];
    expect(first.keys.sku).not.toBe(second.keys.sku);
    expectAllChecksHold(second);
  });
});
