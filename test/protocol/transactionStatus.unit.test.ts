/** The derived status of a transaction (the log is written once, at the decision): pure, no DynamoDB. */
import { describe, expect, it } from 'vitest';
import { type CoordinatorLogItem, transactionView } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { type ParticipantRecordFacts, onePhaseItem, undecidedStatus, withDerivedStatus } from '../../lambdas/coordinatorLog/transactionStatus.js';

const participant = (name: string) => ({ name, operations: [{ op: 'credit', key: 'k', amount: 1 }], prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 });

const decided = (decision: 'COMMIT' | 'ABORT', extra: Partial<CoordinatorLogItem> = {}): CoordinatorLogItem => ({
  txnId: 't1',
  status: decision === 'COMMIT' ? 'COMMITTING' : 'ABORTING',
  createdAt: '2026-01-01T00:00:00.000Z',
  timeoutSeconds: 30,
  requestDigest: 'd',
  idempotencyKey: 't1',
  participantsJson: [participant('a'), participant('b'), participant('c')],
  decision,
  decidedAt: '2026-01-01T00:00:01.000Z',
  ...(decision === 'COMMIT'
    ? {
        votesJson: [
          { name: 'a', vote: 'VOTE_COMMIT' as const },
          { name: 'b', vote: 'VOTE_COMMIT' as const },
          { name: 'c', vote: 'READ_ONLY' as const },
        ],
      }
    : {}),
  ...extra,
});

const records = (entries: Record<string, ParticipantRecordFacts>) => new Map(Object.entries(entries));
const committed = (at: string): ParticipantRecordFacts => ({ state: 'COMMITTED', committedAt: at });

describe('a transaction with no log item', () => {
  it('is PREPARING while a participant holds a record or the execution runs, and unknown otherwise', () => {
    expect(undecidedStatus(records({ a: { state: 'PREPARED' } }), false)).toBe('PREPARING');
    expect(undecidedStatus(new Map(), true)).toBe('PREPARING');
    expect(undecidedStatus(new Map([['a', undefined]]), false)).toBeUndefined();
  });
});

describe('a decided transaction', () => {
  it('is COMMITTED once every VOTE_COMMIT voter holds COMMITTED; a READ_ONLY voter is SKIPPED; finishedAt is the last commit', () => {
    const item = withDerivedStatus(decided('COMMIT'), records({ a: committed('2026-01-01T00:00:02.000Z'), b: committed('2026-01-01T00:00:03.000Z') }));
    expect(item).toMatchObject({
      status: 'COMMITTED',
      phase2Json: ['ACKED', 'ACKED', 'SKIPPED'],
      finishedAt: '2026-01-01T00:00:03.000Z',
      heuristicHazard: false,
    });
  });

  it('finishes no earlier than the decision: a one-phase record written before its receipt gives a commit time of 0, not a negative one', () => {
    const one = decided('COMMIT', { participantsJson: [participant('a')], votesJson: [{ name: 'a', vote: 'VOTE_COMMIT' as const }], onePhase: true });
    const item = withDerivedStatus(one, records({ a: committed('2026-01-01T00:00:00.900Z') }));
    expect(item).toMatchObject({ status: 'COMMITTED', finishedAt: '2026-01-01T00:00:01.000Z' });
    expect(transactionView(item).timings).toMatchObject({ prepareMs: 1000, commitMs: 0, totalMs: 1000 });
  });

  it('stays COMMITTING while one still holds PREPARED (or nothing)', () => {
    expect(withDerivedStatus(decided('COMMIT'), records({ a: committed('x'), b: { state: 'PREPARED' } }))).toMatchObject({
      status: 'COMMITTING',
      phase2Json: ['ACKED', 'PENDING', 'SKIPPED'],
    });
    expect(withDerivedStatus(decided('COMMIT'), records({ a: committed('x') })).status).toBe('COMMITTING');
  });

  it('is ABORTED only when every participant holds ABORTED (a tombstone included): one that timed out may still prepare late', () => {
    const aborted: ParticipantRecordFacts = { state: 'ABORTED', abortedAt: '2026-01-01T00:00:02.000Z' };
    expect(withDerivedStatus(decided('ABORT'), records({ a: aborted, b: aborted, c: aborted })).status).toBe('ABORTED');
    expect(withDerivedStatus(decided('ABORT'), records({ a: aborted, b: aborted })).status).toBe('ABORTING');
  });

  it('counts a refused delivery, recorded as a violation, as heard: final, with the hazard shown', () => {
    const item = withDerivedStatus(decided('COMMIT', { violations: ['b:Pakka.ProtocolViolation'] }), records({ a: committed('x'), b: { state: 'ABORTED' } }));
    expect(item).toMatchObject({ status: 'COMMITTED', phase2Json: ['ACKED', 'HEURISTIC_HAZARD', 'SKIPPED'], heuristicHazard: true });
  });

  it('keeps a status the log records as final (recovery, an operator, an all-READ_ONLY commit) whatever the records say', () => {
    const final = decided('COMMIT', { status: 'COMMITTED', finishedAt: '2026-01-01T00:00:09.000Z' });
    expect(withDerivedStatus(final, new Map())).toBe(final);
  });
});

