/**
 * GET /transactions. The statuses that are not final (PREPARING, COMMITTING, ABORTING, and OPEN for
 * all three) are listed oldest first through what is held for them (stuckListing.ts); the final ones and the whole log
 * newest first from the byStatus index, sharded (`<status>#<shard>`, see logShards.ts), so a listing
 * merges one query per status and shard, never a scan. The merge and the cursors are pure. A page is
 * empty only when nothing follows it.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { type CoordinatorLogItem, TXN_STATUSES, type TransactionView, type TxnStatus, transactionView } from '../coordinatorLog/coordinatorLog.js';
import { ALL_LOG_SHARDS, streamOf } from '../coordinatorLog/logShards.js';
import { TXN_ID_PATTERN } from '../request/transactionRequest.js';
import { ApiError, jsonResponse } from './http.js';
import { integerQuery, query } from './request.js';
import { LIST_STATUSES, isListStatus, isStuckFilter } from './listStatuses.js';
import { decodeStuckCursor, encodeStuckCursor, stuckPage } from './stuckListing.js';
import type { LogKey, LogPage, TransactionService } from './transactionService.js';

export const LIST_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

/** GET /transactions: one page, newest first; `nextCursor` continues it (null at the end). */
export interface TransactionList {
  transactions: TransactionView[];
  nextCursor: string | null;
}

/** One query stream: a status's shard of the byStatus index, named by its partition (`COMMITTED#3`). */
export type Stream = string;
/** Where each stream stands: a key to continue after, `start`, or `done`. */
export type StreamPosition = LogKey | 'start' | 'done';
export type Positions = Partial<Record<Stream, StreamPosition>>;

const STREAM = new RegExp(`^(${TXN_STATUSES.join('|')})#(\\d{1,2})$`);
const streamStatus = (stream: string): TxnStatus | undefined => {
  const match = STREAM.exec(stream);
  return match && Number(match[2]) < ALL_LOG_SHARDS.length ? (match[1] as TxnStatus) : undefined;
};

/**
 * The stored statuses a filter must read. The log stores the status the decision left
 * (COMMITTING/ABORTING) and only recovery stores a final one; a transaction is COMMITTED once its
 * participants' records say so (transactionStatus.ts), so a COMMITTED listing reads both partitions
 * and keeps the items whose derived status matches. An undecided transaction is written under
 * COMMITTING (logShards.ts), so the COMMITTING partitions hold PREPARING ones too; the PREPARING
 * partitions hold only items written before that, and ALL still reads them.
 */
const STORED_FOR: Record<TxnStatus, readonly TxnStatus[]> = {
  PREPARING: ['PREPARING'],
  COMMITTING: ['COMMITTING'],
  COMMITTED: ['COMMITTING', 'COMMITTED'],
  ABORTING: ['ABORTING'],
  ABORTED: ['ABORTING', 'ABORTED'],
};
const storedStatusesOf = (filter: TxnStatus | 'ALL'): readonly TxnStatus[] => (filter === 'ALL' ? TXN_STATUSES : STORED_FOR[filter]);

/** The streams of a filter, in a fixed order so that ties on createdAt merge the same way on every page. */
export const streamsOf = (filter: TxnStatus | 'ALL'): Stream[] =>
  storedStatusesOf(filter).flatMap((status) => ALL_LOG_SHARDS.map((shard) => streamOf(status, shard)));

interface Cursor {
  filter: TxnStatus | 'ALL';
  positions: Positions;
}

// The cursor comes back from the client: each key goes to DynamoDB as ExclusiveStartKey, so it must
// be a key this listing could have produced (an empty or oversize txnId makes DynamoDB throw).
const logKey = z.strictObject({
  txnId: z.string().regex(TXN_ID_PATTERN),
  statusPartition: z.string().regex(STREAM),
  createdAt: z.iso.datetime({ offset: true }),
});
const cursorSchema = z.strictObject({
  v: z.literal(2),
  filter: z.enum([...TXN_STATUSES, 'ALL']),
  positions: z.record(z.string().regex(STREAM), z.union([z.literal('start'), z.literal('done'), logKey])),
});

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 2, ...cursor })).toString('base64url');
}

export function decodeCursor(text: string): Cursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    const { filter } = parsed.data;
    for (const [stream, position] of Object.entries(parsed.data.positions)) {
      const status = streamStatus(stream);
      // A stream outside the filter would list items the filter excludes.
      if (!status || !storedStatusesOf(filter).includes(status)) return undefined;
      if (typeof position === 'object' && position.statusPartition !== stream) return undefined;
    }
    return { filter: parsed.data.filter, positions: parsed.data.positions };
  } catch {
    return undefined;
  }
}

export interface MergeResult {
  items: CoordinatorLogItem[];
  positions: Positions;
  /** True when every stream is done. */
  exhausted: boolean;
}

