/**
 * The deployment knobs (CDK context) and the guards around them, checked in-process. The one
 * full-stack synth here skips Lambda bundling (`aws:cdk:bundling-stacks`), which the CLI synth in
 * infra.test.ts already covers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { PakkaTable } from '../../infra/constructs/pakkaTable.js';
import { checkWithCdkNag } from '../../infra/nag.js';
import { buildPakkaApp } from '../../infra/pakkaApp.js';
import { CONTEXT, deploymentSettings } from '../../infra/settings.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';

const scratch = mkdtempSync(join(tmpdir(), 'pakka-infra-settings-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const outdir = (name: string) => join(scratch, name);

const settingsFrom = (context: Record<string, unknown>) => deploymentSettings((key) => context[key]);

describe('deployment settings', () => {
  it('defaults to a retained, logged, throttled deployment named Pakka', () => {
    expect(settingsFrom({})).toEqual({
      stackName: 'Pakka',
      participantConfig: 'config/participants.json',
      removalPolicy: 'retain',
      logRetentionDays: 30,
      apiTimeoutSeconds: 29,
      recoveryTimeoutSeconds: 55,
      apiThrottleRatePerSecond: 50,
      apiThrottleBurst: 100,
      stateMachineLogLevel: 'ALL',
      coordinator: 'express',
      faultInjection: false,
    });
  });

  it('takes numbers as `-c key=value` strings', () => {
    expect(settingsFrom({ [CONTEXT.apiThrottleBurst]: '7', [CONTEXT.logRetentionDays]: '14' })).toMatchObject({ apiThrottleBurst: 7, logRetentionDays: 14 });
  });

  it.each([
    [CONTEXT.removalPolicy, 'delete'],
    [CONTEXT.stackName, 'a-name-far-too-long-for-function-prefixes'],
    [CONTEXT.stackName, '9lives'],
    [CONTEXT.logRetentionDays, 8],
    [CONTEXT.apiTimeoutSeconds, 30],
    [CONTEXT.stateMachineLogLevel, 'FATAL'],
    [CONTEXT.apiThrottleRatePerSecond, 'fast'],
  ])('refuses %s = %j, naming the context key', (key, value) => {
    expect(() => settingsFrom({ [key]: value })).toThrow(new RegExp(`^CDK context ${key}: `));
  });
});

describe('the participant config the stack is built from', () => {
  it('must be the one the API Lambda bundles, or the synth stops', () => {
    const other = join(scratch, 'participants.json');
    writeFileSync(
      other,
      JSON.stringify({ defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 }, participants: { 'only-bank': { kind: 'ledger' } } }),
    );
    const app = new App({ outdir: outdir('other-config'), context: { [CONTEXT.participantConfig]: other, 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildPakkaApp(app)).toThrow(/differs from config\/participants\.json, which the API Lambda bundles/);
  });
});

describe('cdk-nag as the app runs it', () => {
  it('fails the synth on an unacknowledged finding', () => {
    const app = new App({ outdir: outdir('nag-fails') });
    new Table(new Stack(app, 'Plain'), 'NoPitr', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    checkWithCdkNag(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3|Point-in-time Recovery/);
  });

  it('passes a PakkaTable, which needs no acknowledgement', () => {
    const app = new App({ outdir: outdir('nag-passes') });
    new PakkaTable(new Stack(app, 'Pakka'), 'Table', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: RemovalPolicy.DESTROY });
    checkWithCdkNag(app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('a sandbox deployment (every knob turned)', () => {
  const context = {
    'aws:cdk:bundling-stacks': [],
    [CONTEXT.stackName]: 'Sandbox1',
    [CONTEXT.removalPolicy]: 'destroy',
    [CONTEXT.logRetentionDays]: 7,
    [CONTEXT.apiTimeoutSeconds]: 20,
    [CONTEXT.apiThrottleRatePerSecond]: 5,
    [CONTEXT.apiThrottleBurst]: 10,
    [CONTEXT.stateMachineLogLevel]: 'ERROR',
    [CONTEXT.coordinator]: 'standard',
  };
  let template: Template | undefined;
  const synthesized = (): Template => {
    if (!template) {
      const app = new App({ outdir: outdir('sandbox'), context });
      const stack = buildPakkaApp(app);
      const assembly = app.synth(); // cdk-nag runs here too
      template = Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
    }
    return template;
  };

  it('destroys tables and logs with the stack, unprotected', { timeout: 120_000 }, () => {
    const t = synthesized();
    const tables = Object.values(t.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(loadParticipantConfig().size + 2); // and the coordinator log and the participant directory
    for (const table of tables) {
      expect(table).toMatchObject({ DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    }
    for (const logGroup of Object.values(t.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 7 } });
    }
  });

  it('prefixes every participant function with the stack name and applies the API and logging knobs', { timeout: 120_000 }, () => {
    const t = synthesized();
    for (const name of loadParticipantConfig().keys()) t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: `Sandbox1-${name}` });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'Sandbox1-two-phase-commit', LoggingConfiguration: { Level: 'ERROR' } });
    t.hasResourceProperties('AWS::Lambda::Function', { Timeout: 20, Environment: { Variables: Match.objectLike({ STATE_MACHINE_ARN: Match.anyValue() }) } });
    t.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })] });
  });

  it('deploys the Standard workflow when asked (cdk-nag clean), whose executions the API may describe (recovery never asks)', { timeout: 120_000 }, () => {
    const t = synthesized();
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/Sandbox1-two-phase-commit' });
    const describers = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('states:DescribeExecution'));
    expect(describers).toHaveLength(1);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ COORDINATOR_VARIANT: 'standard' }) } });
  });
});