describe('a one-phase commit whose receipt was lost', () => {
  const committed = records({ a: { state: 'COMMITTED', committedAt: '2026-01-01T00:00:02.000Z' } });

  it('is read from its record as the receipt would have logged it, through the log reader', () => {
    const learnt = onePhaseItem(
      't1',
      new Map([
        [
          'a',
          {
            state: 'COMMITTED',
            onePhase: true,
            preparedAt: '2026-01-01T00:00:01.000Z',
            committedAt: '2026-01-01T00:00:02.000Z',
            operations: [{ op: 'credit' }],
          },
        ],
      ]),
    );
    expect(learnt).toEqual({
      txnId: 't1',
      createdAt: '2026-01-01T00:00:01.000Z',
      timeoutSeconds: 0,
      participantsJson: [{ name: 'a', operations: [{ op: 'credit' }] }],
      status: 'COMMITTED',
      decision: 'COMMIT',
      decidedBy: 'participant:a',
      votesJson: [{ name: 'a', vote: 'VOTE_COMMIT' }],
      phase2Json: ['ACKED'],
      decidedAt: '2026-01-01T00:00:02.000Z',
      finishedAt: '2026-01-01T00:00:02.000Z',
    });
  });

  it("keeps the claim's request and learns only the decision; a no names its reason", () => {
    const claim = {
      ...decided('ABORT'),
      participantsJson: [participant('a')],
      status: 'PREPARING' as const,
      decision: undefined,
      decidedAt: undefined,
      statusPartition: 'PREPARING#3',
    };
    const aborted = onePhaseItem(
      't1',
      new Map([['a', { state: 'ABORTED', onePhase: true, abortedAt: '2026-01-01T00:00:02.000Z', voteReason: 'INSUFFICIENT_FUNDS' }]]),
      claim,
    );
    expect(aborted).toMatchObject({
      requestDigest: 'd',
      timeoutSeconds: 30,
      statusPartition: 'PREPARING#3',
      status: 'ABORTED',
      decision: 'ABORT',
      abortReason: 'INSUFFICIENT_FUNDS',
      abortedBy: 'a',
      phase2Json: ['SKIPPED'],
    });
    expect(aborted?.participantsJson).toEqual([participant('a')]);
    // Not a one-phase record, or the claim names another participant: nothing is learnt.
    expect(onePhaseItem('t1', committed)).toBeUndefined();
    expect(onePhaseItem('t1', new Map([['b', { state: 'COMMITTED', onePhase: true }]]), claim)).toBeUndefined();
  });
});