/**
 * Takes up to `limit` items, newest first, from per-status pages that are each newest first. A
 * stream whose fetched page is used up but which has more in the index stops the merge there,
 * so an item is never passed over.
 */
export function mergePages(pages: ReadonlyMap<Stream, LogPage>, positions: Positions, limit: number): MergeResult {
  const heads = new Map<Stream, number>([...pages.keys()].map((s) => [s, 0]));
  const taken: CoordinatorLogItem[] = [];
  const next: Positions = { ...positions };
  const lastTaken = new Map<Stream, CoordinatorLogItem>();
  while (taken.length < limit) {
    let best: Stream | undefined;
    let blocked = false;
    for (const [status, page] of pages) {
      const item = page.items[heads.get(status) ?? 0];
      if (!item) {
        if (page.next) blocked = true; // more of this status lies beyond the page: it could be newer
        continue;
      }
      const current = best ? pages.get(best)?.items[heads.get(best) ?? 0] : undefined;
      if (!current || item.createdAt > current.createdAt) best = status;
    }
    if (blocked || !best) break;
    const index = heads.get(best) ?? 0;
    const item = pages.get(best)?.items[index];
    if (!item) break;
    taken.push(item);
    lastTaken.set(best, item);
    heads.set(best, index + 1);
  }
  for (const [status, page] of pages) {
    const used = heads.get(status) ?? 0;
    const last = lastTaken.get(status);
    if (used === page.items.length) next[status] = page.next ?? 'done';
    else if (last) next[status] = { txnId: last.txnId, statusPartition: status, createdAt: last.createdAt };
  }
  const exhausted = Object.values(next).every((p) => p === 'done');
  return { items: taken, positions: next, exhausted };
}

export async function listTransactions(service: TransactionService, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const statusParam = query(event, 'status');
  if (statusParam !== undefined && !isListStatus(statusParam)) {
    throw new ApiError(400, 'INVALID_REQUEST', `status must be one of ${LIST_STATUSES.join(', ')}`, 'status');
  }
  const filter = statusParam ?? 'ALL';
  const limit = integerQuery(event, 'limit', 1, LIST_LIMITS.maxLimit, LIST_LIMITS.defaultLimit);
  const cursorParam = query(event, 'cursor');
  if (isStuckFilter(filter)) {
    // Not final: listed through what is held for them, oldest (most stuck) first.
    let after: ReturnType<typeof decodeStuckCursor>;
    if (cursorParam !== undefined) {
      after = decodeStuckCursor(cursorParam);
      if (!after || after.filter !== filter) throw new ApiError(400, 'INVALID_REQUEST', 'cursor is not one this listing returned', 'cursor');
    }
    const page = await stuckPage(service, filter, limit, after);
    return jsonResponse(200, { transactions: page.transactions, nextCursor: page.next ? encodeStuckCursor(page.next) : null } satisfies TransactionList);
  }
  let positions: Positions;
  if (cursorParam !== undefined) {
    const cursor = decodeCursor(cursorParam);
    if (!cursor || cursor.filter !== filter) throw new ApiError(400, 'INVALID_REQUEST', 'cursor is not one this listing returned', 'cursor');
    positions = cursor.positions;
  } else {
    positions = Object.fromEntries(streamsOf(filter).map((s) => [s, 'start' as const]));
  }
  const page = await matchingPage(service, filter, positions, limit);
  // A page may be empty only when nothing follows it: look one page ahead for a match before offering a cursor.
  const more = !page.exhausted && (await matchingPage(service, filter, page.positions, 1)).items.length > 0;
  return jsonResponse(200, {
    transactions: page.items.map(transactionView),
    nextCursor: more ? encodeCursor({ filter, positions: page.positions }) : null,
  } satisfies TransactionList);
}

/**
 * Up to `limit` items of the filter from the byStatus index, newest first, reading on past items of
 * another derived status (a stored COMMITTING item may be COMMITTED by now, and the other way round)
 * until the page is full or the index is exhausted.
 */
async function matchingPage(service: TransactionService, filter: TxnStatus | 'ALL', from: Positions, limit: number): Promise<MergeResult> {
  let positions = from;
  const items: CoordinatorLogItem[] = [];
  for (;;) {
    const open = streamsOf(filter).flatMap((stream) => {
      const position = positions[stream];
      return position === undefined || position === 'done' ? [] : [{ stream, position }];
    });
    const wanted = limit - items.length;
    const fetched = await Promise.all(open.map(({ stream, position }) => service.listLog(stream, wanted, position === 'start' ? undefined : position)));
    const pages = new Map(open.map(({ stream }, i): [Stream, LogPage] => [stream, fetched[i] ?? { items: [] }]));
    const merged = mergePages(pages, positions, wanted);
    items.push(...merged.items.filter((item) => filter === 'ALL' || item.status === filter));
    positions = merged.positions;
    if (items.length >= limit || merged.exhausted) return { items, positions, exhausted: merged.exhausted };
  }
}
