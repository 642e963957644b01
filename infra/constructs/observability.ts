/**
 * What an on-call engineer gets: the outcome reporter (a Lambda on the coordinator log's stream that
 * emits the outcome metrics and a `pakka` EventBridge event per final transaction), alarms with
 * documented defaults on an encrypted SNS topic, the dashboard, and a saved Logs Insights query
 * that tells one transaction's story across every Pakka log group by its txnId.
 */
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping, Function as LambdaFunction, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type ILogGroup, QueryDefinition, QueryString, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_NAMES, alarmName } from '../../lambdas/observability/alarmNames.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import type { Coordinator } from './coordinator.js';
import { PakkaDashboard } from './observabilityDashboard.js';
import { ALARM_DEFAULTS, pakkaMetric, participantFailureRateMetric } from './pakkaMetrics.js';
import { PakkaFunction } from './pakkaFunction.js';

export interface ObservedParticipant {
  name: string;
  function: IFunction;
  /** The team's own function: its metrics are watched, but its log group is the team's and left alone. */
  ownFunction?: boolean;
}

export interface ObservabilityProps {
  coordinator: Coordinator;
  participants: readonly ObservedParticipant[];
  api: { function: IFunction };
  recovery: { function: IFunction };
  /** Prefix of every alarm's and the dashboard's name (the stack name), so two sandboxes never collide. */
  namePrefix: string;
  alarmEmail?: string | undefined;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export interface PakkaAlarms {
  /** One per participant. */
  prepareLatency: ReadonlyMap<string, Alarm>;
  /** One per participant. */
  participantFailureRate: ReadonlyMap<string, Alarm>;
  inDoubt: Alarm;
  heuristicHazard: Alarm;
  executionsFailed: Alarm;
  outcomeReportingFailed: Alarm;
  recoveryFailing: Alarm;
}

export class Observability extends Construct {
  readonly outcomeReporter: IFunction;
  /** Stream batches the reporter could not handle after its retries: their metrics and events are missing. */
  readonly outcomeDeadLetters: Queue;
  readonly alarmTopic: Topic;
  readonly alarms: PakkaAlarms;
  readonly dashboard: PakkaDashboard;
  readonly transactionStory: QueryDefinition;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { coordinator } = props;

