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

/** The participant directory's item, as the deploy-time writer (infra/constructs/participantDirectory.ts) puts it. */
const DIRECTORY_RESOURCE = 'Custom::PakkaParticipantDirectory';

interface SdkCallOfTemplate {
  service: string;
  action: string;
  parameters: { TableName?: string; Item?: { participantsJson?: { S?: string } } };
}

/** The SDK call a custom resource of CDK's AwsCustomResource makes on create, resolved. */
const createCallOf = (template: CfnTemplate, resource: { Properties?: Record<string, unknown> }): SdkCallOfTemplate | undefined => {
  const create = resource.Properties?.Create;
  return create === undefined ? undefined : (JSON.parse(resolveValue(template, create)) as SdkCallOfTemplate);
};

/**
 * The names the participant directory holds (each participant's function ARN and table), for a
 * function whose environment names the directory's table: it reads them there at cold start
 * (lambdas/config/participantDirectory.ts) instead of from its environment.
 */
function directoryValues(template: CfnTemplate, environment: Record<string, string>): string[] {
  const table = environment.PARTICIPANT_DIRECTORY_TABLE;
  if (table === undefined) return [];
  return resourcesOfType(template, DIRECTORY_RESOURCE).flatMap(([, resource]) => {
    const call = createCallOf(template, resource);
    const json = call?.parameters.Item?.participantsJson?.S;
    if (call?.parameters.TableName !== table || json === undefined) return [];
    return Object.values(JSON.parse(json) as Record<string, Record<string, unknown>>).flatMap((entry) =>
      Object.values(entry).filter((v): v is string => typeof v === 'string'),
    );
  });
}

/** Every name a function may be given at run time: its environment's, and the directory's when it reads it. */
export function runtimeNames(template: CfnTemplate, environment: Record<string, string>): Set<string> {
  return new Set([...namedValues(environment), ...directoryValues(template, environment)]);
}

function namedValues(environment: Record<string, string>): Set<string> {
  const values = new Set<string>();
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

/**
 * The calls of CDK's AwsCustomResource provider (CDK's own code, no bundle of this repository): the SDK
 * calls of the custom resources it serves, each on the table it names. Undefined for any other function.
 */
function customResourceCalls(template: CfnTemplate, functionId: string): RoleCall[] | undefined {
  const arn = resolveValue(template, { 'Fn::GetAtt': [functionId, 'Arn'] });
  const served = Object.entries(template.Resources).filter(
    ([, r]) => r.Properties?.ServiceToken !== undefined && resolveValue(template, r.Properties.ServiceToken) === arn && r.Properties.Create !== undefined,
  );
  if (served.length === 0) return undefined;
  return served.map(([id, resource]): RoleCall => {
    const call = createCallOf(template, resource);
    if (call?.service !== 'DynamoDB' || call.parameters.TableName === undefined) throw new Error(`${id}: no rule for the resource of its SDK call`);
    const [tableId] = namedResources(template, new Set([call.parameters.TableName])).tables[0] ?? [];
    if (tableId === undefined) throw new Error(`${id}: its SDK call names no table of this stack`);
    const action = `dynamodb:${call.action.charAt(0).toUpperCase()}${call.action.slice(1)}`;
    return { action, resources: [resolveValue(template, { 'Fn::GetAtt': [tableId, 'Arn'] })], every: true, from: `${id} (${call.service}.${call.action})` };
  });
}

/** The function subjects: one per AWS::Lambda::Function, its calls read from its bundle. */
export function functionSubjects(template: CfnTemplate, assetPath: (objectKey: string) => string): Subject[] {
  const withStream = new Set(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, r]) => (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref),
  );
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => {
    const props = fn.Properties ?? {};
    const environment = environmentOf(template, id);
    const named = namedResources(template, runtimeNames(template, environment));
    const tableArn = (tableId: string) => resolveValue(template, { 'Fn::GetAtt': [tableId, 'Arn'] });
    const sdkCalls = customResourceCalls(template, id);
    if (sdkCalls) return { name: id, roleId: roleIdOf(props.Role), calls: sdkCalls, platform: [...LAMBDA_PLATFORM] };
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
  // The API names the participants of each execution from its environment or from the participant directory.
  const participantFunctions = [
    ...Object.values(JSON.parse(startedWith.PARTICIPANT_FUNCTIONS ?? '{}') as Record<string, string>),
    ...directoryValues(template, startedWith).filter((name) => name.includes(':function:')),
  ];
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
