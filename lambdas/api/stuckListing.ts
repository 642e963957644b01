/**
 * GET /transactions?status=PREPARING|COMMITTING|ABORTING|OPEN: the transactions not yet final (of
 * one status, or OPEN: all three), oldest (most stuck) first. A transaction is stuck while something is held for it, a participant's
 * PREPARED record, or while its log item is in the open index; so the listing pages through those
 * (a few, however many transactions finished) and never through the finished ones. A page is empty
 * only when nothing follows it. The paging is pure: the reads come in through HeldReader.
 */
import { z } from 'zod';
import type { TransactionView } from '../coordinatorLog/coordinatorLog.js';
import { TXN_ID_PATTERN } from '../request/transactionRequest.js';
import { OPEN_FILTER, STUCK_FILTERS, type StuckFilter, isStuckStatus } from './listStatuses.js';

/** The source of a ref found through the coordinator log's open index (participant names never start with '#'). */
export const OPEN_LOG_SOURCE = '#open';

/** One thing held for a transaction: a participant's PREPARED record (source: the participant) or its open log item. */
export interface HeldRef {
  txnId: string;
  /** When it began to be held: the record's inDoubtSince, or the log item's createdAt. */
  at: string;
  source: string;
}

export interface HeldRead {
  /** Oldest first, none older than `from`. */
  refs: HeldRef[];
  exhausted: boolean;
}

/** A transaction as its listing shows it, and the one ref it is listed under (so it appears once). */
export interface HeldTransaction {
  view: TransactionView;
  listedUnder: string;
}

export interface HeldReader {
  heldFrom(from: string | undefined, limit: number): Promise<HeldRead>;
  /** The transactions' views (status derived as GET shows it), absent for one that no longer exists. */
  describeHeld(txnIds: readonly string[]): Promise<Map<string, HeldTransaction>>;
}

export interface StuckCursor {
  filter: StuckFilter;
  at: string;
  txnId: string;
  source: string;
}

const inFilter = (filter: StuckFilter, status: string): boolean => (filter === OPEN_FILTER ? isStuckStatus(status) : status === filter);

const compare = (a: Omit<HeldRef, 'txnId'> & { txnId: string }, b: Omit<HeldRef, 'txnId'> & { txnId: string }) =>
  a.at.localeCompare(b.at) || a.txnId.localeCompare(b.txnId) || a.source.localeCompare(b.source);

/** How many holds of one instant a listing reads at most to page past them (a read doubles until it finds a newer one). */
export const MAX_REFS_OF_ONE_INSTANT = 4096;

/**
 * The page after `after`: up to `limit` transactions of `filter`, and a cursor only when at least one
 * more follows (the page looks one transaction ahead, so the last page is never an empty one).
 */
export async function stuckPage(
  reader: HeldReader,
  filter: StuckFilter,
  limit: number,
  after?: StuckCursor,
): Promise<{ transactions: TransactionView[]; next: StuckCursor | null }> {
  const found: Array<{ ref: HeldRef; view: TransactionView }> = [];
  let passed: HeldRef | undefined = after;
  let want = limit + 1;
  for (;;) {
    const read = await reader.heldFrom(passed?.at, want);
    const refs = read.refs.filter((r) => !passed || compare(r, passed) > 0);
    if (!refs.length && !read.exhausted) {
      // Every ref read shares the instant already passed (a burst of holds within one millisecond): the reader reads
      // from an instant, not from a ref, so read more of that instant rather than end the listing short of the rest.
      if (want >= MAX_REFS_OF_ONE_INSTANT)
        throw new Error(`more than ${MAX_REFS_OF_ONE_INSTANT} holds share the instant ${passed?.at}: the listing cannot page past them`);
      want *= 2;
      continue;
    }
    want = limit + 1;
    const described = await reader.describeHeld([...new Set(refs.map((r) => r.txnId))]);
    for (const ref of refs) {
      const held = described.get(ref.txnId);
      if (held && held.listedUnder === ref.source && inFilter(filter, held.view.status)) {
        if (found.length === limit) {
          const last = found[limit - 1]?.ref;
          return { transactions: found.map((f) => f.view), next: last ? { filter, at: last.at, txnId: last.txnId, source: last.source } : null };
        }
        found.push({ ref, view: held.view });
      }
      passed = ref;
    }
    if (read.exhausted) return { transactions: found.map((f) => f.view), next: null };
  }
}

const cursorSchema = z.strictObject({
  v: z.literal(3),
  filter: z.enum(STUCK_FILTERS),
  at: z.iso.datetime({ offset: true }),
  txnId: z.string().regex(TXN_ID_PATTERN),
  source: z.string().min(1).max(200),
});

export const encodeStuckCursor = (cursor: StuckCursor): string => Buffer.from(JSON.stringify({ v: 3, ...cursor })).toString('base64url');

export function decodeStuckCursor(text: string): StuckCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    const { v: _version, ...cursor } = parsed.data;
    return cursor;
  } catch {
    return undefined;
  }
}
