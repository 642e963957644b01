/**
 * A synthesized template's roles as IAM evaluates them. Every Ref and Fn::GetAtt is resolved to the
 * ARN or name CloudFormation would give the resource in one imagined account (FAKE_ENVIRONMENT), the
 * same value wherever it appears, so a policy's Resource and the resource a function's environment
 * names compare as they would on AWS. `@cloud-copilot/iam-simulate` then evaluates a request against
 * the role's identity policies as AWS documents policy evaluation.
 */
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import type { CfnTemplate } from './synth.js';
import { FAKE_ENVIRONMENT } from './synthIntrinsics.js';

const { partition, region, account } = FAKE_ENVIRONMENT;

const PSEUDO: Record<string, string> = {
  'AWS::Partition': partition,
  'AWS::Region': region,
  'AWS::AccountId': account,
  'AWS::URLSuffix': FAKE_ENVIRONMENT.urlSuffix,
  'AWS::StackName': 'Pakka',
};

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** A resource's name as CloudFormation would make it: its explicit name property, else its logical id. */
function nameOf(template: CfnTemplate, logicalId: string, nameProperty: string): string {
  const given = template.Resources[logicalId]?.Properties?.[nameProperty];
  return typeof given === 'string' ? given : logicalId;
}

/** `Ref` of a resource (what the resource type returns for Ref in CloudFormation's reference). */
function refOf(template: CfnTemplate, id: string): string {
  const resource = template.Resources[id];
  if (!resource) throw new Error(`Ref to ${id}, which the template does not define`);
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
      return nameOf(template, id, 'TableName');
    case 'AWS::Lambda::Function':
      return nameOf(template, id, 'FunctionName');
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${partition}:states:${region}:${account}:stateMachine:${nameOf(template, id, 'StateMachineName')}`;
    case 'AWS::IAM::Role':
      return nameOf(template, id, 'RoleName');
    case 'AWS::Logs::LogGroup':
      return nameOf(template, id, 'LogGroupName');
    default:
      return id;
  }
}

/** `Fn::GetAtt` of a resource. */
function attributeOf(template: CfnTemplate, id: string, attribute: string): string {
  const type = template.Resources[id]?.Type;
  const key = `${type}.${attribute}`;
  switch (key) {
    case 'AWS::DynamoDB::Table.Arn':
      return `arn:${partition}:dynamodb:${region}:${account}:table/${refOf(template, id)}`;
    case 'AWS::DynamoDB::Table.StreamArn':
      return `arn:${partition}:dynamodb:${region}:${account}:table/${refOf(template, id)}/stream/2026-01-01T00:00:00.000`;
    case 'AWS::Lambda::Function.Arn':
      return `arn:${partition}:lambda:${region}:${account}:function:${refOf(template, id)}`;
    case 'AWS::IAM::Role.Arn':
      return `arn:${partition}:iam::${account}:role/${refOf(template, id)}`;
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:${partition}:logs:${region}:${account}:log-group:${refOf(template, id)}:*`;
    case 'AWS::SQS::Queue.Arn':
      return `arn:${partition}:sqs:${region}:${account}:${id}`;
    case 'AWS::SNS::Topic.TopicArn':
      return `arn:${partition}:sns:${region}:${account}:${id}`;
    case 'AWS::KMS::Key.Arn':
      return `arn:${partition}:kms:${region}:${account}:key/${id}`;
    default:
      throw new Error(`no ARN for Fn::GetAtt ${id}.${attribute} (${type})`);
  }
}

/** A template value (string, Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split) as a plain string. */
export function resolveValue(template: CfnTemplate, value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const [[name, arg] = []] = Object.entries(value);
    if (name === 'Ref' && typeof arg === 'string') return PSEUDO[arg] ?? refOf(template, arg);
    if (name === 'Fn::GetAtt' && Array.isArray(arg)) return attributeOf(template, String(arg[0]), String(arg[1]));
    if (name === 'Fn::Join' && Array.isArray(arg)) {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => resolveValue(template, p)).join(separator);
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** A role's ARN in the imagined account. */
export const roleArn = (template: CfnTemplate, roleId: string): string => attributeOf(template, roleId, 'Arn');

/** The logical id of the role a `Role`/`RoleArn` property names. */
export function roleIdOf(value: unknown): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  const [id, attribute] = getAtt ?? [];
  if (!id || attribute !== 'Arn') throw new Error(`not a role of this template: ${JSON.stringify(value)}`);
  return id;
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function resolvedDocument(template: CfnTemplate, document: { Statement: Array<Record<string, unknown>> }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: document.Statement.map((s) => ({
      ...(s as unknown as PolicyStatement),
      Resource: asList(s.Resource).map((r) => resolveValue(template, r)),
    })),
  };
}

/**
 * Every identity policy of a role: its inline Policies, each AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy of the template attached to it. A managed policy the template does not
 * define (an AWS managed one) cannot be evaluated here, so it fails the check.
 */
export function rolePolicies(template: CfnTemplate, roleId: string): Array<{ name: string; policy: PolicyDocument }> {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const props = role.Properties ?? {};
  const policies: Array<{ name: string; policy: PolicyDocument }> = [];
  for (const inline of asList(props.Policies as Array<{ PolicyName: string; PolicyDocument: { Statement: Array<Record<string, unknown>> } }>)) {
    policies.push({ name: inline.PolicyName, policy: resolvedDocument(template, inline.PolicyDocument) });
  }
  const attachesRole = (roles: unknown) => asList(roles as unknown[]).some((r) => (r as { Ref?: string }).Ref === roleId);
  const managedHere = new Set<string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    if ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && attachesRole(p.Roles)) {
      policies.push({ name: id, policy: resolvedDocument(template, p.PolicyDocument as { Statement: Array<Record<string, unknown>> }) });
      if (resource.Type === 'AWS::IAM::ManagedPolicy') managedHere.add(id);
    }
  }
  for (const arn of asList(props.ManagedPolicyArns as unknown[])) {
    const id = (arn as { Ref?: string }).Ref;
    if (!id || !managedHere.has(id)) throw new Error(`role ${roleId} has a managed policy the template does not define: ${JSON.stringify(arn)}`);
  }
  return policies;
}

/**
 * What IAM answers when the role asks for `action` on `resource`: 'Allowed', 'ImplicitlyDenied' or 'ExplicitlyDenied'.
 * `context` holds the request's condition keys (e.g. `dynamodb:Attributes`), for a statement that has conditions.
 */
export async function simulate(
  principal: string,
  policies: Array<{ name: string; policy: PolicyDocument }>,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource, accountId: account }, contextVariables: context },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate refused ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}
