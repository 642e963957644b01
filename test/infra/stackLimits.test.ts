/**
 * The AWS limits a deployment meets that grow with the participant list, checked on stacks synthesized
 * in-process (cdk-nag on, bundling skipped: the code does not change any of these figures):
 * - Lambda: 4 KB of environment variables per function, keys and values ("Lambda quotas");
 * - CloudWatch: at most 10 metrics in one alarm ("CloudWatch service quotas", PutMetricAlarm `Metrics`),
 *   at most 500 widgets on a dashboard ("Dashboard body structure and syntax");
 * - CloudFormation: 500 resources in a stack and a 1 MB template uploaded through S3 ("CloudFormation
 *   quotas"); CDK's own check of the resource count is the one used here;
 * - DynamoDB: 400 KB for the participant directory's item ("Service, account, and table quotas in Amazon DynamoDB");
 * - IAM: 10,240 characters of inline policy per role, 6,144 per managed policy, 10 managed policies per
 *   role ("IAM and AWS STS quotas"; IAM does not count white space). The roles that name every participant's
 *   table or function grow with the list, and CDK moves what overflows into managed policies.
 * Names CloudFormation generates are given their real shape (stack name, logical id, 13 random characters),
 * in the longest region name, so each size is what an account would see.
 */
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { PARTICIPANT_DIRECTORY_SCHEMA, participantDirectoryJson } from '../../lambdas/config/participantDirectory.js';
import { checkWithCdkNag } from '../../infra/nag.js';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import type { CfnResource, CfnTemplate } from '../support/synth.js';

const KB = 1024;
/** The longest stack name the settings accept: it prefixes the names Pakka gives. */
const STACK_NAME = `P${'k'.repeat(22)}`;
const REGION = 'ap-southeast-5';
const ACCOUNT = '123456789012';
/** The most participants one stack holds: CloudFormation's 500 resources (see the last describe). */
const MAX_PARTICIPANTS_PER_STACK = 57;

const KINDS = ['ledger', 'inventory', 'booking', 'outbox'] as const;
/** `n` participants with the longest names the config allows, every built-in kind among them. */
function participants(n: number): ParticipantConfig {
  return parseParticipantConfig({
    participants: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`p${String(i).padStart(3, '0')}-${'n'.repeat(35)}`, { kind: KINDS[i % KINDS.length] }]),
    ),
  });
}

/** Synthesizes Pakka's stack for `n` participants; `resourceLimit` 0 lifts CDK's check of CloudFormation's 500 resources. */
function synthesize(n: number, resourceLimit?: number): { template: CfnTemplate; bytes: number } {
  const context: Record<string, unknown> = { 'aws:cdk:bundling-stacks': [], 'pakka:stackName': STACK_NAME };
  if (resourceLimit !== undefined) context['@aws-cdk/core:stackResourceLimit'] = resourceLimit;
  const app = new App({ context });
  const settings = deploymentSettings((key) => app.node.tryGetContext(key));
  const stack = new PakkaStack(app, STACK_NAME, { participants: participants(n), settings, env: { region: REGION, account: ACCOUNT } });
  checkWithCdkNag(app);
  const artifact = app.synth().getStackByName(stack.stackName);
  // The file `cdk deploy` uploads, as CDK writes it.
  const text = JSON.stringify(artifact.template, undefined, 1);
  return { template: artifact.template as CfnTemplate, bytes: Buffer.byteLength(text) };
}

/**
 * A value as CloudFormation resolves it: a generated name is `<stack>-<logical id>-<13 characters>`
 * (CloudFormation's "Name type"), an explicit one is itself, and ARNs are built from them.
 */
