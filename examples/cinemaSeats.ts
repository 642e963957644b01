/**
 * Cinema seats: many customers race for the same seats at once. Each customer wants a pair of seats
 * and pays for both in the same transaction. A customer who loses a lock race (LOCK_CONFLICT) tries
 * again, one who finds the seats sold (ALREADY_HELD) gives up. Each pair is sold exactly once, as a
 * pair, and the losers' money is untouched.
 */
import type { TransactionStatus } from '../client/index.js';
import { type Scenario, ScenarioRun, debit } from './scenario.js';

export const SEAT_PRICE = 25_000;
export const PAIRS = [
  ['A1', 'A2'],
  ['B1', 'B2'],
  ['C1', 'C2'],
] as const;
export const CUSTOMERS = 9;
export const WALLET = 100_000;
const MAX_ATTEMPTS = 25;

export interface CinemaKeys {
  show: string;
  customers: string[];
  /** Which pair each customer wants (index into PAIRS). */
  wants: number[];
  /** The seat keys of each pair. */
  seats: string[][];
}

export const cinemaSeats: Scenario<CinemaKeys> = {
  name: 'cinema',
  title: `Cinema seats: ${CUSTOMERS} customers race for ${PAIRS.length} pairs of seats`,
  async run(context) {
    const run = new ScenarioRun(context);
    const show = `show-${context.runId}`;
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `viewer${i + 1}-${context.runId}`);
    const wants = customers.map((_, i) => i % PAIRS.length);
    const seats = PAIRS.map((pair) => pair.map((seat) => `${show}/${seat}`));
    await run.transaction(`fund ${CUSTOMERS} customers`, 'COMMITTED', {
      participants: [{ name: 'payer-bank', operations: customers.map((c) => ({ op: 'credit', key: c, amount: WALLET })) }],
    });

    const buy = async (customer: string, pair: string[]): Promise<TransactionStatus> => {
      const body = {
        participants: [
          { name: 'cinema', operations: pair.map((key) => ({ op: 'hold', key, holder: customer })) },
          debit('payer-bank', customer, SEAT_PRICE * pair.length),
        ],
      };
      for (let attempt = 1; ; attempt++) {
        const transaction = await run.client.run(body);
        if (transaction.status !== 'ABORTED' || transaction.reason !== 'LOCK_CONFLICT' || attempt === MAX_ATTEMPTS) return transaction;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt)); // back off, with jitter
      }
    };
    const outcomes = await Promise.all(
      customers.map(async (customer, i) => {
        const pair = seats[wants[i] ?? 0] ?? [];
        const transaction = await buy(customer, pair);
        const seatNames = (PAIRS[wants[i] ?? 0] ?? []).join('+');
        // Which customer wins is a race; the story only fixes that a loser finds the seats sold.
        const expected = transaction.status === 'COMMITTED' ? 'COMMITTED' : 'ABORTED';
        const step = { label: `${customer.split('-')[0]} buys ${seatNames}${expected === 'ABORTED' ? ' (too late)' : ''}`, expected, transaction } as const;
        run.steps.push(step);
        context.onStep?.(step);
        return { customer, pair: wants[i] ?? 0, transaction };
      }),
    );

    for (const [p, pair] of seats.entries()) {
      const winners = outcomes.filter((o) => o.pair === p && o.transaction.status === 'COMMITTED');
      run.check(`pair ${pair.join(' + ')} sold exactly once`, winners.length === 1, `${winners.length} committed purchases`);
      for (const seat of pair) await run.expectField('cinema', seat, 'heldBy', winners[0]?.customer ?? null);
    }
    for (const o of outcomes) {
      const paid = o.transaction.status === 'COMMITTED' ? SEAT_PRICE * 2 : 0;
      if (o.transaction.status === 'ABORTED') {
        run.check(`${o.customer} lost because the seats were sold`, o.transaction.reason === 'ALREADY_HELD', `${o.transaction.reason}`);
      }
      await run.expectBalance('payer-bank', o.customer, WALLET - paid);
    }
    return run.result({ show, customers, wants, seats });
  },
};
