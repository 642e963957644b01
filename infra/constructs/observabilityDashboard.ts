/**
 * The Pakka dashboard, top to bottom in the order an on-call engineer asks: is it working (success
 * rate, throughput, alarms), how fast is each phase, why do transactions abort, which participant
 * is slow or failing, is anything in doubt or hazardous, and is the coordinator itself healthy.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, AlarmStatusWidget, Dashboard, GraphWidget, MathExpression, SingleValueWidget, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRIC_NAMESPACE, METRIC_SERVICE, type MetricName } from '../../lambdas/observability/metricNames.js';
import type { Coordinator } from './coordinator.js';
import type { ObservedParticipant } from './observability.js';
import { pakkaMetric, participantFailureRateMetric } from './pakkaMetrics.js';

export interface PakkaDashboardProps {
  dashboardName: string;
  coordinator: Coordinator;
  participants: readonly ObservedParticipant[];
  outcomeDeadLetters: Queue;
  alarms: Alarm[];
}

const PERIOD = Duration.minutes(1);
const PERCENTILES = ['p50', 'p95', 'p99'] as const;

/** The phases of a transaction and the metric that times each, coordinator side. */
export const PHASE_LATENCIES: ReadonlyArray<[string, MetricName]> = [
  ['prepare (begin to decision)', METRICS.preparePhaseLatency],
  ['decision to phase 2', METRICS.decisionLatency],
  ['commit phase', METRICS.commitLatency],
  ['abort phase', METRICS.abortLatency],
  ['end to end', METRICS.endToEndLatency],
];

/**
 * Every dimension combination of a metric, found at view time (the dashboard can search; alarms
 * cannot). A free-form search, so that `Votes` with and without `Reason` both match.
 */
const search = (name: MetricName, statistic: string, label: string) =>
  new MathExpression({
    expression: `SEARCH('Namespace="${METRIC_NAMESPACE}" MetricName="${name}" service="${METRIC_SERVICE}"', '${statistic}', 60)`,
    usingMetrics: {},
    label,
    period: PERIOD,
  });

export class PakkaDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PakkaDashboardProps) {
    super(scope, id);
    const { coordinator, participants } = props;
    const m = (name: MetricName, statistic: string, dimensions: Record<string, string> = {}, label?: string) =>
      pakkaMetric(name, statistic, PERIOD, dimensions, label);
    // Every Reason found at view time: a team's own reasons (contract 1.3) are not known when the stack is written.
    const abortsByReason = `SEARCH('{${METRIC_NAMESPACE},Reason,service} MetricName="${METRICS.transactionsAborted}" service="${METRIC_SERVICE}"', 'Sum', 60)`;
    const aborted = new MathExpression({ expression: abortsByReason, usingMetrics: {}, label: '', period: PERIOD });
    const abortedTotal = new MathExpression({ expression: `SUM(${abortsByReason})`, usingMetrics: {}, label: 'aborted', period: PERIOD });
    const committed = m(METRICS.transactionsCommitted, 'Sum', {}, 'committed');
    const successRate = new MathExpression({
      expression: '100 * FILL(committed, 0) / (FILL(committed, 0) + FILL(aborted, 0))',
      usingMetrics: { committed, aborted: abortedTotal },
      label: 'success rate %',
      period: PERIOD,
    });
    const started = m(METRICS.transactionsStarted, 'Sum', {}, 'started');
    const sm = coordinator.stateMachine;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({
            markdown: [
              `# Pakka: ${props.dashboardName}`,
              `Metrics: namespace \`Pakka\` (dimension \`service=pakka\`). One transaction's logs: Logs Insights, saved query \`${props.dashboardName}/transaction-story\` (replace TXN_ID). Outcome events: EventBridge default bus, \`source: pakka\`.`,
            ].join('\n\n'),
            width: 24,
            height: 3,
          }),
        ],
        [
          new SingleValueWidget({ title: 'Success rate % (committed of final)', metrics: [successRate], width: 6, height: 4 }),
          new SingleValueWidget({ title: 'Transactions started per minute', metrics: [started], width: 6, height: 4 }),
          new SingleValueWidget({
            title: 'Oldest in doubt (s)',
            metrics: [m(METRICS.oldestInDoubtAgeSeconds, 'Maximum', {}, 'oldest PREPARED record')],
            width: 6,
            height: 4,
          }),
          new SingleValueWidget({ title: 'Heuristic hazards', metrics: [m(METRICS.heuristicHazards, 'Sum', {}, 'hazards')], width: 6, height: 4 }),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: Math.min(8, 2 + Math.ceil(props.alarms.length / 4)) })],
        [
          new GraphWidget({ title: 'Throughput (per minute)', left: [started, committed, abortedTotal], width: 12, height: 6 }),
          new GraphWidget({ title: 'Success rate %', left: [successRate], leftYAxis: { min: 0, max: 100 }, width: 12, height: 6 }),
        ],
        PHASE_LATENCIES.map(
          ([phase, name]) =>
            new GraphWidget({
              title: `Latency: ${phase} (ms)`,
              left: PERCENTILES.map((p) => m(name, p, {}, p)),
              width: phase === 'end to end' ? 8 : 4,
              height: 6,
            }),
        ),
        [
          new GraphWidget({ title: 'Aborts by reason', left: [aborted], stacked: true, width: 12, height: 6 }),
          new GraphWidget({ title: 'Votes by participant and kind', left: [search(METRICS.votes, 'Sum', '')], stacked: true, width: 12, height: 6 }),
        ],
        [
          new GraphWidget({
            title: 'Prepare latency p99 per participant (ms)',
            left: participants.map((p) => m(METRICS.prepareLatency, 'p99', { Participant: p.name }, p.name)),
            width: 12,
            height: 6,
          }),
          new GraphWidget({
            title: 'Failed invocations % per participant (5 min)',
            left: participants.map((p, i) => participantFailureRateMetric(p, Duration.minutes(5), `${i}`).with({ label: p.name })),
            width: 12,
            height: 6,
          }),
        ],
        [
          new GraphWidget({
            title: 'In doubt: found and resolved by recovery',
            left: [m(METRICS.inDoubtFound, 'Sum', {}, 'found'), m(METRICS.inDoubtResolved, 'Sum', {}, 'resolved')],
            right: [m(METRICS.oldestInDoubtAgeSeconds, 'Maximum', {}, 'oldest in doubt (s)')],
            width: 12,
            height: 6,
          }),
          new GraphWidget({
            title: 'Heuristic hazards and protocol violations',
            left: [m(METRICS.heuristicHazards, 'Sum', {}, 'heuristic hazards'), search(METRICS.protocolViolations, 'Sum', '')],
            width: 12,
            height: 6,
          }),
        ],
        [
          new GraphWidget({
            title: 'Coordinator executions',
            left: [
              sm.metricStarted({ period: PERIOD, label: 'started' }),
              sm.metricSucceeded({ period: PERIOD, label: 'succeeded' }),
              sm.metricFailed({ period: PERIOD, label: 'failed' }),
              sm.metricTimedOut({ period: PERIOD, label: 'timed out' }),
              sm.metricAborted({ period: PERIOD, label: 'aborted (stopped)' }),
            ],
            width: 12,
            height: 6,
          }),
          new GraphWidget({
            title: 'Retries reaching participants, and unreported outcomes',
            left: [search(METRICS.retries, 'Sum', '')],
            right: [props.outcomeDeadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), label: 'outcome batches dead-lettered' })],
            width: 12,
            height: 6,
          }),
        ],
      ],
    });
  }
}
