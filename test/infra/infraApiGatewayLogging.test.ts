/**
 * API Gateway's logging without taking over the account: the Pakka stack uses the account's
 * CloudWatch role and never sets it; the one-time ApiGatewayAccountStack sets it, cdk-nag clean.
 * And the recovery function the API starts in the background: no Lambda retries beside the schedule.
 * In-process synths; Lambda bundling is skipped (infra.test.ts covers the bundles).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GATEWAY_LOGS_POLICY, ApiGatewayAccountStack } from '../../infra/apiGatewayAccountStack.js';
import { checkWithCdkNag } from '../../infra/nag.js';
import { buildPakkaApp } from '../../infra/pakkaApp.js';
import type { PakkaStack } from '../../infra/pakkaStack.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';

const scratch = mkdtempSync(join(tmpdir(), 'pakka-infra-apigw-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; Metadata?: Record<string, unknown> }>;

describe('the Pakka stack', () => {
  let template: Template;
  let stack: PakkaStack;
  beforeAll(() => {
    const app = new App({ outdir: join(scratch, 'pakka'), context: { 'aws:cdk:bundling-stacks': [] } });
    stack = buildPakkaApp(app);
    const assembly = app.synth(); // cdk-nag runs here: a finding would throw
    template = Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
  }, 120_000);

  it('sets no account-wide API Gateway setting and creates no role for it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const roles = Object.values(template.findResources('AWS::IAM::Role') as Resources);
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(role.Properties?.ManagedPolicyArns, 'no managed policy on any role').toBeUndefined();
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).not.toContain('apigateway.amazonaws.com');
    }
  });

  it('still writes JSON access logs to its own log group and error execution logs, with the account role', () => {
    const stages = Object.values(template.findResources('AWS::ApiGateway::Stage') as Resources);
    expect(stages).toHaveLength(1);
    const stage = stages[0]?.Properties ?? {};
    const destination = (stage.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn['Fn::GetAtt'];
    expect(destination[1]).toBe('Arn');
    expect((template.toJSON() as { Resources: Resources }).Resources[destination[0]]?.Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse((stage.AccessLogSetting as { Format: string }).Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(stage.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false, HttpMethod: '*', ResourcePath: '/*' })]);
  });

  it('invokes the recovery sweep without Lambda retries, and tells the API where the sweep logs', () => {
    const recovery = stack.resolve(stack.recovery.function.functionName) as unknown;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: recovery,
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: DEFAULT_RECOVERY_CONFIG.sweepIntervalSeconds,
      Qualifier: '$LATEST',
    });
    const logGroup = stack.resolve(stack.recovery.logGroup.logGroupName) as unknown;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECOVERY_FUNCTION_NAME: recovery, RECOVERY_LOG_GROUP: logGroup }) },
    });
  });
});

describe('the one-time ApiGatewayAccountStack', () => {
  let resources: Resources;
  beforeAll(() => {
    const app = new App({ outdir: join(scratch, 'account') });
    const stack = new ApiGatewayAccountStack(app);
    checkWithCdkNag(app);
    const assembly = app.synth(); // cdk-nag: the managed policy is acknowledged, nothing else is found
    resources = (assembly.getStackByName(stack.stackName).template as { Resources: Resources }).Resources;
  });

  it("sets the account's CloudWatch role to a role only API Gateway may assume, kept when the stack goes", () => {
    const accounts = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Account');
    expect(accounts).toHaveLength(1);
    const roleId = (accounts[0]?.Properties?.CloudWatchRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = resources[roleId];
    expect(role?.Type).toBe('AWS::IAM::Role');
    expect(role?.DeletionPolicy).toBe('Retain');
    expect(accounts[0]?.DeletionPolicy).toBe('Retain');
    expect(role?.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }],
    });
    expect(JSON.stringify(role?.Properties?.ManagedPolicyArns)).toContain(`:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}`);
    const acknowledged = (role?.Metadata?.cdk_nag as { rules_to_suppress: Array<{ id: string; reason: string }> }).rules_to_suppress;
    expect(acknowledged.map((a) => a.id)).toEqual([`AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}]`]);
    expect(acknowledged[0]?.reason).toMatch(/every REST API of the account/);
  });

  it('holds nothing else', () => {
    expect(
      Object.values(resources)
        .map((r) => r.Type)
        .sort(),
    ).toEqual(['AWS::ApiGateway::Account', 'AWS::IAM::Role']);
  });
});
