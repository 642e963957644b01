/**
 * A SQL participant on AWS: its function runs in the team's VPC, reads exactly its database secret, and
 * is the participant's own function in PakkaStack (invoked by the coordinator and recovery like any);
 * the app passes cdk-nag.
 */
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { type CfnSecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { SqlParticipantFunction } from '../../infra/constructs/sqlParticipantFunction.js';
import { checkWithCdkNag } from '../../infra/nag.js';
import { resolveIntrinsic } from '../support/synthIntrinsics.js';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS, kindRegistry } from '../../lambdas/participants/kinds/index.js';
import { sqlBankKind } from '../../examples/sql-bank/bankAccounts.js';

const ENTRY = fileURLToPath(new URL('../../examples/sql-bank/lambdaEntry.ts', import.meta.url));
const API_ENTRY = fileURLToPath(new URL('../support/ownFunctionApiEntry.ts', import.meta.url));
const env = { account: '123456789012', region: 'eu-west-1' };

describe('SqlParticipantFunction', () => {
  // No bundling: this reads the template (the bundle test builds entries).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Bank', { env });
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const secret = new Secret(stack, 'DatabaseSecret');
  new SqlParticipantFunction(stack, 'PayeeSql', { participant: 'payee-sql', entry: ENTRY, vpc, databaseSecret: secret });
  const template = Template.fromStack(stack);

  it('runs the function in the VPC with the participant name and the secret ARN in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Pakka SQL participant payee-sql',
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({ PARTICIPANT_NAME: 'payee-sql', PAKKA_DATABASE_SECRET_ARN: { Ref: Match.stringLikeRegexp('DatabaseSecret') } }),
      },
    });
  });

  it('may read only its own secret', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }).PolicyDocument.Statement,
    );
    const secretReads = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secretReads).toHaveLength(1);
    expect(secretReads[0]?.Resource).toEqual({ Ref: stack.getLogicalId(secret.node.defaultChild as CfnSecret) });
  });

  it('refuses a name that is not a participant name', () => {
    const other = new Stack(new App(), 'Other', { env });
    const props = { entry: ENTRY, vpc: new Vpc(other, 'Vpc'), databaseSecret: new Secret(other, 'Secret') };
    expect(() => new SqlParticipantFunction(other, 'Bad', { participant: 'Payee Bank', ...props })).toThrow(/not a participant name/);
  });

  it('passes cdk-nag, with each acknowledged finding given its reason', () => {
    const nagged = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(nagged, 'Nagged', { env });
    const v = new Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const teamSecret = new Secret(s, 'DatabaseSecret');
    // The VPC and the secret are the team's, not Pakka's: their flow logs and rotation are the team's to set.
    Validations.of(v).acknowledge({ id: 'AwsSolutions-VPC7', reason: "the team's own VPC in this test" });
    Validations.of(teamSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: "the team's own database secret in this test" });
    new SqlParticipantFunction(s, 'PayeeSql', { participant: 'payee-sql', entry: ENTRY, vpc: v, databaseSecret: teamSecret });
    checkWithCdkNag(nagged);
    expect(() => nagged.synth()).not.toThrow();
  });
});

describe('PakkaStack with a SQL participant', () => {
  const config = parseParticipantConfig(
    { participants: { 'payer-bank': { kind: 'ledger' }, 'payee-sql': { kind: 'sql-bank' } } },
    kindRegistry([...BUILT_IN_KINDS.values(), sqlBankKind]),
  );
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PakkaStack(app, 'WithSql', {
    env,
    participants: config,
    settings: deploymentSettings(() => undefined),
    apiEntry: API_ENTRY,
    participantFunctions: { 'payee-sql': 'arn:aws:lambda:eu-west-1:123456789012:function:payee-sql' },
  });
  const template = Template.fromStack(stack);

  it('marks the SQL participant in the participant directory as the one recovery asks what it holds prepared (its database is out of recovery’s reach), and nobody else', () => {
    const [writer] = Object.values(template.findResources('Custom::PakkaParticipantDirectory'));
    // The PutItem as CloudFormation will send it, its ARNs and table names as placeholders.
    const call = JSON.parse(resolveIntrinsic(writer?.Properties.Create)) as { parameters: { Item: { participantsJson: { S: string } } } };
    const entries = JSON.parse(call.parameters.Item.participantsJson.S) as Record<string, { asksForInDoubt?: boolean }>;
    expect(Object.entries(entries).flatMap(([name, e]) => (e.asksForInDoubt ? [name] : []))).toEqual(['payee-sql']);
  });
});
