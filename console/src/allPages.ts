/**
 * Every page of a listing, following `nextCursor` until it is null: the live views show every stuck
 * transaction, not only the first page. `maxPages` bounds a runaway listing; `capped` says it was hit.
 * `read` asks for one page (the first with a null cursor), so the console (paths) and `pakka top`
 * (the client) page the same way.
 */
import type { TransactionList, TransactionView } from './apiTypes.js';

export async function allPages(
  read: (cursor: string | null) => Promise<TransactionList>,
  maxPages = 50,
): Promise<{ transactions: TransactionView[]; capped: boolean }> {
  const transactions: TransactionView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const list: TransactionList = await read(cursor);
    transactions.push(...list.transactions);
    cursor = list.nextCursor;
    if (cursor === null) return { transactions, capped: false };
  }
  return { transactions, capped: true };
}

/** The pages of `path` through `get`, each after the first with the cursor as a query parameter. */
export const pagesOfPath =
  (get: (path: string) => Promise<TransactionList>, path: string) =>
  (cursor: string | null): Promise<TransactionList> =>
    get(cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`);
