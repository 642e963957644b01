/**
 * Every page of a listing, following `nextCursor` until it is null: the live view shows every stuck
 * transaction, not only the first page. `maxPages` bounds a runaway listing; `capped` says it was hit.
 */
import type { TransactionList, TransactionView } from './apiTypes.js';

export async function allPages(
  get: (path: string) => Promise<TransactionList>,
  path: string,
  maxPages = 50,
): Promise<{ transactions: TransactionView[]; capped: boolean }> {
  const transactions: TransactionView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const list: TransactionList = await get(cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`);
    transactions.push(...list.transactions);
    cursor = list.nextCursor;
    if (cursor === null) return { transactions, capped: false };
  }
  return { transactions, capped: true };
}