function deployed(template: CfnTemplate, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const [[name, arg]] = Object.entries(value) as [[string, unknown]];
  const nameOf = (id: string): string => {
    const resource = template.Resources[id];
    if (!resource) throw new Error(`no resource ${id}`);
    const explicit = ['TableName', 'FunctionName', 'LogGroupName', 'StateMachineName', 'RoleName', 'TopicName', 'QueueName']
      .map((key) => resource.Properties?.[key])
      .find((v) => v !== undefined);
    return explicit === undefined ? `${STACK_NAME}-${id}-${'R'.repeat(13)}` : deployed(template, explicit);
  };
  const arnOf = (id: string): string => {
    const type = (template.Resources[id] as CfnResource).Type;
    const service = type.split('::')[1]?.toLowerCase();
    const prefix = `arn:aws:${service}:${REGION}:${ACCOUNT}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return `${prefix}:table/${nameOf(id)}`;
      case 'AWS::Lambda::Function':
        return `${prefix}:function:${nameOf(id)}`;
      case 'AWS::Logs::LogGroup':
        return `${prefix}:log-group:${nameOf(id)}:*`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${nameOf(id)}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${nameOf(id)}`;
      default:
        return `${prefix}:${nameOf(id)}`;
    }
  };
  if (name === 'Ref' && typeof arg === 'string') {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
    if (pseudo[arg]) return pseudo[arg];
    const type = template.Resources[arg]?.Type;
    return type === 'AWS::StepFunctions::StateMachine' || type === 'AWS::SNS::Topic' ? arnOf(arg) : nameOf(arg);
  }
  if (name === 'Fn::GetAtt' && Array.isArray(arg)) {
    const [id, attribute] = arg as [string, string];
    if (attribute === 'Arn') return arnOf(id);
    if (attribute === 'StreamArn') return `${arnOf(id)}/stream/2026-01-01T00:00:00.000`;
    return `${nameOf(id)}-${attribute}`;
  }
  if (name === 'Fn::Join' && Array.isArray(arg)) {
    const [separator, parts] = arg as [string, unknown[]];
    return parts.map((part) => deployed(template, part)).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const resourcesOf = (template: CfnTemplate, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('a stack of 100 participants', () => {
  let template: CfnTemplate;
  beforeAll(() => {
    ({ template } = synthesize(100, 0));
  }, 240_000);

  it("keeps every function's environment within Lambda's 4 KB, whatever the number of participants", () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(100);
    const sizes = functions.map(([id, fn]) => {
      const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      // As Lambda counts it: every key and value.
      const bytes = Object.entries(variables).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(deployed(template, value)), 0);
      return { id, bytes };
    });
    const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    console.info(`largest function environment at 100 participants: ${largest.bytes} B (${largest.id})`);
    for (const { id, bytes } of sizes) expect(bytes, id).toBeLessThanOrEqual(4 * KB);
    // What grew with the participants is not there any more: the API's and recovery's environments name the directory.
    for (const [id, fn] of functions.filter(([id]) => id.startsWith('Api') || id.startsWith('Recovery'))) {
      const keys = Object.keys((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables);
      expect(keys, id).toContain('PARTICIPANT_DIRECTORY_TABLE');
      expect(
        keys.filter((key) => key.startsWith('PARTICIPANT_') && !key.startsWith('PARTICIPANT_DIRECTORY_')),
        id,
      ).toEqual([]);
    }
  });

  it("writes the participant directory as one item within DynamoDB's 400 KB that the API and recovery parse", () => {
    const [[, writer]] = resourcesOf(template, 'Custom::PakkaParticipantDirectory') as [[string, CfnResource]];
    const create = JSON.parse(deployed(template, writer.Properties?.Create)) as {
      service: string;
      action: string;
      parameters: { Item: Record<string, { S: string }> };
    };
    expect([create.service, create.action]).toEqual(['DynamoDB', 'putItem']);
    const item = create.parameters.Item;
    expect(Object.keys(item).sort()).toEqual([PARTICIPANT_DIRECTORY_SCHEMA.partitionKey, 'participantsJson', 'version'].sort());
    const directory = participantDirectoryJson.parse(item.participantsJson?.S);
    expect(directory.functions.size).toBe(100);
    expect(directory.tables.size).toBe(100);
    const bytes = Object.entries(item).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value.S), 0);
    console.info(`participant directory item at 100 participants: ${bytes} B`);
    expect(bytes).toBeLessThan(400 * KB);
  });

  it('keeps every alarm within CloudWatch’s 10 metrics, and the dashboard within 500 widgets', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(200);
    const metricsOf = (alarm: CfnResource) => {
      const metrics = alarm.Properties?.Metrics as Array<{ MetricStat?: unknown }> | undefined;
      return metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1;
    };
    const most = Math.max(...alarms.map(([, alarm]) => metricsOf(alarm)));
    console.info(`most metrics in one alarm at 100 participants: ${most}`);
    for (const [id, alarm] of alarms) expect(metricsOf(alarm), id).toBeLessThanOrEqual(10);
    for (const [id, alarm] of alarms) expect((alarm.Properties?.Metrics as unknown[] | undefined)?.length ?? 1, id).toBeLessThanOrEqual(10);
    const [[, dashboard]] = resourcesOf(template, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    const body = JSON.parse(deployed(template, dashboard.Properties?.DashboardBody)) as { widgets: unknown[] };
    console.info(`dashboard widgets at 100 participants: ${body.widgets.length}`);
    expect(body.widgets.length).toBeLessThanOrEqual(500);
  });

  it('does not fit one CloudFormation stack', () => {
    const count = Object.keys(template.Resources).length;
    console.info(`resources at 100 participants: ${count}`);
    expect(count).toBeGreaterThan(500);
  });
});

