/** The sweeper's pure rules and its configuration, without DynamoDB. */
import { describe, expect, it } from 'vitest';
import type { CoordinatorLogItem } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { assess, openCreatedBefore, phaseTwoPlan, phaseTwoResult, preparedBefore, recoveryDueAt } from '../../lambdas/recovery/inDoubt.js';
import { DEFAULT_RECOVERY_CONFIG, recoveryConfigFromEnv } from '../../lambdas/recovery/recoveryConfig.js';
import { unconfirmedVoters, validateResolveRequest, voteFromRecord } from '../../lambdas/recovery/resolve.js';

const config = { ...DEFAULT_RECOVERY_CONFIG, deadlineGraceSeconds: 60 };
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

function item(overrides: Partial<CoordinatorLogItem> = {}): CoordinatorLogItem {
  return {
    txnId: 't1',
    status: 'PREPARING',
    createdAt: new Date(T0).toISOString(),
    timeoutSeconds: 30,
    requestDigest: 'd',
    idempotencyKey: 't1',
    participantsJson: ['a', 'b', 'c'].map((name) => ({
      name,
      operations: [{ op: 'credit', key: name, amount: 1 }],
      prepareTimeoutSeconds: 10,
      commitTimeoutSeconds: 10,
    })),
    ...overrides,
  };
}

describe('when a transaction is in doubt', () => {
  it('after its deadline plus the grace, never before; a final one never', () => {
    expect(recoveryDueAt(item(), config)).toBe(T0 + 90_000);
    expect(assess(item(), T0 + 89_999, config)).toEqual({ kind: 'notDue', dueAt: new Date(T0 + 90_000).toISOString() });
    expect(assess(item(), T0 + 90_000, config)).toEqual({ kind: 'due' });
    expect(assess(item({ status: 'COMMITTING', decision: 'COMMIT' }), T0 + 90_000, config)).toEqual({ kind: 'due' });
    expect(assess(item({ status: 'COMMITTED', decision: 'COMMIT' }), T0 + 9e9, config)).toEqual({ kind: 'final' });
  });

  it('queries the indexes with cut-offs that can only miss what is not due yet', () => {
    // Nothing created after now - grace - the shortest timeout can be due.
    expect(openCreatedBefore(T0, config, 1)).toBe(new Date(T0 - 61_000).toISOString());
    expect(preparedBefore(T0, { ...config, preparedRecordAgeSeconds: 360 })).toBe(new Date(T0 - 360_000).toISOString());
  });
});

