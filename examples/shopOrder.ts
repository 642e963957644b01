/**
 * A shop order: the warehouse reserves stock, the bank takes the payment and an SMS confirms it.
 * When the stock is short, the payment is not taken either.
 */
import { type Scenario, ScenarioRun, credit, debit } from './scenario.js';

export const PRICE = 79_900; // paise: ₹799.00
export const STOCK = 2;
export const WALLET = 500_000;

export interface ShopKeys {
  customer: string;
  sku: string;
  sms: string;
  failedSms: string;
}

export const shopOrder: Scenario<ShopKeys> = {
  name: 'shop',
  title: 'Shop order: stock, payment and confirmation SMS; out of stock takes no money',
  async run(context) {
    const run = new ScenarioRun(context);
    const keys: ShopKeys = {
      customer: `customer-${context.runId}`,
      sku: `kurta-m-${context.runId}`,
      sms: `order-${context.runId}-1`,
      failedSms: `order-${context.runId}-2`,
    };
    const order = (quantity: number, sms: string) => ({
      participants: [
        { name: 'warehouse', operations: [{ op: 'reserve', key: keys.sku, quantity }] },
        debit('payer-bank', keys.customer, PRICE * quantity),
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: sms, message: `Order confirmed: ${quantity} x ${keys.sku}` }] },
      ],
    });
    await run.transaction('stock the warehouse and fund the customer', 'COMMITTED', {
      participants: [{ name: 'warehouse', operations: [{ op: 'restock', key: keys.sku, quantity: STOCK }] }, credit('payer-bank', keys.customer, WALLET)],
    });
    await run.transaction('order 1', 'COMMITTED', order(1, keys.sms));
    await run.transaction(`order ${STOCK} more than are left`, 'ABORTED', order(STOCK, keys.failedSms));

    await run.expectField('warehouse', keys.sku, 'stock', STOCK - 1);
    await run.expectBalance('payer-bank', keys.customer, WALLET - PRICE);
    await run.expectField('sms-gateway', keys.sms, 'messageStatus', 'READY');
    await run.expectField('sms-gateway', keys.failedSms, 'message', null);
    await run.expectUnlocked('warehouse', keys.sku);
    return run.result(keys);
  },
};