describe(`the largest stack: ${MAX_PARTICIPANTS_PER_STACK} participants`, () => {
  let largest: { template: CfnTemplate; bytes: number };
  beforeAll(() => {
    largest = synthesize(MAX_PARTICIPANTS_PER_STACK);
  }, 240_000);

  it('fits CloudFormation’s 500 resources; with one participant more CDK refuses the stack at synth', () => {
    const count = Object.keys(largest.template.Resources).length;
    console.info(`resources at ${MAX_PARTICIPANTS_PER_STACK} participants: ${count}`);
    expect(count).toBeLessThanOrEqual(500);
    expect(() => synthesize(MAX_PARTICIPANTS_PER_STACK + 1)).toThrow(/Number of resources in stack '.*': \d+ is greater than allowed maximum of 500/);
  }, 240_000);

  it("keeps every role within IAM's policy sizes, with the names CloudFormation will give", () => {
    const { template } = largest;
    /** The policy document with every intrinsic resolved, as IAM receives it. */
    const resolvedDocument = (document: unknown): unknown => {
      if (Array.isArray(document)) return document.map(resolvedDocument);
      if (document && typeof document === 'object') {
        const keys = Object.keys(document);
        if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return deployed(template, document);
        return Object.fromEntries(Object.entries(document).map(([key, value]) => [key, resolvedDocument(value)]));
      }
      return document;
    };
    const size = (document: unknown) => JSON.stringify(resolvedDocument(document)).replace(/\s/g, '').length;
    const roleOf = (ref: unknown) => (ref as { Ref: string }).Ref;
    const inline = new Map<string, number>();
    const managed = new Map<string, number>();
    let largestManaged = 0;
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
      for (const role of (policy.Properties?.Roles as unknown[]) ?? [])
        inline.set(roleOf(role), (inline.get(roleOf(role)) ?? 0) + size(policy.Properties?.PolicyDocument));
    }
    for (const [id, policy] of resourcesOf(template, 'AWS::IAM::ManagedPolicy')) {
      const bytes = size(policy.Properties?.PolicyDocument);
      largestManaged = Math.max(largestManaged, bytes);
      expect(bytes, id).toBeLessThanOrEqual(6144);
      for (const role of (policy.Properties?.Roles as unknown[]) ?? []) managed.set(roleOf(role), (managed.get(roleOf(role)) ?? 0) + 1);
    }
    for (const [id, role] of resourcesOf(template, 'AWS::IAM::Role')) {
      managed.set(id, (managed.get(id) ?? 0) + ((role.Properties?.ManagedPolicyArns as unknown[] | undefined)?.length ?? 0));
    }
    console.info(
      `IAM at ${MAX_PARTICIPANTS_PER_STACK} participants: largest inline ${Math.max(...inline.values())} of 10240, largest managed ${largestManaged} of 6144, most managed per role ${Math.max(...managed.values())} of 10`,
    );
    for (const [role, characters] of inline) expect(characters, role).toBeLessThanOrEqual(10_240);
    for (const [role, count] of managed) expect(count, role).toBeLessThanOrEqual(10);
  });

  it('fits the 1 MB template CloudFormation accepts through S3', () => {
    console.info(`template at ${MAX_PARTICIPANTS_PER_STACK} participants: ${largest.bytes} B`);
    expect(largest.bytes).toBeLessThanOrEqual(1024 * KB);
  });
});