describe('who hears the decision', () => {
  it('COMMIT: those that voted VOTE_COMMIT; READ_ONLY voters are left out', () => {
    const votes = ['VOTE_COMMIT', 'READ_ONLY', 'VOTE_COMMIT'] as const;
    const logged = item({ decision: 'COMMIT', votesJson: item().participantsJson.map((p, i) => ({ ...p, vote: votes[i] ?? 'VOTE_COMMIT' })) });
    expect(phaseTwoPlan(logged, 'COMMIT').participants.map((p) => [p.name, p.target])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
  });

  it("COMMIT without logged votes (an operator's decision): everyone, check-only ones answer READ_ONLY themselves", () => {
    expect(phaseTwoPlan(item(), 'COMMIT').participants.every((p) => p.target)).toBe(true);
  });

  it('ABORT: everyone, whatever they voted', () => {
    const logged = item({ votesJson: item().participantsJson.map((p) => ({ ...p, vote: 'READ_ONLY' as const })) });
    expect(phaseTwoPlan(logged, 'ABORT').participants.every((p) => p.target)).toBe(true);
  });
});

describe('what the deliveries add up to', () => {
  const plan = phaseTwoPlan(item(), 'COMMIT');

  it('final when everyone answered; a refusal is a hazard, not a retry', () => {
    const result = phaseTwoResult(
      plan,
      [
        { participant: 'a', kind: 'acknowledged', outcome: 'COMMITTED' },
        { participant: 'b', kind: 'acknowledged', outcome: 'READ_ONLY' },
        { participant: 'c', kind: 'violation', code: 'COMMIT_AFTER_ABORT' },
      ],
      undefined,
    );
    expect(result).toEqual({ outcomes: ['ACKED', 'SKIPPED', 'HEURISTIC_HAZARD'], violations: ['c:COMMIT_AFTER_ABORT'], complete: true, errors: [] });
  });

  it('pending while a delivery failed, with the error kept for the operator', () => {
    const result = phaseTwoResult(
      plan,
      [
        { participant: 'a', kind: 'acknowledged', outcome: 'COMMITTED' },
        { participant: 'b', kind: 'failed', error: 'Lambda.Unknown: crashed' },
        { participant: 'c', kind: 'acknowledged', outcome: 'COMMITTED' },
      ],
      undefined,
    );
    expect(result).toMatchObject({ outcomes: ['ACKED', 'PENDING', 'ACKED'], complete: false, errors: ['b: Lambda.Unknown: crashed'] });
  });

  it('never hides a hazard recorded earlier, by the coordinator or a previous sweep', () => {
    const result = phaseTwoResult(
      plan,
      plan.participants.map((p) => ({ participant: p.name, kind: 'acknowledged' as const, outcome: 'COMMITTED' as const })),
      ['HEURISTIC_HAZARD', 'PENDING', 'ACKED'],
    );
    expect(result.outcomes).toEqual(['HEURISTIC_HAZARD', 'ACKED', 'ACKED']);
  });
});

describe("an operator's commit needs every yes vote established", () => {
  it("from the logged votes or the participant's own record; no record means unknown", () => {
    expect(voteFromRecord('PREPARED')).toBe('VOTE_COMMIT');
    expect(voteFromRecord('COMMITTED')).toBe('VOTE_COMMIT');
    expect(voteFromRecord('ABORTED')).toBe('VOTE_ABORT');
    expect(voteFromRecord('UNKNOWN')).toBe('UNKNOWN');
    const records = new Map([
      ['a', 'VOTE_COMMIT'],
      ['b', 'UNKNOWN'],
      ['c', 'VOTE_ABORT'],
    ] as const);
    expect(unconfirmedVoters(item(), records)).toEqual(['b', 'c']);
    expect(unconfirmedVoters(item({ votesJson: [{ ...item().participantsJson[1]!, vote: 'READ_ONLY' }] }), records)).toEqual(['c']);
  });

  it('validates the request at the edge', () => {
    expect(validateResolveRequest({ decision: 'ABORT', operator: 'ops.asha@bank', reason: '  stuck since noon  ' })).toEqual({
      ok: true,
      value: { decision: 'ABORT', operator: 'ops.asha@bank', reason: 'stuck since noon' },
    });
    expect(validateResolveRequest({ decision: 'COMMIT', operator: 'a', reason: 'r'.repeat(501) })).toMatchObject({ ok: false, field: 'reason' });
  });
});

describe('recovery configuration', () => {
  it('has documented defaults: one minute of grace and sweeps, records older than the longest deadline plus grace', () => {
    expect(DEFAULT_RECOVERY_CONFIG).toMatchObject({ deadlineGraceSeconds: 60, preparedRecordAgeSeconds: 360, sweepIntervalSeconds: 60 });
    expect(recoveryConfigFromEnv({})).toEqual(DEFAULT_RECOVERY_CONFIG);
  });

  it('takes overrides from the environment and refuses bad values at start-up', () => {
    expect(recoveryConfigFromEnv({ PAKKA_RECOVERY_GRACE_SECONDS: '5', PAKKA_RECOVERY_INTERVAL_SECONDS: '10' })).toMatchObject({
      deadlineGraceSeconds: 5,
      sweepIntervalSeconds: 10,
    });
    expect(() => recoveryConfigFromEnv({ PAKKA_RECOVERY_INTERVAL_SECONDS: '0' })).toThrow(/PAKKA_RECOVERY_INTERVAL_SECONDS/);
    expect(() => recoveryConfigFromEnv({ PAKKA_RECOVERY_GRACE_SECONDS: 'soon' })).toThrow(/PAKKA_RECOVERY_GRACE_SECONDS/);
  });
});
