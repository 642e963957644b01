/** Recovery reads every participant store's in-doubt list as one, and a store that is down does not stop the rest. */
import { describe, expect, it } from 'vitest';
import { inDoubtSources } from '../../lambdas/recovery/inDoubtSources.js';
import type { InDoubtPort } from '../../lambdas/recovery/ports.js';

const source = (participant: string, since: string[]): InDoubtPort => ({
  participants: [participant],
  preparedBefore: async (before, limit) => ({
    refs: since
      .filter((s) => s <= before)
      .slice(0, limit)
      .map((inDoubtSince, i) => ({ participant, txnId: `${participant}-${i}`, inDoubtSince })),
    ...(since[0] ? { oldestSince: since[0] } : {}),
  }),
  heldFrom: async (from, limit) => {
    const held = since.filter((s) => from === undefined || s >= from).map((inDoubtSince, i) => ({ participant, txnId: `${participant}-${i}`, inDoubtSince }));
    return { refs: held.slice(0, limit), exhausted: held.length <= limit };
  },
});
const down: InDoubtPort = {
  participants: ['sql-bank'],
  preparedBefore: () => Promise.reject(new Error('connect ECONNREFUSED')),
  heldFrom: () => Promise.reject(new Error('connect ECONNREFUSED')),
};

describe('in-doubt sources read as one', () => {
  it('merges oldest first under one limit, and names every participant', async () => {
    const merged = inDoubtSources([source('ledger', ['2026-01-01', '2026-01-04']), source('sql-bank', ['2026-01-02', '2026-01-03'])]);
    const read = await merged.preparedBefore('2026-01-03', 3);
    expect(read.refs.map((r) => r.inDoubtSince)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(read.oldestSince).toBe('2026-01-01');
    // The oldest of all however young: nothing is old enough before 2026-01-01, yet the age alarm sees it.
    expect(await merged.preparedBefore('2025-12-31', 3)).toEqual({ refs: [], oldestSince: '2026-01-01' });
    expect(merged.participants).toEqual(['ledger', 'sql-bank']);
    // A page stops where the first source that has more stops, so nothing older is missing.
    expect(await merged.heldFrom(undefined, 1)).toEqual({
      refs: [{ participant: 'ledger', txnId: 'ledger-0', inDoubtSince: '2026-01-01' }],
      exhausted: false,
    });
    expect((await merged.heldFrom('2026-01-02', 10)).refs.map((r) => r.inDoubtSince)).toEqual(['2026-01-02', '2026-01-03', '2026-01-04']);
  });

  it('leaves out a source that cannot be read, and reports it', async () => {
    const failures: number[] = [];
    const merged = inDoubtSources([source('ledger', ['2026-01-01']), down], (i) => failures.push(i));
    const read = await merged.preparedBefore('2026-12-31', 10);
    expect(read.refs.map((r) => r.txnId)).toEqual(['ledger-0']);
    expect(read.oldestSince).toBe('2026-01-01');
    expect(failures).toEqual([1]);
  });
});
