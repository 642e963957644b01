/** The overview: is Pakka healthy right now, and if not, where to look. Live, every scrape. */
import { CLOUDWATCH_PERIOD_SECONDS, CLOUDWATCH_WINDOW_SECONDS } from '../cloudWatchSeries.js';
import { Chart } from '../components/Chart.js';
import { StatusBadge, Tile, TxnLink } from '../components/Status.js';
import { age, count, duration, percent, rate, since } from '../format.js';
import { type Figures, WINDOW_READINGS, figures, series } from '../liveMetrics.js';
import { POLL_MS, useLive } from '../live.js';
import { assess } from '../stuck.js';
import { THRESHOLDS } from '../thresholds.js';

/** The scrapes' window: WINDOW_READINGS scrapes, one per POLL_MS. */
const SCRAPE_WINDOW_SECONDS = (WINDOW_READINGS * POLL_MS) / 1000;

const COLORS = { started: '--info', committed: '--ok', aborted: '--aborted', p50: '--info', p95: '--warn', p99: '--bad' } as const;

function PhaseCharts({ s, windowSeconds }: { s: ReturnType<typeof series>; windowSeconds: number }) {
  const chart = (phase: string, title: string, threshold?: { value: number; label: string }) => {
    const line = s.phases[phase];
    if (!line) return null;
    return (
      <Chart
        key={phase}
        title={title}
        times={s.times}
        windowSeconds={windowSeconds}
        unit="ms"
        {...(threshold ? { threshold } : {})}
        lines={[
          { label: 'p50', values: line.p50, color: COLORS.p50 },
          { label: 'p95', values: line.p95, color: COLORS.p95 },
          { label: 'p99', values: line.p99, color: COLORS.p99 },
        ]}
      />
    );
  };
  return (
    <>
      {chart('prepare', 'Prepare phase latency', {
        value: THRESHOLDS.prepareLatencyP99Ms,
        label: `alarm: prepare p99 > ${duration(THRESHOLDS.prepareLatencyP99Ms)}`,
      })}
      {chart('decision', 'Decision latency (decision logged → phase 2)')}
      {chart('commit', 'Commit phase latency')}
      {chart('abort', 'Abort phase latency')}
      {chart('end to end', 'End-to-end latency')}
    </>
  );
}

