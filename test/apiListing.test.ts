/** The merge behind GET /transactions across statuses, and its cursor: pure, no DynamoDB. */
import { describe, expect, it } from 'vitest';
import type { LogPage } from '../lambdas/api/transactionService.js';
import { decodeCursor, encodeCursor, mergePages } from '../lambdas/api/listing.js';
import type { CoordinatorLogItem, TxnStatus } from '../lambdas/coordinator/coordinatorLog.js';

const item = (txnId: string, status: TxnStatus, second: number): CoordinatorLogItem => ({
  txnId,
  status,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  timeoutSeconds: 30,
  requestDigest: 'd',
  idempotencyKey: txnId,
  participantsJson: [],
});
const keyOf = (i: CoordinatorLogItem) => ({ txnId: i.txnId, status: i.status, createdAt: i.createdAt });

describe('mergePages', () => {
  it('takes the newest across statuses and remembers where each status stopped', () => {
    const committed = [item('c3', 'COMMITTED', 30), item('c2', 'COMMITTED', 20), item('c1', 'COMMITTED', 10)];
    const aborted = [item('a2', 'ABORTED', 25), item('a1', 'ABORTED', 5)];
    const pages = new Map<TxnStatus, LogPage>([
      ['COMMITTED', { items: committed }],
      ['ABORTED', { items: aborted }],
    ]);
    const first = mergePages(pages, { COMMITTED: 'start', ABORTED: 'start' }, 3);
    expect(first.items.map((i) => i.txnId)).toEqual(['c3', 'a2', 'c2']);
    expect(first.positions).toEqual({ COMMITTED: keyOf(committed[1]!), ABORTED: keyOf(aborted[0]!) });
    expect(first.exhausted).toBe(false);
  });

  it('marks a status done when its whole page is taken and the index has no more', () => {
    const pages = new Map<TxnStatus, LogPage>([['ABORTED', { items: [item('a1', 'ABORTED', 1)] }]]);
    expect(mergePages(pages, { ABORTED: 'start', COMMITTED: 'done' }, 5)).toMatchObject({ positions: { ABORTED: 'done', COMMITTED: 'done' }, exhausted: true });
  });

  it('stops at a status whose page is used up but has more, so no older item jumps ahead of it', () => {
    const more = { txnId: 'c9', status: 'COMMITTED', createdAt: 'x' };
    const pages = new Map<TxnStatus, LogPage>([
      ['COMMITTED', { items: [item('c9', 'COMMITTED', 50)], next: more }],
      ['ABORTED', { items: [item('a1', 'ABORTED', 10)] }],
    ]);
    const merged = mergePages(pages, { COMMITTED: 'start', ABORTED: 'start' }, 10);
    expect(merged.items.map((i) => i.txnId)).toEqual(['c9']);
    expect(merged.positions).toEqual({ COMMITTED: more, ABORTED: 'start' });
    expect(merged.exhausted).toBe(false);
  });

  it('moves past an empty page that still has more', () => {
    const more = { txnId: 'c1', status: 'COMMITTED', createdAt: 'x' };
    const merged = mergePages(new Map([['COMMITTED', { items: [], next: more }]]), { COMMITTED: 'start' }, 10);
    expect(merged).toMatchObject({ items: [], positions: { COMMITTED: more }, exhausted: false });
  });
});

describe('cursor', () => {
  it('round-trips, and refuses anything it did not make', () => {
    const cursor = { filter: 'ALL' as const, positions: { COMMITTED: 'done' as const, ABORTED: { txnId: 't', status: 'ABORTED', createdAt: '2026-01-01T00:00:05.123Z' } } };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('nonsense')).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"v":1,"filter":"ALL","positions":{"ABORTED":{"txnId":"t","status":"COMMITTED","createdAt":"c"}}}').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"v":1,"filter":"ALL","positions":{"ABORTED":{"txnId":"t","status":"ABORTED","createdAt":"c","extra":1}}}').toString('base64url'))).toBeUndefined();
  });

  it('refuses keys this listing could not have made, and streams outside the filter', () => {
    const forged = (filter: string, positions: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 1, filter, positions })).toString('base64url');
    const at = '2026-01-01T00:00:05.123Z';
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: { txnId: 'ok-1', status: 'COMMITTED', createdAt: at } }))).toBeDefined();
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: { txnId: '', status: 'COMMITTED', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: { txnId: 'a'.repeat(3000), status: 'COMMITTED', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: { txnId: 'a b', status: 'COMMITTED', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: { txnId: 'ok-1', status: 'COMMITTED', createdAt: 'x' } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { ABORTED: 'start' }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { COMMITTED: 'done', ABORTED: { txnId: 'a1', status: 'ABORTED', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('ALL', { COMMITTED: 'done', ABORTED: { txnId: 'a1', status: 'ABORTED', createdAt: at } }))).toBeDefined();
  });
});
