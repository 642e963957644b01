/**
 * What the stack gives an on-call engineer, checked on one in-process synth (Lambda bundling off;
 * infra.test.ts covers the bundles) with cdk-nag on: the outcome reporter on the coordinator log's
 * stream, X-Ray everywhere, the encrypted alarm topic, every alarm's metric, threshold and period,
 * the dashboard and the saved query that follows one txnId.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS } from '../../infra/constructs/pakkaMetrics.js';
import { buildPakkaApp } from '../../infra/pakkaApp.js';
import type { PakkaStack } from '../../infra/pakkaStack.js';
import { CONTEXT, deploymentSettings } from '../../infra/settings.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { RAISED_ABORT_REASONS } from '../../lambdas/contract/participantProtocol.js';
import type { CfnResource, CfnTemplate } from '../support/synth.js';

const EMAIL = 'oncall@example.com';
const participants = [...loadParticipantConfig().keys()];
const scratch = mkdtempSync(join(tmpdir(), 'pakka-infra-observability-'));
let stack: PakkaStack;
let template: Template;
let json: CfnTemplate;

beforeAll(() => {
  const app = new App({ outdir: scratch, context: { 'aws:cdk:bundling-stacks': [], [CONTEXT.alarmEmail]: EMAIL } });
  stack = buildPakkaApp(app);
  // Runs cdk-nag: an unacknowledged finding throws here.
  app.synth();
  template = Template.fromStack(stack);
  json = template.toJSON() as CfnTemplate;
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const resources = (type: string): Array<[string, CfnResource]> => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const props = (r: CfnResource | undefined) => r?.Properties ?? {};
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: logicalId(construct) });
const getAtt = (construct: { node: { defaultChild?: unknown } }, attribute: string) => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function statementsOfRole(roleLogicalId: string): Statement[] {
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => (props(p).Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, p]) => (props(p).PolicyDocument as { Statement: Statement[] }).Statement);
}

describe('the outcome reporter', () => {
  it('reads the coordinator log’s stream of new and old images, with retries, bisection and a dead-letter queue', () => {
    const log = stack.coordinator.coordinatorLog.table;
    expect(props(json.Resources[logicalId(log)]).StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const [, mapping] = resources('AWS::Lambda::EventSourceMapping')[0] ?? [];
    expect(resources('AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(props(mapping)).toMatchObject({
      EventSourceArn: getAtt(log, 'StreamArn'),
      FunctionName: ref(stack.observability.outcomeReporter),
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: getAtt(stack.observability.outcomeDeadLetters, 'Arn') } },
    });
    const queue = props(json.Resources[logicalId(stack.observability.outcomeDeadLetters)]);
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('may read only that stream and put events only on the default bus', () => {
    const fn = props(json.Resources[logicalId(stack.observability.outcomeReporter)]);
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({ EVENT_BUS_NAME: 'default' });
    const roleId = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const grants = statementsOfRole(roleId).flatMap((s) => list(s.Action).map((a) => [a, JSON.stringify(s.Resource)] as const));
    const on = (action: string) => grants.filter(([a]) => a === action).map(([, r]) => r);
    const streamArn = JSON.stringify(getAtt(stack.coordinator.coordinatorLog.table, 'StreamArn'));
    for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']) expect(on(action)).toEqual([streamArn]);
    expect(on('dynamodb:ListStreams')).toEqual(['"*"']);
    expect(on('events:PutEvents')).toHaveLength(1);
    expect(on('events:PutEvents')[0]).toMatch(/:event-bus\/default"\]\]\}$/);
    expect(
      grants
        .map(([a]) => a)
        .filter((a) => a.startsWith('dynamodb:') && !a.includes('Stream') && a !== 'dynamodb:GetRecords' && a !== 'dynamodb:GetShardIterator'),
    ).toEqual([]);
    // cdk-nag keeps one reason per finding: the reporter's names ListStreams, not only X-Ray.
    const policyId = resources('AWS::IAM::Policy').find(([, p]) => JSON.stringify(props(p).Roles) === JSON.stringify([{ Ref: roleId }]))?.[0] ?? '';
    const acknowledged = (json.Resources[policyId]?.Metadata?.cdk_nag as { rules_to_suppress: Array<{ id: string; reason: string }> }).rules_to_suppress;
    expect(acknowledged.find((a) => a.id === 'AwsSolutions-IAM5[Resource::*]')?.reason).toMatch(/ListStreams/);
  });
});

/** The function behind the participant directory's custom resource (CDK's AwsCustomResource provider). */
function directoryWriterId(): string {
  const [, writer] = resources('Custom::PakkaParticipantDirectory')[0] ?? [];
  return ((props(writer).ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'] ?? [''])[0];
}

describe('X-Ray', () => {
  it('traces every Lambda function and the state machine', () => {
    // Pakka's functions; the participant directory's writer is CDK's provider, run once per deploy, and not traced.
    const functions = resources('AWS::Lambda::Function').filter(([id]) => id !== directoryWriterId());
    expect(functions).toHaveLength(participants.length + 3); // participants, API, recovery, outcome reporter
    for (const [id, fn] of functions) expect(props(fn).TracingConfig, id).toEqual({ Mode: 'Active' });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
  });
});

describe('the alarm topic', () => {
  it('is encrypted with a rotated key CloudWatch may use, refuses plain HTTP, lets CloudWatch publish, and mails the given address', () => {
    const topic = props(json.Resources[logicalId(stack.observability.alarmTopic)]);
    const [keyId, key] = resources('AWS::KMS::Key')[0] ?? [];
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(props(key).EnableKeyRotation).toBe(true);
    const keyStatements = (props(key).KeyPolicy as { Statement: Statement[] }).Statement;
    const forCloudWatch = keyStatements.find((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    expect(list(forCloudWatch?.Action ?? []).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const [, policy] = resources('AWS::SNS::TopicPolicy')[0] ?? [];
    const statements = (props(policy).PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
      ]),
    );
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: EMAIL, TopicArn: ref(stack.observability.alarmTopic) });
    template.hasOutput('AlarmTopicArn', { Value: ref(stack.observability.alarmTopic) });
  });
});

describe('alarms', () => {
  const alarmProps = (alarm: { node: { defaultChild?: unknown } }) => props(json.Resources[logicalId(alarm)]);
  const topic = () => [ref(stack.observability.alarmTopic)];

  it('every alarm notifies the topic when it fires and when it clears', () => {
    const all = resources('AWS::CloudWatch::Alarm');
    expect(all).toHaveLength(2 * participants.length + 5);
    for (const [id, alarm] of all) {
      expect(props(alarm).AlarmActions, id).toEqual(topic());
      expect(props(alarm).OKActions, id).toEqual(topic());
      expect(String(props(alarm).AlarmDescription).length, id).toBeGreaterThan(60);
    }
  });

  it('prepare p99 of each participant above 2 s for 5 minutes', () => {
    expect(ALARM_DEFAULTS).toMatchObject({ prepareLatencyP99Ms: 2000, prepareLatencyMinutes: 5 });
    for (const name of participants) {
      const alarm = stack.observability.alarms.prepareLatency.get(name);
      if (!alarm) throw new Error(`no prepare alarm for ${name}`);
      expect(alarmProps(alarm)).toMatchObject({
        AlarmName: `Pakka-prepare-p99-${name}`,
        Namespace: 'Pakka',
        MetricName: METRICS.prepareLatency,
        Dimensions: [
          { Name: 'Participant', Value: name },
          { Name: 'service', Value: 'pakka' },
        ],
        ExtendedStatistic: 'p99',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: 2000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('a participant failing more than 5% of its invocations, once it had at least 100 in the 5 minutes; its raised noes are votes, not failures', () => {
    expect(ALARM_DEFAULTS).toMatchObject({ failureRatePercent: 5, failureRateMinInvocations: 100, failureRateMinutes: 5 });
    for (const participant of stack.participants) {
      const alarm = stack.observability.alarms.participantFailureRate.get(participant.name);
      if (!alarm) throw new Error(`no failure-rate alarm for ${participant.name}`);
      const p = alarmProps(alarm);
      expect(p).toMatchObject({ Threshold: 5, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      const metrics = p.Metrics as Array<{
        Id: string;
        Expression?: string;
        ReturnData: boolean;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string };
      }>;
      const watched = metrics.filter((m) => m.ReturnData !== false);
      expect(watched).toHaveLength(1);
      expect(watched[0]?.Expression).toBe('IF(invocations >= 100 AND failed > 0, 100 * failed / invocations, 0)');
      expect(metrics.find((m) => m.Id === 'failed')?.Expression).toBe('FILL(errors, 0) - FILL(raised, 0)');
      const byId = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
      const fn = [{ Name: 'FunctionName', Value: ref(participant.function as never) }];
      expect(byId.errors).toEqual({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: fn }, Period: 300, Stat: 'Sum' });
      expect(byId.invocations).toEqual({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: fn }, Period: 300, Stat: 'Sum' });
      // Taken off: the participant's one total of the noes it raises, whatever their reasons (a lock conflict is answered, so its Lambda call succeeded).
      expect(byId.raised).toEqual({
        Metric: {
          Namespace: 'Pakka',
          MetricName: METRICS.raisedNoes,
          Dimensions: expect.arrayContaining([
            { Name: 'service', Value: 'pakka' },
            { Name: 'Participant', Value: participant.name },
          ]),
        },
        Period: 300,
        Stat: 'Sum',
      });
      // CloudWatch takes at most ten metrics in one alarm: the count does not grow with the list of raised reasons.
      expect(Object.keys(byId)).toHaveLength(3);
      expect(RAISED_ABORT_REASONS.length).toBeGreaterThan(0);
      expect(Object.keys(byId).length).toBeLessThanOrEqual(10);
    }
  });

  it('any transaction in doubt longer than 5 minutes', () => {
    expect(alarmProps(stack.observability.alarms.inDoubt)).toMatchObject({
      Namespace: 'Pakka',
      MetricName: METRICS.oldestInDoubtAgeSeconds,
      Dimensions: [{ Name: 'service', Value: 'pakka' }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('any heuristic hazard', () => {
    expect(alarmProps(stack.observability.alarms.heuristicHazard)).toMatchObject({
      MetricName: METRICS.heuristicHazards,
      Dimensions: [{ Name: 'service', Value: 'pakka' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('any failed or timed-out coordinator execution', () => {
    const p = alarmProps(stack.observability.alarms.executionsFailed);
    expect(p).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const metrics = p.Metrics as Array<{
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string };
    }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    const stateMachine = [{ Name: 'StateMachineArn', Value: ref(stack.coordinator.stateMachine) }];
    for (const [id, name] of [
      ['failed', 'ExecutionsFailed'],
      ['timedOut', 'ExecutionsTimedOut'],
    ]) {
      expect(metrics.find((m) => m.Id === id)?.MetricStat).toEqual({
        Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: stateMachine },
        Period: 60,
        Stat: 'Sum',
      });
    }
  });

  it('an outcome batch dead-lettered, and a recovery sweeper failing three minutes in a row', () => {
    expect(alarmProps(stack.observability.alarms.outcomeReportingFailed)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.observability.outcomeDeadLetters, 'QueueName') }],
      Period: 300,
      Threshold: 1,
    });
    expect(alarmProps(stack.observability.alarms.recoveryFailing)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.recovery.function as never) }],
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
    });
  });
});

describe('the dashboard', () => {
  /** The dashboard body with every CloudFormation reference replaced by a placeholder. */
  function body(): string {
    const raw = props(resources('AWS::CloudWatch::Dashboard')[0]?.[1]).DashboardBody as { 'Fn::Join': [string, unknown[]] };
    return raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  }

  it('shows success rate, throughput, each phase’s percentiles, aborts by reason, participants, in-doubt, hazards and executions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Pakka' });
    const parsed = JSON.parse(body()) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[]; markdown?: string } }> };
    const titles = parsed.widgets.map((w) => w.properties.title ?? '');
    for (const title of [
      'Success rate %',
      'Throughput (per minute)',
      'Latency: prepare (begin to decision) (ms)',
      'Latency: commit phase (ms)',
      'Latency: abort phase (ms)',
      'Latency: end to end (ms)',
      'Aborts by reason',
      'Prepare latency p99 per participant (ms)',
      'Failed invocations % per participant (5 min)',
      'In doubt: found and resolved by recovery',
      'Heuristic hazards and protocol violations',
      'Coordinator executions',
      'Alarms',
    ]) {
      expect(titles).toContain(title);
    }
    const widget = (title: string) => JSON.stringify(parsed.widgets.find((w) => w.properties.title === title)?.properties.metrics);
    expect(widget('Latency: prepare (begin to decision) (ms)')).toContain(METRICS.preparePhaseLatency);
    for (const stat of ['p50', 'p95', 'p99']) expect(widget('Latency: end to end (ms)')).toContain(`"stat":"${stat}"`);
    // Every reason, a team's own included: the Reason dimension is searched, never listed.
    expect(widget('Aborts by reason')).toContain(
      `SEARCH('{Pakka,Reason,service} MetricName=\\"${METRICS.transactionsAborted}\\" service=\\"pakka\\"', 'Sum', 60)`,
    );
    for (const name of participants) expect(widget('Prepare latency p99 per participant (ms)')).toContain(`"${name}"`);
    expect(widget('Coordinator executions')).toContain('ExecutionsTimedOut');
    expect(widget('In doubt: found and resolved by recovery')).toContain(METRICS.oldestInDoubtAgeSeconds);
    // Votes with and without a Reason dimension: a free-form search finds both.
    expect(widget('Votes by participant and kind')).toContain(
      `SEARCH('Namespace=\\"Pakka\\" MetricName=\\"${METRICS.votes}\\" service=\\"pakka\\"', 'Sum', 60)`,
    );
  });
});

describe('following one transaction', () => {
  it('a saved Logs Insights query reads every Pakka log group and filters on the txnId', () => {
    const [, query] = resources('AWS::Logs::QueryDefinition')[0] ?? [];
    const groups = (props(query).LogGroupNames as Array<{ Ref: string }>).map((g) => g.Ref).sort();
    // Every function a transaction runs through: not the participant directory's writer, which runs at deploy time.
    const lambdaGroups = resources('AWS::Lambda::Function')
      .filter(([id]) => id !== directoryWriterId())
      .map(([, fn]) => (props(fn).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    expect(groups).toEqual([...lambdaGroups, logicalId(stack.coordinator.executionLogs)].sort());
    expect(props(query).Name).toBe('Pakka/transaction-story');
    expect(props(query).QueryString).toContain('filter txnId = "TXN_ID" or execution_arn like ":TXN_ID"');
  });
});

describe('pakka:alarmEmail', () => {
  it('is optional, and must be an email address when given', () => {
    expect(deploymentSettings(() => undefined).alarmEmail).toBeUndefined();
    expect(() => deploymentSettings((key) => (key === CONTEXT.alarmEmail ? 'on-call' : undefined))).toThrow(/^CDK context pakka:alarmEmail: /);
  });
});
