/**
 * GET /transactions: newest first, by status or across all statuses, with an opaque cursor.
 * The byStatus index is sharded (`<status>#<shard>`, see logShards.ts), so a listing merges one
 * query per status and shard, never a scan. The merge and the cursor are pure.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { type CoordinatorLogItem, TXN_STATUSES, type TransactionView, type TxnStatus, transactionView } from '../coordinatorLog/coordinatorLog.js';
import { ALL_LOG_SHARDS, statusPartitionOf } from '../coordinatorLog/logShards.js';
import { type CoordinatorVariant, EXECUTION_TIMEOUT_SECONDS } from '../config/coordinatorVariant.js';
import { TXN_ID_PATTERN } from '../request/transactionRequest.js';
import { ApiError, jsonResponse } from './http.js';
import { integerQuery, query } from './request.js';
import type { LogKey, LogPage, TransactionService, UndecidedTransaction } from './transactionService.js';

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
 * and keeps the items whose derived status matches.
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
  storedStatusesOf(filter).flatMap((status) => ALL_LOG_SHARDS.map((shard) => statusPartitionOf(status, shard)));

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

/**
 * An undecided transaction as its participants show it: nothing is logged before the decision, so no
 * votes, and only the participants holding records are known. Its deadline is the latest its
 * execution can still be running.
 */
export function undecidedView(undecided: UndecidedTransaction, variant: CoordinatorVariant): TransactionView {
  return {
    txnId: undecided.txnId,
    status: 'PREPARING',
    decision: null,
    reason: null,
    participants: undecided.holders.map((name) => ({ name, vote: null, reason: null, phaseTwo: null })),
    heuristicHazard: false,
    createdAt: undecided.since,
    decidedAt: null,
    finishedAt: null,
    deadline: new Date(Date.parse(undecided.since) + EXECUTION_TIMEOUT_SECONDS[variant] * 1000).toISOString(),
    timings: { prepareMs: null, decideMs: null, totalMs: null },
  };
}

export async function listTransactions(service: TransactionService, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const statusParam = query(event, 'status');
  if (statusParam !== undefined && !(TXN_STATUSES as readonly string[]).includes(statusParam)) {
    throw new ApiError(400, 'INVALID_REQUEST', `status must be one of ${TXN_STATUSES.join(', ')}`, 'status');
  }
  const filter = (statusParam as TxnStatus | undefined) ?? 'ALL';
  const limit = integerQuery(event, 'limit', 1, LIST_LIMITS.maxLimit, LIST_LIMITS.defaultLimit);
  const cursorParam = query(event, 'cursor');
  if (filter === 'PREPARING') {
    // No log item exists before the decision: the participants' in-doubt indexes list these, oldest (most stuck) first, in one page.
    if (cursorParam !== undefined) throw new ApiError(400, 'INVALID_REQUEST', 'the PREPARING listing is one page, oldest first; it takes no cursor', 'cursor');
    const undecided = await service.listUndecided(limit);
    return jsonResponse(200, { transactions: undecided.map((u) => undecidedView(u, service.variant)), nextCursor: null } satisfies TransactionList);
  }
  let positions: Positions;
  if (cursorParam !== undefined) {
    const cursor = decodeCursor(cursorParam);
    if (!cursor || cursor.filter !== filter) throw new ApiError(400, 'INVALID_REQUEST', 'cursor is not one this listing returned', 'cursor');
    positions = cursor.positions;
  } else {
    positions = Object.fromEntries(streamsOf(filter).map((s) => [s, 'start' as const]));
  }
  const open = streamsOf(filter).flatMap((stream) => {
    const position = positions[stream];
    return position === undefined || position === 'done' ? [] : [{ stream, position }];
  });
  const fetched = await Promise.all(open.map(({ stream, position }) => service.listLog(stream, limit, position === 'start' ? undefined : position)));
  const pages = new Map(open.map(({ stream }, i): [Stream, LogPage] => [stream, fetched[i] ?? { items: [] }]));
  const merged = mergePages(pages, positions, limit);
  return jsonResponse(200, {
    // A stored COMMITTING item may be COMMITTED by now (and the other way round for the filter): keep what the filter asks for.
    transactions: merged.items.filter((item) => filter === 'ALL' || item.status === filter).map(transactionView),
    nextCursor: merged.exhausted ? null : encodeCursor({ filter, positions: merged.positions }),
  } satisfies TransactionList);
}
