/**
 * Least privilege, checked against the synthesized template: for each Lambda function and the state
 * machine, the AWS calls its code (bundleCalls.ts) or its ASL makes, each on the resources its
 * environment or task parameters name, and the check that its role allows every one of them and
 * grants nothing else (templateIam.ts evaluates the role with iam-simulate).
 */
import { readFileSync } from 'node:fs';
import { COORDINATOR_VARIANTS } from '../../lambdas/config/coordinatorVariant.js';
import { allStates } from '../../local/stateMachine.js';
import { aslPath } from '../../statemachines/source/files.js';
import { awsCallsOf, bundledRepositoryFiles } from './bundleCalls.js';
import type { CfnTemplate } from './synth.js';
import { type PolicyDocument, resolveValue, roleArn, roleIdOf, rolePolicies, simulate } from './templateIam.js';

/** One call and where it goes: all of `resources` (`every`), or at least one of them (a table or function picked at run time). */
export interface RoleCall {
  action: string;
  resources: string[];
  every: boolean;
  /** Which code makes it (a file, or a state of the ASL). */
  from: string;
}

/** What a role may be granted that its code never calls: what AWS itself does with the role on the resource's behalf. */
interface PlatformGrant {
  actions: RegExp;
  why: string;
}

export interface Subject {
  /** The function's or state machine's logical id. */
  name: string;
  roleId: string;
  calls: RoleCall[];
  platform: PlatformGrant[];
}

/** A function's environment variables with every value resolved; a JSON object value also yields its string values. */
function environmentOf(template: CfnTemplate, functionId: string): Record<string, string> {
  const variables = (template.Resources[functionId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveValue(template, v)]));
}

/** An AwsCustomResource's SDK call (its Create property), resolved: what CDK's provider function does with its role. */
function customResourceCall(template: CfnTemplate, create: unknown): { service: string; action: string; parameters: Record<string, unknown> } {
  return JSON.parse(resolveValue(template, create)) as { service: string; action: string; parameters: Record<string, unknown> };
}

/**
 * The participant directory the stack writes (infra/constructs/participantDirectory.ts): each
 * participant's function ARN and table name. The API and recovery read it at cold start, so they name
 * those resources as surely as if their environment held them.
 */
function directoryEntries(template: CfnTemplate, directoryTable: string): Array<{ functionArn: string; table: string }> {
  return resourcesOfType(template, 'Custom::PakkaParticipantDirectory').flatMap(([, writer]) => {
    const call = customResourceCall(template, writer.Properties?.Create);
    if (call.parameters.TableName !== directoryTable) return [];
    const item = call.parameters.Item as { participantsJson: { S: string } };
    return Object.values(JSON.parse(item.participantsJson.S) as Record<string, { functionArn: string; table: string }>);
  });
}

function namedValues(environment: Record<string, string>, template: CfnTemplate): Set<string> {
  const values = new Set<string>();
  if (environment.PARTICIPANT_DIRECTORY_TABLE)
    for (const entry of directoryEntries(template, environment.PARTICIPANT_DIRECTORY_TABLE))
      for (const value of [entry.functionArn, entry.table]) values.add(value);
  for (const value of Object.values(environment)) {
    values.add(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object') for (const v of Object.values(parsed)) if (typeof v === 'string') values.add(v);
    } catch {
      // not JSON: the value itself is the name
    }
  }
  return values;
}

const resourcesOfType = (template: CfnTemplate, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** The tables, functions and state machines whose name or ARN a set of values holds. */
function namedResources(template: CfnTemplate, values: Set<string>) {
  const pick = (type: string, arnAttribute: string | undefined) =>
    resourcesOfType(template, type).filter(
      ([id]) =>
        values.has(resolveValue(template, { Ref: id })) ||
        (arnAttribute !== undefined && values.has(resolveValue(template, { 'Fn::GetAtt': [id, arnAttribute] }))),
    );
  return {
    tables: pick('AWS::DynamoDB::Table', 'Arn'),
    functions: pick('AWS::Lambda::Function', 'Arn'),
    stateMachines: pick('AWS::StepFunctions::StateMachine', undefined),
  };
}

/**
 * Calls the code makes only when the deployment's settings ask for them, and the setting (read from
 * the function's environment) that does. Elsewhere they never run, and the role rightly lacks them.
 */
const ONLY_WHEN: Record<string, { holds: (environment: Record<string, string>) => boolean; why: string }> = {
  'states:StartSyncExecution': {
    holds: (env) => env.COORDINATOR_VARIANT === 'express',
    why: 'startExecution (lambdas/api/stepFunctionsService.ts) starts synchronously only on Express, for ?wait=true',
  },
  'states:DescribeExecution': {
    holds: (env) => env.COORDINATOR_VARIANT === 'standard',
    why: 'runningExecution (lambdas/api/stepFunctionsService.ts) returns before describing on Express, whose executions cannot be described',
  },
  'dynamodb:BatchGetItem': {
    // A participant function reads its own table with BatchGetItem only for the shards of a sharded key.
    holds: (env) => env.TABLE_NAME === undefined || env.SHARDED_KEYS !== undefined,
    why: "a participant reads with BatchGetItem only a sharded key's shards (SHARDED_KEYS)",
  },
};

const LAMBDA_PLATFORM: PlatformGrant[] = [
  { actions: /^logs:(CreateLogStream|PutLogEvents)$/, why: "Lambda writes the function's own log group with its execution role" },
  { actions: /^xray:(PutTraceSegments|PutTelemetryRecords)$/, why: 'Lambda active tracing sends segments with the execution role' },
];

/** Lambda polls an event source with the function's role (Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB", execution role permissions). */
const STREAM_SOURCE: PlatformGrant = {
  actions: /^(dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl))$/,
  why: "the event source mapping reads the coordinator log's stream and sends failed batches to the dead-letter queue with the function's role",
};