    // ---- the outcome reporter -----------------------------------------------------------------
    const reporter = new PakkaFunction(this, 'OutcomeReporter', {
      entry: 'lambdas/observability/outcomeStreamEntry.ts',
      description: 'Pakka outcome reporter: outcome metrics and a pakka EventBridge event per final transaction',
      environment: { EVENT_BUS_NAME: 'default' },
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      wildcardResourceReason:
        'Only xray:PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams, which accept no resource but "*"; reading the stream is limited to the coordinator log\'s stream, PutEvents to the default bus.',
    });
    this.outcomeReporter = reporter.function;
    const streamArn = coordinator.coordinatorLogStreamArn;
    reporter.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [streamArn] }),
    );
    // ListStreams has no resource-level permission: "*" is the only resource it accepts.
    reporter.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    reporter.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      }),
    );
    const reporterPolicy = reporter.role.node.tryFindChild('DefaultPolicy');

    this.outcomeDeadLetters = new Queue(this, 'OutcomeDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.outcomeDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter destination itself: it holds the stream batches the outcome reporter gave up on (their metrics and events are missing), and an alarm fires on its first message.',
    });
    const mapping = new EventSourceMapping(this, 'OutcomeStream', {
      target: this.outcomeReporter,
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      // A poison record is isolated by halving the batch, retried, then sent to the queue; the shard moves on.
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.hours(6),
      onFailure: new SqsDlq(this.outcomeDeadLetters),
    });
    // Lambda checks the role can read the stream when the mapping is created.
    if (reporterPolicy) mapping.node.addDependency(reporterPolicy);

    // ---- where alarms go ----------------------------------------------------------------------
    // CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key: it needs a key whose policy lets it in.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Pakka alarm topic; CloudWatch alarms may use it to publish',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: `${props.namePrefix} alarms`, masterKey: key, enforceSSL: true });
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);

    const alarm = (
      alarmId: string,
      name: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      comparison: ComparisonOperator,
      treatMissingData: TreatMissingData,
    ) => {
      const created = new Alarm(this, alarmId, {
        alarmName: alarmName(props.namePrefix, name),
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: comparison,
        treatMissingData,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    const minute = Duration.minutes(1);
    const d = ALARM_DEFAULTS;

    // ---- alarms -------------------------------------------------------------------------------
    const prepareLatency = new Map<string, Alarm>();
    const participantFailureRate = new Map<string, Alarm>();
    for (const p of props.participants) {
      prepareLatency.set(
        p.name,
        alarm(
          `PrepareLatency${constructIdOf(p.name)}`,
          ALARM_NAMES.prepareLatency(p.name),
          `Participant ${p.name}: prepare p99 above ${d.prepareLatencyP99Ms} ms for ${d.prepareLatencyMinutes} minutes. Prepares hold no lock while they run, but every transaction with ${p.name} waits for them. Check its DynamoDB table (throttling, hot keys) and its function (duration, cold starts, concurrency) on the dashboard.`,
          pakkaMetric(METRICS.prepareLatency, 'p99', minute, { Participant: p.name }),
          d.prepareLatencyP99Ms,
          d.prepareLatencyMinutes,
          ComparisonOperator.GREATER_THAN_THRESHOLD,
          TreatMissingData.NOT_BREACHING,
        ),
      );
      participantFailureRate.set(
        p.name,
        alarm(
          `FailureRate${constructIdOf(p.name)}`,
          ALARM_NAMES.failureRate(p.name),
          `Participant ${p.name}: more than ${d.failureRatePercent}% of its function's invocations failed in ${d.failureRateMinutes} minutes (counted once it had at least ${d.failureRateMinInvocations}). A participant's business no (raised as Pakka.VoteAbort.<REASON>) is a vote and not counted. Failed prepares become aborts; failed commits are retried and then left to recovery. Look at the function's errors in its log group (filter by txnId) and at its table.`,
          participantFailureRateMetric(p, Duration.minutes(d.failureRateMinutes)),
          d.failureRatePercent,
          1,
          ComparisonOperator.GREATER_THAN_THRESHOLD,
          TreatMissingData.NOT_BREACHING,
        ),
      );
    }

    const inDoubt = alarm(
      'InDoubt',
      ALARM_NAMES.inDoubt,
      `A transaction has been in doubt for more than ${d.inDoubtSeconds} s: a participant holds a PREPARED record (and its locks) that no decision has reached. Recovery should have finished it; see \`pakka list --status OPEN\`, \`pakka inspect TXN\`, the recovery function's log, and decide by hand with \`pakka resolve\` if needed.`,
      pakkaMetric(METRICS.oldestInDoubtAgeSeconds, 'Maximum', minute),
      d.inDoubtSeconds,
      1,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
      TreatMissingData.NOT_BREACHING,
    );
    const heuristicHazard = alarm(
      'HeuristicHazard',
      ALARM_NAMES.heuristicHazard,
      'A heuristic hazard: a participant refused the logged decision (protocol violation) or an operator forced a commit, so atomicity may be broken for that transaction. `pakka list` and `pakka inspect TXN` show `heuristicHazard` and the violations; repair by hand. Never auto-resolved.',
      pakkaMetric(METRICS.heuristicHazards, 'Sum', minute),
      d.anyCount,
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      TreatMissingData.NOT_BREACHING,
    );
    const executionsFailed = alarm(
      'ExecutionsFailed',
      ALARM_NAMES.executionsFailed,
      'A coordinator execution failed or timed out. Its transaction is left to recovery (presumed abort unless a commit was logged); check the execution in the Step Functions console (its name is the txnId) and the coordinator log with `pakka inspect TXN`.',
      new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: coordinator.stateMachine.metricFailed({ period: minute, statistic: 'Sum' }),
          timedOut: coordinator.stateMachine.metricTimedOut({ period: minute, statistic: 'Sum' }),
        },
        period: minute,
        label: 'executions failed or timed out',
      }),
      d.anyCount,
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      TreatMissingData.NOT_BREACHING,
    );
    const outcomeReportingFailed = alarm(
      'OutcomeReportingFailed',
      ALARM_NAMES.outcomeReportingFailed,
      "The outcome reporter gave up on a stream batch: some TransactionCommitted/Aborted events and outcome metrics are missing (the transactions themselves are unaffected). The batch is in the dead-letter queue; see the reporter function's log.",
      this.outcomeDeadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      d.anyCount,
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      TreatMissingData.NOT_BREACHING,
    );
    const recoveryFailing = alarm(
      'RecoveryFailing',
      ALARM_NAMES.recoveryFailing,
      `The recovery sweeper failed ${d.recoveryFailedSweeps} minutes in a row: nothing resolves transactions left in doubt until it runs again. See the recovery function's log.`,
      props.recovery.function.metricErrors({ period: minute, statistic: 'Sum' }),
      d.anyCount,
      d.recoveryFailedSweeps,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      TreatMissingData.NOT_BREACHING,
    );
    this.alarms = { prepareLatency, participantFailureRate, inDoubt, heuristicHazard, executionsFailed, outcomeReportingFailed, recoveryFailing };

    // ---- the dashboard and the story of one transaction ---------------------------------------
    this.dashboard = new PakkaDashboard(this, 'Dashboard', {
      dashboardName: props.namePrefix,
      coordinator,
      participants: props.participants,
      outcomeDeadLetters: this.outcomeDeadLetters,
      alarms: [
        ...prepareLatency.values(),
        ...participantFailureRate.values(),
        inDoubt,
        heuristicHazard,
        executionsFailed,
        outcomeReportingFailed,
        recoveryFailing,
      ],
    });

    const logGroups: ILogGroup[] = [
      coordinator.executionLogs,
      ...[
        props.api.function,
        props.recovery.function,
        this.outcomeReporter,
        ...props.participants.filter((p) => !p.ownFunction).map((p) => p.function),
      ].flatMap((fn) => (fn instanceof LambdaFunction ? [fn.logGroup] : [])),
    ];
    this.transactionStory = new QueryDefinition(this, 'TransactionStory', {
      queryDefinitionName: `${props.namePrefix}/transaction-story`,
      // Replace TXN_ID: Lambda lines carry txnId, the coordinator's execution events its execution ARN (named by the txnId).
      queryString: new QueryString({
        fields: ['@timestamp', '@log', 'service', 'participant', 'phase', 'action', 'message', 'type', 'durationMs'],
        filterStatements: ['txnId = "TXN_ID" or execution_arn like ":TXN_ID"'],
        sort: '@timestamp asc',
        limit: 1000,
      }),
      logGroups,
    });
  }
}

/** Construct ids from participant names (`payer-bank` -> `PayerBank`), stable when the config is reordered. */
export const constructIdOf = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());
