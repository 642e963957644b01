/**
 * When recovery finishes a stuck transaction, in sweeps and configured thresholds (docs/operations.md
 * states what this shows): sweeps run every `sweepIntervalSeconds`, and the first sweep at or past a
 * transaction's due time finishes it, on either workflow, whether or not its coordinator still runs.
 * - decided, never delivered: due at its own deadline (createdAt + timeoutSeconds) + the grace;
 * - undecided, with no log item: only its prepared holds tell it exists (here entries in their items, whose
 *   `at` is the age recovery reads, as a PREPARED record's `preparedAt` is), and its request's deadline
 *   is unknown, so it is due once its oldest hold is `preparedRecordAgeSeconds` old.
 * The sweeper's clock is set to each sweep's instant instead of waiting for it.
 */
import { describe, expect, it } from 'vitest';
import type { RecoveryConfig } from '../../lambdas/recovery/recoveryConfig.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import type { LedgerWorld } from '../chaos/ledgerWorld.js';
import { fundedWorlds, intentEntries, transfer } from '../support/transferFixtures.js';

const world = fundedWorlds();
// Not the defaults, so that the answer is shown to follow the configuration, not a constant.
const config: RecoveryConfig = { ...DEFAULT_RECOVERY_CONFIG, deadlineGraceSeconds: 25, sweepIntervalSeconds: 20, preparedRecordAgeSeconds: 200 };

/** Sweeps at origin + k × interval, k = 1, 2, ...; returns the first k whose sweep leaves the transaction final. */
async function firstFinishingSweep(w: LedgerWorld, txnId: string, origin: number): Promise<number> {
  for (let k = 1; k <= 40; k++) {
    await w.recovery({ now: () => origin + k * config.sweepIntervalSeconds * 1000, config }).sweep();
    const item = await w.logItem(txnId);
    if (item?.status === 'COMMITTED' || item?.status === 'ABORTED') return k;
  }
  throw new Error(`${txnId} was not finished within 40 sweeps`);
}

const sweepsUntil = (seconds: number) => Math.ceil(seconds / config.sweepIntervalSeconds);

describe('how long recovery takes', () => {
  it('a decided transaction whose delivery stopped: the first sweep past its deadline and the grace', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'Commit', txnId: 't1' }]);
    await w.start('t1', transfer).done;
    await w.injector.settled();
    const item = await w.logItem('t1');
    expect(item).toMatchObject({ decision: 'COMMIT', status: 'COMMITTING' });
    const origin = Date.parse(item?.createdAt ?? '');
    const k = await firstFinishingSweep(w, 't1', origin);
    expect(k).toBe(sweepsUntil((item?.timeoutSeconds ?? 0) + config.deadlineGraceSeconds));
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED' });
  });

  it('an undecided transaction (no log item): the first sweep once its oldest prepared entry is preparedRecordAgeSeconds old', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    await w.start('t1', transfer).done;
    await w.injector.settled();
    expect(await w.logItem('t1')).toBeUndefined();
    const prepared = Object.values(await intentEntries(w, 't1')).filter((entry) => entry.s === 'P');
    expect(prepared).toHaveLength(3);
    const origin = Math.min(...prepared.map((entry) => Date.parse(entry.at)));
    const k = await firstFinishingSweep(w, 't1', origin);
    expect(k).toBe(sweepsUntil(config.preparedRecordAgeSeconds));
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'recovery' });
    expect(await w.invariantViolations()).toEqual([]);
  });
});
