/**
 * The pure paging of the listings of transactions not final (lambdas/api/stuckListing.ts), over a
 * stand-in HeldReader: each status alone, and OPEN, which lists the three at once in the held order.
 */
import { describe, expect, it } from 'vitest';
import { type StuckFilter, STUCK_FILTERS, STUCK_STATUSES } from '../../lambdas/api/listStatuses.js';
import { type HeldReader, type HeldRef, type StuckCursor, decodeStuckCursor, encodeStuckCursor, stuckPage } from '../../lambdas/api/stuckListing.js';
import type { TransactionView, TxnStatus } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { transactionViewOf } from '../support/transactionViews.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

/** What is held, and for each transaction its derived status and the ref it is listed under. */
const HELD: Array<HeldRef & { status?: TxnStatus; listed?: boolean }> = [
  { txnId: 't-p1', at: at(1), source: 'payer-bank', status: 'PREPARING', listed: true },
  { txnId: 't-c1', at: at(2), source: 'payee-bank', status: 'COMMITTING', listed: true },
  // Two refs at one instant: the transaction is listed under one of them only.
  { txnId: 't-a1', at: at(3), source: '#open', status: 'ABORTING', listed: true },
  { txnId: 't-a1', at: at(3), source: 'payer-bank' },
  // Final by now (its record not yet tidied): in no listing of these.
  { txnId: 't-done', at: at(4), source: 'payer-bank', status: 'COMMITTED', listed: true },
  { txnId: 't-p1', at: at(5), source: 'payee-bank' },
  { txnId: 't-p2', at: at(6), source: '#open', status: 'PREPARING', listed: true },
  { txnId: 't-c2', at: at(7), source: 'payer-bank', status: 'COMMITTING', listed: true },
  // Gone between the index read and the describe.
  { txnId: 't-gone', at: at(8), source: 'payee-bank' },
  { txnId: 't-a2', at: at(9), source: 'payee-bank', status: 'ABORTING', listed: true },
  { txnId: 't-p3', at: at(9), source: 'payer-bank', status: 'PREPARING', listed: true },
];

const view = (txnId: string, status: TxnStatus): TransactionView => transactionViewOf({ txnId, status });

/** Reads as the table adapters do: oldest first from `from` (inclusive), at most `limit`, and how many reads it took. */
function reader(): HeldReader & { reads: number } {
  const refs = HELD.map(({ txnId, at, source }) => ({ txnId, at, source }));
  const described = new Map(
    HELD.filter((h) => h.listed && h.status).map((h) => [h.txnId, { view: view(h.txnId, h.status as TxnStatus), listedUnder: h.source }]),
  );
  return {
    reads: 0,
    async heldFrom(from, limit) {
      this.reads++;
      const after = refs.filter((r) => from === undefined || r.at >= from);
      return { refs: after.slice(0, limit), exhausted: after.length <= limit };
    },
    async describeHeld(txnIds) {
      return new Map(txnIds.flatMap((id) => (described.has(id) ? [[id, described.get(id) as NonNullable<ReturnType<typeof described.get>>]] : [])));
    },
  };
}

/** Every page of a filter, through the encoded cursor as a client would pass it back. */
async function everyPage(filter: StuckFilter, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: StuckCursor | undefined;
  for (;;) {
    const page = await stuckPage(reader(), filter, limit, after);
    pages.push(page.transactions.map((t) => t.txnId));
    if (!page.next) return pages;
    expect(page.transactions.length, 'a page before the end is full').toBe(limit);
    expect(page.next.filter).toBe(filter);
    after = decodeStuckCursor(encodeStuckCursor(page.next));
    expect(after).toEqual(page.next);
  }
}

describe('stuckPage', () => {
  it('lists each status once, oldest first, skipping the final, the gone and the second ref of one transaction', async () => {
    expect((await everyPage('PREPARING', 10)).flat()).toEqual(['t-p1', 't-p2', 't-p3']);
    expect((await everyPage('COMMITTING', 10)).flat()).toEqual(['t-c1', 't-c2']);
    expect((await everyPage('ABORTING', 10)).flat()).toEqual(['t-a1', 't-a2']);
  });

  it('OPEN: the union of the three, each once, in the held order', async () => {
    const open = (await everyPage('OPEN', 100)).flat();
    expect(open).toEqual(['t-p1', 't-c1', 't-a1', 't-p2', 't-c2', 't-a2', 't-p3']);
    const each = await Promise.all(STUCK_STATUSES.map(async (s) => (await everyPage(s, 100)).flat()));
    expect([...open].sort()).toEqual(each.flat().sort());
    // Each status's own listing is the OPEN listing with the others left out: the same order.
    for (const [i, status] of STUCK_STATUSES.entries()) {
      const page = await stuckPage(reader(), 'OPEN', 100);
      expect(page.transactions.filter((t) => t.status === status).map((t) => t.txnId)).toEqual(each[i]);
    }
  });

  it('OPEN pages across the statuses with any page size, no page empty before the end', async () => {
    const whole = (await everyPage('OPEN', 100)).flat();
    // With limit 1, a read of 2 refs from at(3) holds only the two that share it, both passed: the next read asks for more.
    for (const limit of [1, 2, 3, 4, 6, 7]) {
      const pages = await everyPage('OPEN', limit);
      expect(pages.flat(), `limit ${limit}`).toEqual(whole);
      expect(pages.at(-1)?.length, `limit ${limit}: the last page`).toBeGreaterThan(0);
    }
  });

  it('pages past a burst of holds that share one instant, however small the page', async () => {
    const burst: HeldRef[] = Array.from({ length: 25 }, (_, i) => ({ txnId: `t-b${String(i).padStart(2, '0')}`, at: at(1), source: 'payer-bank' }));
    const held: HeldReader = {
      async heldFrom(from, limit) {
        const after = burst.filter((r) => from === undefined || r.at >= from);
        return { refs: after.slice(0, limit), exhausted: after.length <= limit };
      },
      async describeHeld(txnIds) {
        return new Map(txnIds.map((id) => [id, { view: view(id, 'PREPARING'), listedUnder: 'payer-bank' }]));
      },
    };
    const listed: string[] = [];
    let after: StuckCursor | undefined;
    for (;;) {
      const page = await stuckPage(held, 'OPEN', 3, after);
      listed.push(...page.transactions.map((t) => t.txnId));
      if (!page.next) break;
      after = page.next;
    }
    expect(listed).toEqual(burst.map((r) => r.txnId));
  });

  it('reads the held indexes once for a page of OPEN', async () => {
    const held = reader();
    await stuckPage(held, 'OPEN', 100);
    expect(held.reads).toBe(1);
  });
});

describe('the stuck cursor', () => {
  it('remembers every filter, and refuses one that is not a stuck filter', () => {
    for (const filter of STUCK_FILTERS) {
      const cursor: StuckCursor = { filter, at: at(3), txnId: 't-a1', source: '#open' };
      expect(decodeStuckCursor(encodeStuckCursor(cursor))).toEqual(cursor);
    }
    const committed = Buffer.from(JSON.stringify({ v: 3, filter: 'COMMITTED', at: at(3), txnId: 't-a1', source: '#open' })).toString('base64url');
    expect(decodeStuckCursor(committed)).toBeUndefined();
  });
});
