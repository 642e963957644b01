/**
 * A participant counts the noes it raises as Lambda errors in one total (RaisedNoes), whatever their
 * reasons, so the failure-rate alarm subtracts one metric however many reasons there are (CloudWatch
 * allows 10 metrics in an alarm). A lock conflict is answered, not raised, and is not counted.
 */
import { describe, expect, it } from 'vitest';
import { RAISED_ABORT_REASONS } from '../../lambdas/contract/participantProtocol.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import type { Dimensions, MetricName } from '../../lambdas/observability/metricNames.js';
import type { MetricsRecorder } from '../../lambdas/observability/recorder.js';
import type { ParticipantAnswer } from '../../lambdas/participants/message.js';
import { observedParticipant } from '../../lambdas/participants/observedParticipant.js';
import { raisingVoteAbort } from '../../lambdas/participants/voteAbortRaised.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** The participant as its Lambda entry wraps it: observed, then raising its noes at the edge. */
function counted(answer: ParticipantAnswer): { invoke: (event: unknown) => Promise<unknown>; counts: Array<[MetricName, Dimensions]> } {
  const counts: Array<[MetricName, Dimensions]> = [];
  const metrics: MetricsRecorder = { count: (name, dims = {}) => counts.push([name, dims]), timing() {}, gauge() {} };
  const observed = observedParticipant(async () => answer, { name: 'payer-bank', metrics, logger: quiet });
  return { invoke: raisingVoteAbort(observed), counts };
}

const raisedNoes = (counts: Array<[MetricName, Dimensions]>) => counts.filter(([name]) => name === METRICS.raisedNoes);

describe('raised noes', () => {
  it.each(RAISED_ABORT_REASONS)('a prepare that raises its no (%s) counts one RaisedNoes for the participant', async (reason) => {
    const { invoke, counts } = counted({ participant: 'payer-bank', txnId: 't-1', vote: 'VOTE_ABORT', reason });
    await expect(invoke({ action: 'prepare', txnId: 't-1' })).rejects.toMatchObject({ name: `Pakka.VoteAbort.${reason}` });
    expect(raisedNoes(counts)).toEqual([[METRICS.raisedNoes, { Participant: 'payer-bank' }]]);
  });

  it("a team's own reason is raised under one name and counted in the same total", async () => {
    const { invoke, counts } = counted({ participant: 'payer-bank', txnId: 't-1', vote: 'VOTE_ABORT', reason: 'NO_SUCH_VOUCHER' });
    await expect(invoke({ action: 'prepare', txnId: 't-1' })).rejects.toMatchObject({ name: 'Pakka.VoteAbort.TEAM', message: 'NO_SUCH_VOUCHER' });
    expect(raisedNoes(counts)).toEqual([[METRICS.raisedNoes, { Participant: 'payer-bank' }]]);
  });

  it.each<[string, ParticipantAnswer]>([
    ['a lock conflict', { participant: 'payer-bank', txnId: 't-1', vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' }],
    ['a yes', { participant: 'payer-bank', txnId: 't-1', vote: 'VOTE_COMMIT', reason: null }],
  ])('%s is answered and not counted', async (_what, answer) => {
    const { invoke, counts } = counted(answer);
    await expect(invoke({ action: 'prepare', txnId: 't-1' })).resolves.toEqual(answer);
    expect(raisedNoes(counts)).toEqual([]);
  });
});
