/**
 * The console's overview figures from GET /metrics scrapes: rates and percentiles over the rolling
 * window, participant alarms at the CloudWatch alarms' thresholds.
 */
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../cli/prometheusText.js';
import { figures, keep, series, type Reading } from '../../console/src/liveMetrics.js';
import { THRESHOLDS } from '../../console/src/thresholds.js';
import { ALARM_DEFAULTS } from '../../infra/constructs/pakkaMetrics.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { PrometheusRecorder } from '../../lambdas/observability/prometheusRecorder.js';

const reading = async (recorder: PrometheusRecorder, at: number): Promise<Reading> => ({ at, samples: parsePrometheusText(await recorder.render()) });

describe('the overview figures', () => {
  it('use the CloudWatch alarms thresholds', async () => {
    expect(THRESHOLDS).toEqual({
      prepareLatencyP99Ms: ALARM_DEFAULTS.prepareLatencyP99Ms,
      failureRatePercent: ALARM_DEFAULTS.failureRatePercent,
      failureRateMinInvocations: ALARM_DEFAULTS.failureRateMinInvocations,
      inDoubtSeconds: ALARM_DEFAULTS.inDoubtSeconds,
    });
  });

  it('give per-second rates between scrapes, the success rate and phase percentiles of the window', async () => {
    const recorder = new PrometheusRecorder();
    let readings = keep([], await reading(recorder, 0));
    for (let i = 0; i < 4; i++) recorder.count(METRICS.transactionsStarted);
    for (let i = 0; i < 3; i++) recorder.count(METRICS.transactionsCommitted);
    recorder.count(METRICS.transactionsAborted, { Reason: 'INSUFFICIENT_FUNDS' });
    for (const ms of [20, 30, 40, 3000]) recorder.timing(METRICS.preparePhaseLatency, ms);
    readings = keep(readings, await reading(recorder, 2000));
    const s = series(readings);
    expect(s.started).toEqual([2]);
    expect(s.committed).toEqual([1.5]);
    expect(s.successRate).toEqual([75]);
    expect(s.phases.prepare?.p50[0]).toBeGreaterThan(25);
    expect(s.phases.prepare?.p99[0]).toBeGreaterThan(2500);
    const f = figures(readings);
    expect(f?.totals).toEqual({ started: 4, committed: 3, aborted: 1 });
    expect(f?.aborts).toEqual([{ reason: 'INSUFFICIENT_FUNDS', count: 1 }]);
  });

  it("show a team's own abort reason beside the built-in ones", async () => {
    const recorder = new PrometheusRecorder();
    const base = await reading(recorder, 0);
    recorder.count(METRICS.transactionsAborted, { Reason: 'NO_SUCH_VOUCHER' });
    recorder.count(METRICS.transactionsAborted, { Reason: 'NO_SUCH_VOUCHER' });
    const f = figures(keep(keep([], base), await reading(recorder, 2000)));
    expect(f?.totals.aborted).toBe(2);
    expect(f?.aborts).toContainEqual({ reason: 'NO_SUCH_VOUCHER', count: 2 });
  });

  it('raise a participant alarm on a slow prepare p99, and on failures only after enough calls', async () => {
    const recorder = new PrometheusRecorder();
    const base = await reading(recorder, 0);
    for (let i = 0; i < 50; i++) recorder.count(METRICS.participantCalls, { Participant: 'slow', Action: 'prepare' });
    for (let i = 0; i < 10; i++) recorder.count(METRICS.participantErrors, { Participant: 'slow', Action: 'prepare' });
    recorder.timing(METRICS.prepareLatency, 4000, { Participant: 'slow' });
    for (let i = 0; i < 120; i++) recorder.count(METRICS.participantCalls, { Participant: 'flaky', Action: 'prepare' });
    for (let i = 0; i < 10; i++) recorder.count(METRICS.participantErrors, { Participant: 'flaky', Action: 'prepare' });
    recorder.timing(METRICS.prepareLatency, 10, { Participant: 'flaky' });
    const f = figures([base, await reading(recorder, 2000)]);
    const by = new Map(f?.participants.map((p) => [p.name, p]));
    expect(by.get('slow')).toMatchObject({ prepareAlarm: true, failureAlarm: false });
    expect(by.get('flaky')).toMatchObject({ prepareAlarm: false, failureAlarm: true });
    expect(f?.participants[0]?.name).toBe('slow');
  });

  it('start the window again when the service restarted', async () => {
    const recorder = new PrometheusRecorder();
    recorder.count(METRICS.transactionsStarted, {}, 10);
    const before = keep([], await reading(recorder, 0));
    expect(keep(before, await reading(new PrometheusRecorder(), 2000))).toHaveLength(1);
  });
});