const STATE_MACHINE_PLATFORM: PlatformGrant[] = [
  { actions: /^logs:\w+$/, why: 'Step Functions delivers execution logs to CloudWatch Logs (log delivery actions accept only "*")' },
  { actions: /^xray:\w+$/, why: 'Step Functions tracing sends segments with the state machine role' },
];

/** The function subjects: one per AWS::Lambda::Function, its calls read from its bundle. */
export function functionSubjects(template: CfnTemplate, assetPath: (objectKey: string) => string): Subject[] {
  const withStream = new Set(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, r]) => (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref),
  );
  // CDK's AwsCustomResource provider runs no code of Pakka's: its calls are the SDK calls its custom resources name.
  const customCalls = new Map<string, RoleCall[]>();
  for (const [, resource] of Object.entries(template.Resources).filter(([, r]) => r.Type.startsWith('Custom::') && r.Properties?.Create !== undefined)) {
    const provider = (resource.Properties?.ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
    if (!provider) continue;
    const call = customResourceCall(template, resource.Properties?.Create);
    const action = `${call.service.toLowerCase()}:${call.action.charAt(0).toUpperCase()}${call.action.slice(1)}`;
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table').filter(([id]) => resolveValue(template, { Ref: id }) === call.parameters.TableName);
    const resources = tables.map(([id]) => resolveValue(template, { 'Fn::GetAtt': [id, 'Arn'] }));
    if (!resources.length) throw new Error(`${provider}: no resource of this template for the custom resource's ${action}`);
    customCalls.set(provider, [...(customCalls.get(provider) ?? []), { action, resources, every: true, from: `custom resource ${resource.Type}` }]);
  }
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => {
    const props = fn.Properties ?? {};
    const custom = customCalls.get(id);
    if (custom) return { name: id, roleId: roleIdOf(props.Role), calls: custom, platform: LAMBDA_PLATFORM };
    const environment = environmentOf(template, id);
    const named = namedResources(template, namedValues(environment, template));
    const tableArn = (tableId: string) => resolveValue(template, { 'Fn::GetAtt': [tableId, 'Arn'] });
    const calls = awsCallsOf(bundledRepositoryFiles(assetPath((props.Code as { S3Key: string }).S3Key))).flatMap((call): RoleCall[] => {
      const condition = ONLY_WHEN[call.action];
      if (condition && !condition.holds(environment)) return [];
      const [service] = call.action.split(':');
      if (call.indexNames.length > 0) {
        const indexes = named.tables.flatMap(([tableId, table]) =>
          ((table.Properties?.GlobalSecondaryIndexes as Array<{ IndexName: string }> | undefined) ?? [])
            .filter((index) => call.indexNames.includes(index.IndexName))
            .map((index) => `${tableArn(tableId)}/index/${index.IndexName}`),
        );
        return [{ action: call.action, resources: indexes, every: true, from: call.file }];
      }
      if (service === 'dynamodb') return [{ action: call.action, resources: named.tables.map(([t]) => tableArn(t)), every: false, from: call.file }];
      if (service === 'lambda') {
        const arns = named.functions.map(([f]) => resolveValue(template, { 'Fn::GetAtt': [f, 'Arn'] }));
        return [{ action: call.action, resources: arns, every: false, from: call.file }];
      }
      if (call.action === 'states:DescribeExecution') {
        const executions = named.stateMachines.map(([sm]) => `${resolveValue(template, { Ref: sm }).replace(':stateMachine:', ':execution:')}:some-txn`);
        return [{ action: call.action, resources: executions, every: true, from: call.file }];
      }
      if (service === 'states')
        return [{ action: call.action, resources: named.stateMachines.map(([sm]) => resolveValue(template, { Ref: sm })), every: true, from: call.file }];
      if (call.action === 'events:PutEvents') {
        const bus = resolveValue(template, {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':events:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:event-bus/${environment.EVENT_BUS_NAME ?? 'default'}`,
            ],
          ],
        });
        return [{ action: call.action, resources: [bus], every: true, from: call.file }];
      }
      throw new Error(`${id}: no rule for the resource of ${call.action} (${call.file})`);
    });
    return { name: id, roleId: roleIdOf(props.Role), calls, platform: [...LAMBDA_PLATFORM, ...(withStream.has(id) ? [STREAM_SOURCE] : [])] };
  });
}

