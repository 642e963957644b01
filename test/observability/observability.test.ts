/** Every transaction is visible: participant metrics, coordinator outcome metrics and outcome events. */
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { prometheusName } from '../../lambdas/observability/prometheusNames.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';
import { testPakka, uniqueId } from '../support/pakka.js';

describe('outcome events and metrics', () => {
  it('reports each final outcome once, with reason, votes and timings', async () => {
    const pakka = await testPakka();
    const payer = uniqueId('alice');
    const ok = await pakka.runTransaction({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 100 }] }] });
    const no = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 500 }] },
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: uniqueId('sms'), message: 'hi' }] },
      ],
    });
    if (!ok.ok || !no.ok) throw new Error('request rejected');
    expect(pakka.events.map((e) => [e.detailType, e.detail.txnId])).toEqual([
      ['TransactionCommitted', ok.value.txnId],
      ['TransactionAborted', no.value.txnId],
    ]);
    expect(pakka.events[1]?.detail).toMatchObject({ status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS', decidedBy: 'coordinator', heuristicHazard: false });
    expect(pakka.events[1]?.detail.participants[0]).toMatchObject({ name: 'payer-bank', vote: 'VOTE_ABORT' });
    expect(await pakka.reportOutcome(ok.value.txnId)).toBeUndefined(); // once per transaction

    const m = pakka.metrics;
    expect(m.total(METRICS.transactionsStarted)).toBe(2);
    expect(m.total(METRICS.transactionsCommitted)).toBe(1);
    expect(m.total(METRICS.transactionsAborted, { Reason: 'INSUFFICIENT_FUNDS' })).toBe(1);
    expect(m.total(METRICS.votes, { Participant: 'payer-bank', Vote: 'VOTE_ABORT', Reason: 'INSUFFICIENT_FUNDS' })).toBe(1);
    expect(m.total(METRICS.votes, { Participant: 'payer-bank', Vote: 'VOTE_COMMIT' })).toBe(1);
    // The no reached the coordinator raised as an error, but it is raised outside the participant's metrics: a vote, not a failure.
    // The credit alone was committed in one phase; the transfer prepared.
    expect(m.total(METRICS.participantCalls, { Participant: 'payer-bank', Action: 'commitOnePhase' })).toBe(1);
    expect(m.total(METRICS.participantCalls, { Participant: 'payer-bank', Action: 'prepare' })).toBe(1);
    expect(m.total(METRICS.participantErrors, { Participant: 'payer-bank' })).toBe(0);
    expect(m.percentile(METRICS.prepareLatency, 50, { Participant: 'payer-bank' })).toBeGreaterThanOrEqual(0);
    expect(m.percentile(METRICS.endToEndLatency, 99)).toBeGreaterThanOrEqual(0);
  });

  it('counts protocol violations per participant and code', async () => {
    const pakka = await testPakka();
    const bank = pakka.participants.get('payer-bank')!;
    const txnId = uniqueId('t');
    await bank({ action: 'abort', txnId });
    await expect(bank({ action: 'commit', txnId, operations: [{ op: 'credit', key: 'a', amount: 1 }] })).rejects.toThrow();
    expect(pakka.metrics.total(METRICS.protocolViolations, { Participant: 'payer-bank', Code: 'COMMIT_AFTER_ABORT' })).toBe(1);
  });
});

describe('Prometheus rendering', () => {
  it('renders counters, gauges and histograms with labels, durations in seconds', async () => {
    const r = new PrometheusRecorder();
    r.count(METRICS.transactionsAborted, { Reason: 'TIMEOUT' });
    r.count(METRICS.transactionsAborted, { Reason: 'TIMEOUT' });
    r.gauge(METRICS.oldestInDoubtAgeSeconds, 42);
    r.timing(METRICS.prepareLatency, 7, { Participant: 'payer-bank' });
    r.timing(METRICS.prepareLatency, 700, { Participant: 'payer-bank' });
    const text = await r.render();
    expect(prometheusName(METRICS.transactionsAborted)).toBe('pakka_transactions_aborted_total');
    expect(prometheusName(METRICS.prepareLatency)).toBe('pakka_prepare_latency_seconds');
    expect(text).toContain('# HELP pakka_transactions_aborted_total Transactions that became ABORTED');
    expect(text).toContain('# TYPE pakka_transactions_aborted_total counter');
    expect(text).toContain('pakka_transactions_aborted_total{reason="TIMEOUT"} 2');
    expect(text).toContain('pakka_oldest_in_doubt_age_seconds 42');
    expect(text).toContain('pakka_prepare_latency_seconds_bucket{le="0.01",participant="payer-bank"} 1');
    expect(text).toContain('pakka_prepare_latency_seconds_bucket{le="+Inf",participant="payer-bank"} 2');
    expect(text).toContain('pakka_prepare_latency_seconds_sum{participant="payer-bank"} 0.707');
    expect(text).toContain('pakka_prepare_latency_seconds_count{participant="payer-bank"} 2');
    expect(r.unknownDimensions.size).toBe(0);
    // A dimension metricNames.ts does not declare is noted and left out, never thrown into the caller.
    r.count(METRICS.retries, { Participant: 'payer-bank', Action: 'commit', Shard: '3' });
    expect([...r.unknownDimensions]).toEqual(['Retries.Shard']);
    expect(await r.render()).toContain('pakka_retries_total{participant="payer-bank",action="commit"} 1');
    expect(r.percentile(METRICS.prepareLatency, 50)).toBe(7);
    expect(r.percentile(METRICS.prepareLatency, 99)).toBe(700);
  });
});
