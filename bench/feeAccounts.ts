/**
 * The hot-item workloads: the UPI flow (payer bank debit, payee bank credit, the switch's fee
 * credit) with every fee credited to one shared account, next to the same load with a fee account
 * per transfer. Before escrow, the shared account locked every transfer out of every other; now
 * both should commit every transfer whose payer has the money, at nearly the same rate.
 */
import type { ItemSizeSummary } from './hotItemSize.js';
import type { Outcome, TxnMeasurement } from './measurement.js';
import { type WorkSummary, workSummary } from './summary.js';
import { type LatencySummary, summarize } from './timeline.js';
import { type LedgerWrite, bankName } from './workload.js';

export interface FeeAccountShape {
  inFlight: number;
  transfers: number;
}

export interface FeeAccountRun {
  feeAccounts: 'shared' | 'spread';
  transfers: number;
  committed: number;
  /** Every transfer's payer has the funds, so each one should commit. */
  commitRate: number;
  abortReasons: Record<string, number>;
  committedPerSecond: number;
  latencyMs: LatencySummary;
  /** Requests and round trips per committed transfer: what a new fee account per transfer adds over one shared. */
  work: WorkSummary | null;
}

export interface FeeAccountResult {
  shape: FeeAccountShape;
  shared: FeeAccountRun;
  spread: FeeAccountRun;
  /** Shared over spread commits per second: how much one hot account costs (target >= 0.8). */
  sharedOverSpread: number;
  /** The shared fee account's item, sampled during the shared run (hotItemSize.ts), and what a write to it costs. */
  sharedFeeItem: FeeItemSizes;
}

export interface FeeItemSizes extends ItemSizeSummary {
  /** How long the shared run lasted: an item keeps every entry finished within the horizon, so a run shorter than it never forgets one. */
  runMs: number;
  horizonMs: number;
  /** The pause between two reads of the item. */
  sampleEveryMs: number;
}

/** The fee account every shared-run transfer credits. */
export const SHARED_FEE_ACCOUNT = 'switch-fees';
/** The participant that holds it. */
export const FEE_PARTICIPANT = bankName(2);

export const FEE = 1;
export const TRANSFER = 10;

/** The three writes of one UPI transfer; worker `w` pays from its own funded payer account. */
export function upiTransferWrites(worker: number, seq: number, feeAccount: string, run: string): LedgerWrite[] {
  return [
    { participant: bankName(0), op: 'debit', key: `payer-${worker}`, amount: TRANSFER + FEE },
    { participant: bankName(1), op: 'credit', key: `upi-payee-${run}-${seq % 50}`, amount: TRANSFER },
    { participant: FEE_PARTICIPANT, op: 'credit', key: feeAccount, amount: FEE },
  ];
}

export function feeAccountRun(feeAccounts: FeeAccountRun['feeAccounts'], measurements: readonly TxnMeasurement[], wallMs: number): FeeAccountRun {
  const committed = measurements.filter((m) => m.outcome === 'COMMITTED');
  const aborted = measurements.filter((m) => m.outcome !== 'COMMITTED');
  const abortReasons: Record<string, number> = {};
  for (const m of aborted) {
    const reason = m.outcome === ('UNFINISHED' satisfies Outcome) ? 'UNFINISHED' : (m.abortReason ?? 'UNKNOWN');
    abortReasons[reason] = (abortReasons[reason] ?? 0) + 1;
  }
  return {
    feeAccounts,
    transfers: measurements.length,
    committed: committed.length,
    commitRate: measurements.length ? committed.length / measurements.length : 0,
    abortReasons,
    committedPerSecond: committed.length / (wallMs / 1000),
    latencyMs: summarize(committed.map((m) => m.latencyMs)),
    work: workSummary(committed),
  };
}