interface AslTask {
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
}

/**
 * The state machine subjects: each Task of the committed ASL (every variant's file: one role serves
 * whichever is deployed). `arn:aws:states:::lambda:invoke` needs lambda:InvokeFunction on the function
 * it names, `arn:aws:states:::dynamodb:<op>` the DynamoDB action <Op> on its table (Step Functions
 * developer guide, "IAM policies for ... integrated services"). A function named at run time from the
 * execution input (`FunctionName.$`) is any participant function the API puts into that input.
 */
export function stateMachineSubjects(template: CfnTemplate, startedWith: Record<string, string>): Subject[] {
  // The functions the API puts into execution inputs: those of the participant directory it reads.
  const participantFunctions = startedWith.PARTICIPANT_DIRECTORY_TABLE
    ? directoryEntries(template, startedWith.PARTICIPANT_DIRECTORY_TABLE).map((e) => e.functionArn)
    : [];
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([id, sm]) => {
    const props = sm.Properties ?? {};
    const substitutions = Object.fromEntries(
      Object.entries((props.DefinitionSubstitutions as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, resolveValue(template, v)]),
    );
    const calls = COORDINATOR_VARIANTS.flatMap((variant) => {
      let text = readFileSync(aslPath(variant), 'utf8');
      for (const [name, value] of Object.entries(substitutions)) text = text.replaceAll(`\${${name}}`, value);
      const definition = JSON.parse(text) as { States: Parameters<typeof allStates>[0] };
      return allStates(definition.States).flatMap(([state, node]): RoleCall[] => {
        const task = node as AslTask;
        if (node.Type !== 'Task' || !task.Resource) return [];
        const parameters = task.Parameters ?? task.Arguments ?? {};
        const from = `${variant} ASL, state ${state}`;
        const integration = /^arn:aws:states:::(\w+):(\w+)$/.exec(task.Resource);
        if (!integration) throw new Error(`${from}: no rule for the resource ${task.Resource}`);
        const [, service, operation = ''] = integration;
        if (service === 'lambda' && operation === 'invoke') {
          const fixed = parameters.FunctionName;
          const resources = typeof fixed === 'string' ? [fixed] : participantFunctions;
          return [{ action: 'lambda:InvokeFunction', resources, every: true, from }];
        }
        if (service === 'dynamodb') {
          const table = String(parameters.TableName);
          const tableArn = resolveValue(template, {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:table/${table}`]],
          });
          return [{ action: `dynamodb:${operation.charAt(0).toUpperCase()}${operation.slice(1)}`, resources: [tableArn], every: true, from }];
        }
        throw new Error(`${from}: no rule for the resource ${task.Resource}`);
      });
    });
    return { name: id, roleId: roleIdOf(props.RoleArn), calls, platform: STATE_MACHINE_PLATFORM };
  });
}

/** An IAM wildcard pattern as a regular expression. */
const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/**
 * What is wrong with a subject's role, as readable lines (none when it is right): a call the role
 * does not allow, and a grant (action on resource) no call of the code and no platform use explains.
 */
export async function roleProblems(template: CfnTemplate, subject: Subject): Promise<string[]> {
  const policies = rolePolicies(template, subject.roleId);
  const principal = roleArn(template, subject.roleId);
  const problems: string[] = [];
  for (const call of subject.calls) {
    if (call.resources.length === 0) {
      problems.push(`${subject.name}: ${call.action} (${call.from}) names no resource of this stack`);
      continue;
    }
    const answers = await Promise.all(call.resources.map((r) => simulate(principal, policies, call.action, r)));
    const refused = call.resources.filter((_, i) => answers[i] !== 'Allowed');
    if (call.every ? refused.length > 0 : refused.length === call.resources.length) {
      problems.push(`${subject.name}: ${call.action} (${call.from}) is not allowed on ${refused.join(', ')}`);
    }
  }
  for (const { policy } of policies) problems.push(...unexplainedGrants(subject, policy));
  return problems;
}

function unexplainedGrants(subject: Subject, policy: PolicyDocument): string[] {
  const problems: string[] = [];
  for (const statement of policy.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of [statement.Action].flat()) {
      if (subject.platform.some((p) => p.actions.test(action))) continue;
      for (const resource of [statement.Resource].flat()) {
        const explained = subject.calls.some((c) => wildcard(action).test(c.action) && c.resources.some((r) => wildcard(resource).test(r)));
        if (!explained) problems.push(`${subject.name}: grants ${action} on ${resource}, which its code never calls`);
      }
    }
  }
  return problems;
}
