/** A transaction as GET /transactions shows it, for tests of what reads listings: undecided unless told. */
import type { TransactionView } from '../../lambdas/coordinatorLog/coordinatorLog.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Created `second`s after 2026-01-01T00:00:00Z, its deadline 30 s later. */
export const transactionViewOf = (v: Partial<TransactionView> = {}, second = 0): TransactionView => ({
  txnId: 't1',
  status: 'PREPARING',
  decision: null,
  reason: null,
  participants: [],
  heuristicHazard: false,
  createdAt: new Date(T0 + second * 1000).toISOString(),
  decidedAt: null,
  finishedAt: null,
  deadline: new Date(T0 + (second + 30) * 1000).toISOString(),
  timings: { prepareMs: null, decideMs: null, totalMs: null },
  ...v,
});
