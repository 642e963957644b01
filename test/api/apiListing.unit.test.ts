/** The merge behind GET /transactions across statuses, and its cursor: pure, no DynamoDB. */
import { describe, expect, it } from 'vitest';
import type { LogPage } from '../../lambdas/api/transactionService.js';
import { decodeCursor, encodeCursor, mergePages } from '../../lambdas/api/listing.js';
import type { CoordinatorLogItem, TxnStatus } from '../../lambdas/coordinatorLog/coordinatorLog.js';

const item = (txnId: string, status: TxnStatus, second: number): CoordinatorLogItem => ({
  txnId,
  status,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  timeoutSeconds: 30,
  requestDigest: 'd',
  idempotencyKey: txnId,
  participantsJson: [],
});
const keyOf = (i: CoordinatorLogItem) => ({ txnId: i.txnId, statusPartition: `${i.status}#0`, createdAt: i.createdAt });

describe('mergePages', () => {
  it('takes the newest across statuses and remembers where each status stopped', () => {
    const committed = [item('c3', 'COMMITTED', 30), item('c2', 'COMMITTED', 20), item('c1', 'COMMITTED', 10)];
    const aborted = [item('a2', 'ABORTED', 25), item('a1', 'ABORTED', 5)];
    const pages = new Map<string, LogPage>([
      ['COMMITTED#0', { items: committed }],
      ['ABORTED#0', { items: aborted }],
    ]);
    const first = mergePages(pages, { 'COMMITTED#0': 'start', 'ABORTED#0': 'start' }, 3);
    expect(first.items.map((i) => i.txnId)).toEqual(['c3', 'a2', 'c2']);
    expect(first.positions).toEqual({ 'COMMITTED#0': keyOf(committed[1]!), 'ABORTED#0': keyOf(aborted[0]!) });
    expect(first.exhausted).toBe(false);
  });

  it('marks a status done when its whole page is taken and the index has no more', () => {
    const pages = new Map<string, LogPage>([['ABORTED#0', { items: [item('a1', 'ABORTED', 1)] }]]);
    expect(mergePages(pages, { 'ABORTED#0': 'start', 'COMMITTED#0': 'done' }, 5)).toMatchObject({
      positions: { 'ABORTED#0': 'done', 'COMMITTED#0': 'done' },
      exhausted: true,
    });
  });

  it('stops at a status whose page is used up but has more, so no older item jumps ahead of it', () => {
    const more = { txnId: 'c9', statusPartition: 'COMMITTED#0', createdAt: 'x' };
    const pages = new Map<string, LogPage>([
      ['COMMITTED#0', { items: [item('c9', 'COMMITTED', 50)], next: more }],
      ['ABORTED#0', { items: [item('a1', 'ABORTED', 10)] }],
    ]);
    const merged = mergePages(pages, { 'COMMITTED#0': 'start', 'ABORTED#0': 'start' }, 10);
    expect(merged.items.map((i) => i.txnId)).toEqual(['c9']);
    expect(merged.positions).toEqual({ 'COMMITTED#0': more, 'ABORTED#0': 'start' });
    expect(merged.exhausted).toBe(false);
  });

  it('moves past an empty page that still has more', () => {
    const more = { txnId: 'c1', statusPartition: 'COMMITTED#0', createdAt: 'x' };
    const merged = mergePages(new Map([['COMMITTED#0', { items: [], next: more }]]), { 'COMMITTED#0': 'start' }, 10);
    expect(merged).toMatchObject({ items: [], positions: { 'COMMITTED#0': more }, exhausted: false });
  });
});

describe('cursor', () => {
  it('round-trips, and refuses anything it did not make', () => {
    const cursor = {
      filter: 'ALL' as const,
      positions: { 'COMMITTED#0': 'done' as const, 'ABORTED#15': { txnId: 't', statusPartition: 'ABORTED#15', createdAt: '2026-01-01T00:00:05.123Z' } },
    };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('nonsense')).toBeUndefined();
    expect(
      decodeCursor(
        Buffer.from(
          '{"v":2,"filter":"ALL","positions":{"ABORTED#1":{"txnId":"t","statusPartition":"COMMITTED#1","createdAt":"2026-01-01T00:00:05.123Z"}}}',
        ).toString('base64url'),
      ),
    ).toBeUndefined();
    expect(
      decodeCursor(
        Buffer.from(
          '{"v":2,"filter":"ALL","positions":{"ABORTED#1":{"txnId":"t","statusPartition":"ABORTED#1","createdAt":"2026-01-01T00:00:05.123Z","extra":1}}}',
        ).toString('base64url'),
      ),
    ).toBeUndefined();
  });

  it('refuses keys this listing could not have made, and streams outside the filter', () => {
    const forged = (filter: string, positions: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 2, filter, positions })).toString('base64url');
    const at = '2026-01-01T00:00:05.123Z';
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: 'ok-1', statusPartition: 'COMMITTED#2', createdAt: at } }))).toBeDefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: '', statusPartition: 'COMMITTED#2', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: 'a'.repeat(3000), statusPartition: 'COMMITTED#2', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: 'a b', statusPartition: 'COMMITTED#2', createdAt: at } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: 'ok-1', statusPartition: 'COMMITTED#2', createdAt: 'x' } }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'ABORTED#0': 'start' }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#16': 'done' }))).toBeUndefined();
    expect(decodeCursor(forged('COMMITTED', { 'COMMITTED#2': { txnId: 'ok-1', statusPartition: 'COMMITTED#3', createdAt: at } }))).toBeUndefined();
    expect(
      decodeCursor(forged('COMMITTED', { 'COMMITTED#0': 'done', 'ABORTED#3': { txnId: 'a1', statusPartition: 'ABORTED#3', createdAt: at } })),
    ).toBeUndefined();
    expect(decodeCursor(forged('ALL', { 'COMMITTED#0': 'done', 'ABORTED#3': { txnId: 'a1', statusPartition: 'ABORTED#3', createdAt: at } }))).toBeDefined();
  });
});