function ParticipantTable({ f }: { f: Figures }) {
  if (!f.participants.length) return <p class="muted">No participant has been called yet.</p>;
  return (
    <table class="striped" data-testid="slowest-participants">
      <thead>
        <tr>
          <th>Participant (slowest first)</th>
          <th>prepare p50</th>
          <th>p95</th>
          <th>p99</th>
          <th>calls</th>
          <th>errors</th>
          <th>error rate</th>
        </tr>
      </thead>
      <tbody>
        {f.participants.map((p) => (
          <tr key={p.name} class={p.prepareAlarm || p.failureAlarm ? 'alarm-row' : ''}>
            <td>
              <a href={`#/participants/${encodeURIComponent(p.name)}`}>{p.name}</a>
            </td>
            <td>{duration(p.prepare.p50)}</td>
            <td>{duration(p.prepare.p95)}</td>
            <td class={p.prepareAlarm ? 'bad' : ''}>{duration(p.prepare.p99)}</td>
            <td>{count(p.calls)}</td>
            <td>{count(p.errors)}</td>
            <td class={p.failureAlarm ? 'bad' : ''}>{percent(p.errorPercent)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Overview() {
  const live = useLive();
  const now = live.updatedAt ?? Date.now();
  const f = figures(live.readings);
  // On AWS the charts come from CloudWatch (a point a minute over hours); locally from this page's scrapes.
  const s = live.cloudWatch ?? series(live.readings);
  const windowSeconds = live.cloudWatch ? CLOUDWATCH_WINDOW_SECONDS : SCRAPE_WINDOW_SECONDS;
  const lastRate = (values: number[]) => values.at(-1) ?? null;
  const byStatus = { PREPARING: 0, COMMITTING: 0, ABORTING: 0 } as Record<string, number>;
  for (const t of live.open) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
  const assessed = live.open.map((t) => assess(t, now));
  const pastDeadline = assessed.filter((a) => a.pastDeadline);
  const oldestOpen = assessed.reduce((m, a) => Math.max(m, a.ageSeconds), 0);
  const oldestPrepared = f?.oldestInDoubtSeconds ?? null;
  const inDoubtAlarm = oldestOpen > THRESHOLDS.inDoubtSeconds || (oldestPrepared ?? 0) > THRESHOLDS.inDoubtSeconds;
  const participantAlarm = f?.participants.filter((p) => p.prepareAlarm || p.failureAlarm) ?? [];

  return (
    <section data-readings={live.readings.length}>
      <h1>Overview</h1>
      {live.metricsProblem && (
        <p class="notice" role="status">
          Metrics: {live.metricsProblem}
        </p>
      )}
      {live.apiProblem && (
        <p class="error" role="alert">
          The API did not answer: {live.apiProblem}
        </p>
      )}
      <div class="tiles">
        <Tile
          testId="tile-throughput"
          label="Transactions"
          value={<span data-testid="started-total">{f ? count(f.totals.started) : '–'}</span>}
          detail={
            <>
              started · <span data-testid="committed-total">{f ? count(f.totals.committed) : '–'}</span> committed ·{' '}
              <span data-testid="aborted-total">{f ? count(f.totals.aborted) : '–'}</span> aborted
              <br />
              now {rate(lastRate(s.started))} started, {rate(lastRate(s.committed))} committed, {rate(lastRate(s.aborted))} aborted
            </>
          }
        />
        <Tile
          testId="tile-success"
          label="Success rate"
          value={percent(f?.successRate.recent ?? null)}
          detail={
            <>
              last 30 s · {percent(f?.successRate.overall ?? null)} since start
              {f?.aborts.length ? (
                <>
                  <br />
                  aborts: {f.aborts.map((a) => `${a.reason} ${a.count}`).join(', ')}
                </>
              ) : null}
            </>
          }
        />
        <Tile
          testId="tile-active"
          label="Active transactions"
          value={`${live.open.length}${live.openCapped ? '+' : ''}`}
          detail={Object.entries(byStatus)
            .map(([status, n]) => `${status} ${n}${live.openCapped ? '+' : ''}`)
            .join(' · ')}
        />
        <Tile
          testId="tile-in-doubt"
          label="In doubt"
          alarm={inDoubtAlarm}
          value={
            <a href="#/stuck" class="tile-link">
              {pastDeadline.length} <small>past deadline</small>
            </a>
          }
          detail={
            <>
              oldest open: {live.open.length ? age(oldestOpen) : '–'} · oldest PREPARED record at the last sweep:{' '}
              {oldestPrepared === null ? '–' : age(oldestPrepared)}
              <br />
              alarm above {age(THRESHOLDS.inDoubtSeconds)}
            </>
          }
        />
        <Tile
          testId="tile-hazards"
          label="Hazards & violations"
          alarm={(f?.hazards ?? 0) > 0 || (f?.violations ?? 0) > 0}
          value={`${f ? f.hazards : '–'} / ${f ? f.violations : '–'}`}
          detail={<>heuristic hazards / protocol violations · retries reaching participants {f ? f.retries : '–'}</>}
        />
        <Tile
          testId="tile-participants"
          label="Participant alarms"
          alarm={participantAlarm.length > 0}
          value={participantAlarm.length ? participantAlarm.map((p) => p.name).join(', ') : 'none'}
          detail={`prepare p99 > ${duration(THRESHOLDS.prepareLatencyP99Ms)}, or failures > ${THRESHOLDS.failureRatePercent}% after ${THRESHOLDS.failureRateMinInvocations} calls`}
        />
      </div>
      <div class="chart-grid">
        <Chart
          title="Throughput"
          times={s.times}
          windowSeconds={windowSeconds}
          unit="/s"
          lines={[
            { label: 'started', values: s.started, color: COLORS.started },
            { label: 'committed', values: s.committed, color: COLORS.committed },
            { label: 'aborted', values: s.aborted, color: COLORS.aborted },
          ]}
        />
        <Chart
          title="Success rate"
          times={s.times}
          windowSeconds={windowSeconds}
          unit="%"
          range={[0, 100]}
          lines={[{ label: 'committed of decided', values: s.successRate, color: COLORS.committed }]}
        />
        <PhaseCharts s={s} windowSeconds={windowSeconds} />
      </div>
      <div class="two-columns">
        <div>
          <h2>Slowest participants</h2>
          {f ? (
            <ParticipantTable f={f} />
          ) : (
            <p class="muted">
              {live.cloudWatch ? "On AWS each participant's figures are on the stack's CloudWatch dashboard." : 'Waiting for the first metrics…'}
            </p>
          )}
        </div>
        <div>
          <h2>Latest transactions</h2>
          <table class="striped" data-testid="recent">
            <tbody>
              {live.recent.map((t) => (
                <tr key={t.txnId}>
                  <td>
                    <TxnLink txnId={t.txnId} />
                  </td>
                  <td>
                    <StatusBadge status={t.status} stuck={assess(t, now).overThreshold} />
                  </td>
                  <td class="muted">{since(t.createdAt, now)}</td>
                  <td>{duration(t.timings.totalMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <p class="muted small" data-testid="chart-source">
        {live.cloudWatch
          ? `Charts: CloudWatch (namespace Pakka), one point per ${CLOUDWATCH_PERIOD_SECONDS} s over the last ${CLOUDWATCH_WINDOW_SECONDS / 3600} hours (${s.times.length} points); rates per second over each minute, CloudWatch's own percentiles.`
          : `Charts: scrapes of GET /metrics taken by this page every 2 s, kept for 6 minutes (now ${s.times.length} intervals); percentiles over the last 30 s.`}
      </p>
    </section>
  );
}
