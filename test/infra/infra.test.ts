/**
 * The deployable stack, checked without an AWS account: `npm run synth` runs once (offline, no
 * credentials, cdk-nag on), and every assertion reads the template and assets it wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { API_ROUTES } from '../../infra/constructs/api.js';
import { COORDINATOR_LOG_WRITER_ACTIONS } from '../../infra/constructs/coordinator.js';
import { aslPath } from '../../statemachines/source/files.js';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { PARTICIPANT_TABLE_ACTIONS } from '../../infra/constructs/participant.js';
import { RESOURCES_PER_STATEMENT } from '../../infra/constructs/perParticipantStatements.js';
import { TRANSACTION_REQUEST_SCHEMA } from '../../infra/constructs/transactionRequestModel.js';
import { type ParticipantSpec, loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { BY_STATUS_INDEX, COORDINATOR_LOG_SCHEMA, OPEN_INDEX, PARTICIPANT_TABLE_SCHEMA, type TableSchema } from '../../lambdas/tableSchemas.js';
import { type AslSubstitutions, allStates, loadDefinition } from '../../local/stateMachine.js';
import { createTables } from '../../local/tables.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PARTICIPANT_DIRECTORY_SCHEMA } from '../../lambdas/config/participantDirectory.js';
import { type CfnResource, type Synthesized, sharedSynth } from '../support/synth.js';
import { isolateBundle } from '../support/synthBundleRunner.js';
import { arnOf, refOf, resolveIntrinsic } from '../support/synthIntrinsics.js';

let synth: Synthesized;
const config = loadParticipantConfig();
const specs: ParticipantSpec[] = [...config.values()];

beforeAll(async () => {
  synth = await sharedSynth();
}, 180_000);

// ---- reading the template -------------------------------------------------------------------

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const resources = (type: string): Array<[string, CfnResource]> => Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
const props = (r: CfnResource) => r.Properties ?? {};
/** The logical id a `{Ref: id}` names. */
function refId(value: unknown): string {
  const match = /^<Ref:(.+)>$/.exec(resolveIntrinsic(value));
  if (!match?.[1]) throw new Error(`not a Ref: ${JSON.stringify(value)}`);
  return match[1];
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const actionsOf = (s: Statement) => list(s.Action);
const resourcesOf = (s: Statement) => list(s.Resource).map(resolveIntrinsic);

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

/** The logical id of the role a resource runs as (`Role` of a function, `RoleArn` of a state machine). */
function roleIdOf(roleArn: unknown): string {
  const resolved = resolveIntrinsic(roleArn);
  const match = /^<(.+)\.Arn>$/.exec(resolved);
  if (!match?.[1]) throw new Error(`not a role of this stack: ${resolved}`);
  return match[1];
}

/** Every statement of every policy attached to the role. */
/** The grant lines of one action over per-participant resources, cut into statements as perParticipantStatements cuts them. */
function perStatement(action: string, resources: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < resources.length; i += RESOURCES_PER_STATEMENT) {
    lines.push(
      `${action} ${resources
        .slice(i, i + RESOURCES_PER_STATEMENT)
        .sort()
        .join(',')}`,
    );
  }
  return lines;
}

function statementsOf(roleId: string): Statement[] {
  const role = synth.json.Resources[roleId];
  expect(role?.Type).toBe('AWS::IAM::Role');
  expect(props(role as CfnResource).Policies, 'no inline policies outside AWS::IAM::Policy').toBeUndefined();
  // CDK moves what overflows a role's inline policy into managed policies it attaches (perParticipantStatements.ts).
  return [...resources('AWS::IAM::Policy'), ...resources('AWS::IAM::ManagedPolicy')]
    .filter(([, p]) => ((props(p).Roles as unknown[] | undefined) ?? []).some((r) => resolveIntrinsic(r) === refOf(roleId)))
    .flatMap(([, p]) => (props(p).PolicyDocument as { Statement: Statement[] }).Statement);
}

function acknowledgedIds(logicalId: string): Array<{ id: string; reason: string }> {
  const meta = synth.json.Resources[logicalId]?.Metadata?.cdk_nag as { rules_to_suppress?: Array<{ id: string; reason: string }> } | undefined;
  return meta?.rules_to_suppress ?? [];
}

function tableIdBySchema(schema: TableSchema): string[] {
  return resources('AWS::DynamoDB::Table')
    .filter(([, t]) => (props(t).KeySchema as Array<{ AttributeName: string; KeyType: string }>)[0]?.AttributeName === schema.partitionKey)
    .map(([id]) => id);
}

function lambdaByEnv(variable: string): Array<[string, CfnResource]> {
  return resources('AWS::Lambda::Function').filter(([, f]) => variable in ((props(f).Environment as { Variables: object } | undefined)?.Variables ?? {}));
}

function participantFunction(spec: ParticipantSpec) {
  const [id, fn] = only(
    resources('AWS::Lambda::Function').filter(([, f]) => props(f).FunctionName === `${synth.stackName}-${spec.name}`),
    `function of ${spec.name}`,
  );
  const env = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
  const tableId = refId(env.TABLE_NAME);
  return { id, fn, env, tableId, roleId: roleIdOf(props(fn).Role) };
}

const coordinatorLogId = () => only(tableIdBySchema(COORDINATOR_LOG_SCHEMA), 'coordinator log table');
const stateMachine = () => only(resources('AWS::StepFunctions::StateMachine'), 'state machine');
const hasEnv = (fn: CfnResource, variable: string) => variable in ((props(fn).Environment as { Variables: object } | undefined)?.Variables ?? {});
const apiFunction = () =>
  only(
    lambdaByEnv('STATE_MACHINE_ARN').filter(([, f]) => hasEnv(f, 'RECOVERY_FUNCTION_NAME')),
    'API function',
  );
const recoveryFunction = () =>
  only(
    lambdaByEnv('STATE_MACHINE_ARN').filter(([, f]) => !hasEnv(f, 'RECOVERY_FUNCTION_NAME')),
    'recovery function',
  );
/** The one participant -> function map, as the API and recovery get it: exactly the configured participant functions. */
const expectedFunctionMap = () => Object.fromEntries(specs.map((s) => [s.name, arnOf(participantFunction(s).id)]));

/** The function of the directory's custom resource (CDK's AwsCustomResource provider), which Pakka does not build. */
function directoryWriterFunctionId(): string {
  const [, writer] = only(resources('Custom::PakkaParticipantDirectory'), 'participant directory writer');
  const match = /^<(\w+)\.Arn>$/.exec(resolveIntrinsic(props(writer).ServiceToken));
  if (!match?.[1]) throw new Error('the directory writer has no function of this stack');
  return match[1];
}
/** Pakka's own functions: every function but the directory writer. */
const pakkaFunctions = () => resources('AWS::Lambda::Function').filter(([id]) => id !== directoryWriterFunctionId());

/** The participant directory as the stack writes it at deploy time: the custom resource's PutItem, its placeholders as resolveIntrinsic leaves them. */
function directoryWrite(): { tableId: string; item: Record<string, { S: string }>; entries: Record<string, { functionArn: string; table: string }> } {
  const [, writer] = only(resources('Custom::PakkaParticipantDirectory'), 'participant directory writer');
  const call = JSON.parse(resolveIntrinsic(props(writer).Create)) as {
    service: string;
    action: string;
    parameters: { TableName: string; Item: Record<string, { S: string }> };
  };
  expect([call.service, call.action]).toEqual(['DynamoDB', 'putItem']);
  const item = call.parameters.Item;
  return {
    tableId: refId(call.parameters.TableName),
    item,
    entries: JSON.parse(item.participantsJson?.S ?? '') as Record<string, { functionArn: string; table: string }>,
  };
}

const ALL_STATEMENT_ACTIONS = (roleId: string) => new Set(statementsOf(roleId).flatMap(actionsOf));
/** What Lambda active tracing adds to every function's role (on "*", the only resource X-Ray accepts). */
const XRAY_TRACING = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

// ---- the synth itself -----------------------------------------------------------------------

describe('npm run synth', () => {
  it('synthesizes offline with cdk-nag active and nothing left unacknowledged', () => {
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; conclusion: string; violations: unknown[] }>;
    };
    expect(report.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
    expect(synth.stderr).not.toMatch(/AwsSolutions-/);
    // The pack ran: it wrote the acknowledgements it honoured into the template.
    const acknowledged = Object.keys(synth.json.Resources).flatMap(acknowledgedIds);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
    }
  });

  it('names the stack after the context default and outputs the API URL, the state machine and every table', () => {
    expect(synth.stackName).toBe('Pakka');
    const outputs = synth.json.Outputs ?? {};
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'CoordinatorLogTableName',
      'DashboardName',
      'ParticipantFunctionArns',
      'ParticipantTableNames',
      'StateMachineArn',
    ]);
    expect(resolveIntrinsic(outputs.ApiUrl?.Value)).toMatch(/^https:\/\/<Ref:\w+>\.execute-api\.eu-west-1\.amazonaws\.com\/<Ref:\w+>\/$/);
    expect(resolveIntrinsic(outputs.StateMachineArn?.Value)).toBe(refOf(stateMachine()[0]));
    expect(resolveIntrinsic(outputs.CoordinatorLogTableName?.Value)).toBe(refOf(coordinatorLogId()));
    const tables = JSON.parse(resolveIntrinsic(outputs.ParticipantTableNames?.Value)) as Record<string, string>;
    expect(tables).toEqual(Object.fromEntries(specs.map((s) => [s.name, refOf(participantFunction(s).tableId)])));
    expect(JSON.parse(resolveIntrinsic(outputs.ParticipantFunctionArns?.Value))).toEqual(expectedFunctionMap());
  });
});

// ---- the coordinator ------------------------------------------------------------------------

describe('the deployed state machine', () => {
  const deployedDefinition = () => {
    const [, sm] = stateMachine();
    const location = props(sm).DefinitionS3Location as { Key: string };
    const text = readFileSync(synth.assetPath(location.Key), 'utf8');
    const substitutions = Object.fromEntries(
      Object.entries(props(sm).DefinitionSubstitutions as Record<string, unknown>).map(([k, v]) => [k, resolveIntrinsic(v)]),
    );
    // What Step Functions does with DefinitionSubstitutions.
    let resolved = text;
    for (const [name, value] of Object.entries(substitutions)) resolved = resolved.replaceAll(`\${${name}}`, value);
    return { text, substitutions, definition: JSON.parse(resolved) as { TimeoutSeconds?: number; States: Record<string, unknown> } };
  };

  const ASL_FILE = aslPath('express');

  it('is the ASL file local mode runs, with exactly its placeholders filled (no drift)', () => {
    const { text, substitutions, definition } = deployedDefinition();
    const placeholders = [...new Set([...readFileSync(ASL_FILE, 'utf8').matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]))].sort();
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(ASL_FILE, 'utf8')));
    // The local runner's own loader, given the values CloudFormation would substitute.
    expect(definition).toEqual(loadDefinition(substitutions as unknown as AslSubstitutions, 'express'));
    expect(substitutions.CoordinatorLogTable).toBe(refOf(coordinatorLogId()));
  });

  it('is an Express workflow by default, with CloudWatch logging under /aws/vendedlogs/ (no execution data) and X-Ray tracing', () => {
    const [, sm] = stateMachine();
    expect(props(sm).StateMachineType).toBe('EXPRESS');
    const [, logGroup] = only(
      resources('AWS::Logs::LogGroup').filter(([, g]) => String(props(g).LogGroupName ?? '').startsWith('/aws/vendedlogs/states/')),
      'execution log group',
    );
    expect(props(logGroup).LogGroupName).toBe('/aws/vendedlogs/states/Pakka-two-phase-commit');
    expect(props(sm).TracingConfiguration).toEqual({ Enabled: true });
    const logging = props(sm).LoggingConfiguration as { Level: string; IncludeExecutionData: boolean; Destinations: unknown[] };
    expect(logging.Level).toBe('ALL');
    expect(logging.IncludeExecutionData).toBe(false);
    expect(logging.Destinations).toHaveLength(1);
  });

  it("invokes each participant's function from the execution input, never from a name, and the API is given exactly those functions", () => {
    const { substitutions, definition } = deployedDefinition();
    expect(Object.keys(substitutions)).toEqual(['CoordinatorLogTable']);
    const lambdaTasks = allStates(definition.States as never).filter(([, s]) => (s as { Resource?: string }).Resource === 'arn:aws:states:::lambda:invoke');
    // Phase 1, phase 2, and the one-phase commit's question about its outcome (in the prepare phase and on the abort path).
    expect(lambdaTasks.map(([name]) => name).sort()).toEqual(['Abort', 'AskOnePhaseOutcome', 'Commit', 'LearnOnePhaseOutcome', 'Prepare']);
    for (const [name, task] of lambdaTasks) {
      expect((task as { Parameters: Record<string, string> }).Parameters['FunctionName.$'], `${name} FunctionName`).toBe('$.participant.functionArn');
    }
    // The API builds every execution input from the directory it reads (executionInput.ts).
    const api = (props(apiFunction()[1]).Environment as { Variables: Record<string, unknown> }).Variables;
    const directory = directoryWrite();
    expect(Object.fromEntries(Object.entries(directory.entries).map(([name, e]) => [name, e.functionArn]))).toEqual(expectedFunctionMap());
    expect(resolveIntrinsic(api.PARTICIPANT_DIRECTORY_TABLE)).toBe(refOf(directory.tableId));
    expect(api.PARTICIPANT_DIRECTORY_VERSION).toBe(directory.item.version?.S);
  });

  it('keeps a timeout and backoff retries on every Task, and the whole execution is bounded', () => {
    const { definition } = deployedDefinition();
    expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS.express);
    const tasks = allStates(definition.States as never).filter(([, s]) => (s as { Type?: string }).Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(9);
    for (const [name, raw] of tasks) {
      const task = raw as { Resource: string; TimeoutSecondsPath?: string; TimeoutSeconds?: number; Retry?: Array<Record<string, unknown>>; Catch?: unknown[] };
      expect(task.Retry?.length, `${name} Retry`).toBeGreaterThan(0);
      for (const retry of task.Retry ?? []) {
        if (retry.MaxAttempts === 0) continue; // an explicit "never retry" for errors that must not be repeated
        expect(retry, `${name} retry`).toMatchObject({ IntervalSeconds: expect.any(Number), BackoffRate: expect.any(Number), JitterStrategy: 'FULL' });
        expect(retry.MaxAttempts as number).toBeGreaterThan(0);
        expect(retry.MaxDelaySeconds as number).toBeGreaterThan(0);
      }
      if (task.Resource === 'arn:aws:states:::lambda:invoke') {
        expect(task.TimeoutSecondsPath, `${name} timeout`).toBe('$.Payload.timeoutSeconds');
        expect(task.Catch?.length, `${name} Catch`).toBeGreaterThan(0);
      } else {
        // DynamoDB tasks carry no timeout of their own; the execution's TimeoutSeconds bounds them.
        expect(task.Resource).toMatch(/^arn:aws:states:::dynamodb:(putItem|updateItem|getItem)$/);
      }
    }
  });

  it('stops every participant function a second before the longest wait of the coordinator, so its own timeout (Sandbox.Timedout) comes first and counts as a TIMEOUT', () => {
    for (const spec of specs) {
      const { fn } = participantFunction(spec);
      expect(props(fn).Timeout as number).toBe(Math.max(1, Math.max(spec.prepareTimeoutSeconds, spec.commitTimeoutSeconds) - 1));
    }
  });
});

// ---- least privilege ------------------------------------------------------------------------

describe('IAM', () => {
  const LOG_DELIVERY_AND_XRAY = new Set([
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    // The outcome reporter's stream mapping: ListStreams has no resource-level permission.
    'dynamodb:ListStreams',
  ]);

  it('grants no wildcard action anywhere, and "*" resources only where AWS accepts nothing else or on the indexes of a table Pakka built, each acknowledged', () => {
    const pakkaTables = new Set(specs.map((s) => arnOf(participantFunction(s).tableId)));
    for (const [policyId, policy] of [...resources('AWS::IAM::Policy'), ...resources('AWS::IAM::ManagedPolicy')]) {
      for (const statement of (props(policy).PolicyDocument as { Statement: Statement[] }).Statement) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action, policyId).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        for (const resource of resourcesOf(statement)) {
          if (!resource.includes('*')) continue;
          const acknowledged = acknowledgedIds(policyId).map((a) => a.id);
          if (resource.endsWith('/index/*')) {
            // Every index of a participant table Pakka built, which has exactly the indexes the API and recovery read.
            expect(pakkaTables.has(resource.slice(0, -'/index/*'.length)), `${resource} in ${policyId}`).toBe(true);
            for (const action of actionsOf(statement)) expect(['dynamodb:Query', 'dynamodb:Scan'], policyId).toContain(action);
            expect(acknowledged).toContain(`AwsSolutions-IAM5[Resource::${resource}]`);
          } else if (resource === '*') {
            for (const action of actionsOf(statement)) expect(LOG_DELIVERY_AND_XRAY.has(action), `${action} on * in ${policyId}`).toBe(true);
            expect(acknowledged).toContain('AwsSolutions-IAM5[Resource::*]');
          } else {
            expect(resource, policyId).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:Pakka-two-phase-commit:\*$/);
            expect(actionsOf(statement)).toEqual(['states:DescribeExecution']);
            expect(acknowledged).toContain(
              'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Pakka-two-phase-commit:*]',
            );
          }
        }
      }
    }
  });

  it('attaches no managed policy to any role, and leaves the account-wide API Gateway setting alone', () => {
    expect(resources('AWS::IAM::Role').filter(([, r]) => props(r).ManagedPolicyArns !== undefined)).toEqual([]);
    // Set once per account by ApiGatewayAccountStack (test/infra/infraApiGatewayLogging.test.ts).
    expect(resources('AWS::ApiGateway::Account')).toEqual([]);
  });

  it('lets each participant function touch its own table and no other', () => {
    const allTables = new Set(resources('AWS::DynamoDB::Table').map(([id]) => arnOf(id)));
    for (const spec of specs) {
      const { roleId, tableId } = participantFunction(spec);
      const statements = statementsOf(roleId);
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo, spec.name).toHaveLength(2);
      // A participant with sharded keys also reads a key's shards in one BatchGetItem, to split a debit.
      const tableActions = [...PARTICIPANT_TABLE_ACTIONS, ...(spec.shardedKeys.size ? ['dynamodb:BatchGetItem'] : [])];
      expect(new Set(actionsOf(dynamo[0] as Statement))).toEqual(new Set(tableActions));
      expect(resourcesOf(dynamo[0] as Statement)).toEqual([arnOf(tableId)]);
      // ... and queries only its own heldItems index, for a message without operations (heldItemsIndex.ts).
      expect(actionsOf(dynamo[1] as Statement)).toEqual(['dynamodb:Query']);
      const heldItems = `${arnOf(tableId)}/index/heldItems`;
      expect(resourcesOf(dynamo[1] as Statement)).toEqual([heldItems]);
      const touched = statements.flatMap(resourcesOf).filter((r) => allTables.has(r) || r.includes('/index/'));
      expect(touched).toEqual([arnOf(tableId), heldItems]);
      // Nothing else but writing its own logs.
      expect(ALL_STATEMENT_ACTIONS(roleId)).toEqual(new Set([...tableActions, 'dynamodb:Query', 'logs:CreateLogStream', 'logs:PutLogEvents', ...XRAY_TRACING]));
    }
  });

  it('lets the state machine invoke only the configured participant functions and write only the coordinator log', () => {
    const [, sm] = stateMachine();
    const statements = statementsOf(roleIdOf(props(sm).RoleArn));
    const invoke = only(
      statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction')),
      'invoke statement',
    );
    expect(actionsOf(invoke)).toEqual(['lambda:InvokeFunction']);
    expect(new Set(resourcesOf(invoke))).toEqual(new Set(specs.map((s) => arnOf(participantFunction(s).id))));
    const dynamo = only(
      statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:'))),
      'dynamodb statement',
    );
    expect(new Set(actionsOf(dynamo))).toEqual(new Set(COORDINATOR_LOG_WRITER_ACTIONS));
    expect(resourcesOf(dynamo)).toEqual([arnOf(coordinatorLogId())]);
    const rest = statements.filter((s) => s !== invoke && s !== dynamo).flatMap(actionsOf);
    for (const action of rest) expect(LOG_DELIVERY_AND_XRAY.has(action), action).toBe(true);
  });

  it('lets the API function only start and describe this state machine’s executions and read what it serves', () => {
    const [, fn] = apiFunction();
    const statements = statementsOf(roleIdOf(props(fn).Role));
    const [smId] = stateMachine();
    const grants = statements.flatMap((s) => actionsOf(s).map((a) => `${a} ${resourcesOf(s).sort().join(',')}`));
    const logGroupId = refId((props(fn).LoggingConfig as { LogGroup: unknown }).LogGroup);
    const participantTables = specs
      .map((s) => arnOf(participantFunction(s).tableId))
      .sort()
      .join(',');
    // Each table Pakka built has exactly the two indexes read here (inDoubt, heldItems): one ARN names both (schemaIndexGrant.ts).
    const inDoubtIndexes = specs.map((s) => `${arnOf(participantFunction(s).tableId)}/index/*`);
    expect(grants.sort()).toEqual(
      [
        `dynamodb:GetItem ${arnOf(coordinatorLogId())}`,
        `dynamodb:BatchGetItem ${arnOf(coordinatorLogId())}`,
        // The txnId claim writes the log item before the start.
        `dynamodb:PutItem ${arnOf(coordinatorLogId())}`,
        // The listings by status, and the stuck listing's open log items.
        `dynamodb:Query ${[BY_STATUS_INDEX, OPEN_INDEX]
          .map((index) => `${arnOf(coordinatorLogId())}/index/${index}`)
          .sort()
          .join(',')}`,
        // The participant directory, read once per cold start.
        `dynamodb:GetItem ${arnOf(directoryWrite().tableId)}`,
        `dynamodb:GetItem ${participantTables}`,
        `dynamodb:BatchGetItem ${participantTables}`,
        // An item's holds and the PREPARING listing read the participants' in-doubt and heldItems indexes.
        ...perStatement('dynamodb:Query', inDoubtIndexes),
        // Express: a synchronous start for ?wait=true; no DescribeExecution, which Express does not offer.
        `states:StartExecution ${refOf(smId)}`,
        `states:StartSyncExecution ${refOf(smId)}`,
        // The operator routes run recovery by invoking the sweeper, and nothing else.
        `lambda:InvokeFunction ${arnOf(recoveryFunction()[0])}`,
        `logs:CreateLogStream ${arnOf(logGroupId)}`,
        `logs:PutLogEvents ${arnOf(logGroupId)}`,
        ...XRAY_TRACING.map((a) => `${a} *`),
      ].sort(),
    );
  });

  it('lets the recovery sweeper only update the coordinator log, query the in-doubt and heldItems indexes, read held items, invoke participants and describe executions', () => {
    const [, fn] = recoveryFunction();
    const statements = statementsOf(roleIdOf(props(fn).Role));
    const logGroupId = refId((props(fn).LoggingConfig as { LogGroup: unknown }).LogGroup);
    const grants = statements.flatMap((s) => actionsOf(s).map((a) => `${a} ${resourcesOf(s).sort().join(',')}`));
    // Each table Pakka built has exactly the two indexes read here (inDoubt, heldItems): one ARN names both (schemaIndexGrant.ts).
    const inDoubtIndexes = specs.map((s) => `${arnOf(participantFunction(s).tableId)}/index/*`);
    const participantFunctions = specs
      .map((s) => arnOf(participantFunction(s).id))
      .sort()
      .join(',');
    expect(grants.sort()).toEqual(
      [
        `dynamodb:GetItem ${arnOf(coordinatorLogId())}`,
        `dynamodb:UpdateItem ${arnOf(coordinatorLogId())}`,
        `dynamodb:Query ${arnOf(coordinatorLogId())}/index/${OPEN_INDEX}`,
        `dynamodb:GetItem ${arnOf(directoryWrite().tableId)}`,
        ...perStatement('dynamodb:Query', inDoubtIndexes),
        `dynamodb:BatchGetItem ${specs
          .map((s) => arnOf(participantFunction(s).tableId))
          .sort()
          .join(',')}`,
        // A sweep asks each index whether it holds anything (one item) before querying its shards.
        `dynamodb:Scan ${arnOf(coordinatorLogId())}/index/${OPEN_INDEX}`,
        ...perStatement('dynamodb:Scan', inDoubtIndexes),
        // The heldItems tidy, on the tables of participants whose holds live in their items (its conditions: recoveryTidyGrant.test.ts).
        ...perStatement(
          'dynamodb:UpdateItem',
          specs.filter((s) => s.holdsInItems).map((s) => arnOf(participantFunction(s).tableId)),
        ),
        `lambda:InvokeFunction ${participantFunctions}`,
        `logs:CreateLogStream ${arnOf(logGroupId)}`,
        `logs:PutLogEvents ${arnOf(logGroupId)}`,
        ...XRAY_TRACING.map((a) => `${a} *`),
      ].sort(),
    );
  });

  it('lets the participant directory writer only put the directory item and write its own log group', () => {
    const fn = synth.json.Resources[directoryWriterFunctionId()] as CfnResource;
    expect(props(fn).Runtime).toBe('nodejs24.x');
    const roleId = roleIdOf(props(fn).Role);
    // Not the provider's default role: AWSLambdaBasicExecutionRole may write to any log group.
    expect(props(synth.json.Resources[roleId] as CfnResource).ManagedPolicyArns).toBeUndefined();
    const logGroupId = refId((props(fn).LoggingConfig as { LogGroup: unknown }).LogGroup);
    const grants = statementsOf(roleId).flatMap((s) => actionsOf(s).map((a) => `${a} ${resourcesOf(s).sort().join(',')}`));
    expect(grants.sort()).toEqual(
      [`dynamodb:PutItem ${arnOf(directoryWrite().tableId)}`, `logs:CreateLogStream ${arnOf(logGroupId)}`, `logs:PutLogEvents ${arnOf(logGroupId)}`].sort(),
    );
  });

  it('lets nothing but the state machine and the recovery sweeper invoke a participant function', () => {
    const [, sm] = stateMachine();
    const invokers = new Set([roleIdOf(props(sm).RoleArn), roleIdOf(props(recoveryFunction()[1]).Role)]);
    const participantArns = new Set(specs.map((s) => arnOf(participantFunction(s).id)));
    for (const [policyId, policy] of resources('AWS::IAM::Policy')) {
      const invokes = (props(policy).PolicyDocument as { Statement: Statement[] }).Statement.some(
        (s) => actionsOf(s).includes('lambda:InvokeFunction') && resourcesOf(s).some((r) => participantArns.has(r)),
      );
      const roles = (props(policy).Roles as unknown[]).map(refId);
      if (invokes) for (const role of roles) expect(invokers.has(role), policyId).toBe(true);
    }
    const permissions = resources('AWS::Lambda::Permission').map(([, p]) => props(p));
    const participantIds = new Set(specs.map((s) => participantFunction(s).id));
    expect(permissions.filter((p) => participantIds.has(resolveIntrinsic(p.FunctionName).slice(1, -'.Arn>'.length)))).toEqual([]);
  });
});

describe('the recovery sweeper', () => {
  it('runs on a schedule every sweep interval, not retried (the next sweep covers the same ground)', () => {
    const [fnId, fn] = recoveryFunction();
    const [, rule] = only(resources('AWS::Events::Rule'), 'schedule');
    expect(DEFAULT_RECOVERY_CONFIG.sweepIntervalSeconds).toBe(60);
    expect(props(rule).ScheduleExpression).toBe('rate(1 minute)');
    expect(props(rule).Targets).toEqual([
      { Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, Id: 'Target0', RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 } },
    ]);
    expect(props(fn).Timeout as number).toBeLessThan(60);
    const env = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env).sort()).toEqual([
      'COORDINATOR_LOG_TABLE',
      'COORDINATOR_VARIANT',
      'NODE_OPTIONS',
      'PARTICIPANT_DIRECTORY_TABLE',
      'PARTICIPANT_DIRECTORY_VERSION',
      'STATE_MACHINE_ARN',
    ]);
    // The same directory the API builds execution inputs from: every participant's function and table.
    const directory = directoryWrite();
    expect(resolveIntrinsic(env.PARTICIPANT_DIRECTORY_TABLE)).toBe(refOf(directory.tableId));
    expect(env.PARTICIPANT_DIRECTORY_VERSION).toBe(directory.item.version?.S);
    expect(Object.fromEntries(Object.entries(directory.entries).map(([name, e]) => [name, e.table]))).toEqual(
      Object.fromEntries(specs.map((s) => [s.name, refOf(participantFunction(s).tableId)])),
    );
    // Both start only once the directory is written, so a first deploy's first call finds it.
    const [writerId] = only(resources('Custom::PakkaParticipantDirectory'), 'participant directory writer');
    for (const id of [fnId, apiFunction()[0]]) expect(synth.json.Resources[id]?.DependsOn ?? [], `${id} DependsOn`).toContain(writerId);
  });
});

// ---- tables ---------------------------------------------------------------------------------

describe('DynamoDB tables', () => {
  it('gives each participant and the coordinator log a table built from its schema', () => {
    expect(resources('AWS::DynamoDB::Table')).toHaveLength(specs.length + 2); // and the participant directory
    expect(tableIdBySchema(PARTICIPANT_DIRECTORY_SCHEMA)).toEqual([directoryWrite().tableId]);
    expect(tableIdBySchema(PARTICIPANT_TABLE_SCHEMA).sort()).toEqual(specs.map((s) => participantFunction(s).tableId).sort());
    for (const [schema, ids] of [
      [COORDINATOR_LOG_SCHEMA, [coordinatorLogId()]],
      [PARTICIPANT_TABLE_SCHEMA, tableIdBySchema(PARTICIPANT_TABLE_SCHEMA)],
    ] as const) {
      for (const id of ids) {
        const indexes = props(synth.json.Resources[id] as CfnResource).GlobalSecondaryIndexes as Array<{
          IndexName: string;
          KeySchema: unknown;
          Projection: unknown;
        }>;
        expect(indexes).toEqual(
          schema.indexes.map((i) => ({
            IndexName: i.indexName,
            KeySchema: [
              { AttributeName: i.partitionKey, KeyType: 'HASH' },
              { AttributeName: i.sortKey, KeyType: 'RANGE' },
            ],
            Projection:
              i.projection.type === 'INCLUDE'
                ? { ProjectionType: 'INCLUDE', NonKeyAttributes: i.projection.attributes }
                : { ProjectionType: i.projection.type },
          })),
        );
      }
    }
  });

  it('makes every table on-demand, point-in-time recoverable, KMS-encrypted, retained and deletion-protected by default', () => {
    for (const [id, table] of resources('AWS::DynamoDB::Table')) {
      expect(props(table).BillingMode, id).toBe('PAY_PER_REQUEST');
      expect(props(table).PointInTimeRecoverySpecification, id).toEqual({ PointInTimeRecoveryEnabled: true });
      // SSEEnabled without a key id: KMS with the AWS managed key aws/dynamodb (not the invisible AWS owned key).
      expect(props(table).SSESpecification, id).toEqual({ SSEEnabled: true });
      expect(props(table).DeletionProtectionEnabled, id).toBe(true);
      expect(table.DeletionPolicy, id).toBe('Retain');
    }
  });
});

// ---- the API --------------------------------------------------------------------------------

describe('the REST API', () => {
  const resourcePath = (resourceId: string): string => {
    const resource = synth.json.Resources[resourceId];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = resolveIntrinsic(props(resource).ParentId);
    // The root resource is a GetAtt of the RestApi; every other parent is a Ref to a Resource.
    const parentPath = parent.startsWith('<Ref:') ? resourcePath(refId(props(resource).ParentId)) : '';
    return `${parentPath}/${String(props(resource).PathPart)}`;
  };

  it('serves exactly the routes of the HTTP API contract, each with IAM authorization, proxied to the API function', () => {
    const [apiFnId] = apiFunction();
    const methods = resources('AWS::ApiGateway::Method');
    const routes = methods.map(([, m]) => `${String(props(m).HttpMethod)} ${resourcePath(refId(props(m).ResourceId))}`);
    expect(routes.sort()).toEqual(API_ROUTES.map(([method, path]) => `${method} ${path}`).sort());
    for (const [id, method] of methods) {
      expect(props(method).AuthorizationType, id).toBe('AWS_IAM');
      const integration = props(method).Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      expect(resolveIntrinsic(integration.Uri)).toContain(`${arnOf(apiFnId)}/invocations`);
    }
  });

  it('validates the POST body against the transaction request model and requires path parameters', () => {
    const methods = resources('AWS::ApiGateway::Method');
    const [, post] = only(
      methods.filter(([, m]) => props(m).HttpMethod === 'POST' && resourcePath(refId(props(m).ResourceId)) === '/transactions'),
      'POST /transactions method',
    );
    const validator = synth.json.Resources[refId(props(post).RequestValidatorId)] as CfnResource;
    expect(props(validator).ValidateRequestBody).toBe(true);
    const modelId = refId((props(post).RequestModels as Record<string, unknown>)['application/json']);
    const schema = props(synth.json.Resources[modelId] as CfnResource).Schema as Record<string, unknown>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.required).toEqual(TRANSACTION_REQUEST_SCHEMA.required);
    expect(schema.additionalProperties).toBe(false);
    expect((schema.properties as Record<string, { maxItems?: number }>).participants?.maxItems).toBe(16);
    for (const [, method] of methods.filter(([, m]) => resourcePath(refId(props(m).ResourceId)).includes('{'))) {
      const params = Object.keys((props(method).RequestParameters as Record<string, boolean> | undefined) ?? {});
      expect(params.length).toBeGreaterThan(0);
      const v = synth.json.Resources[refId(props(method).RequestValidatorId)] as CfnResource;
      expect(props(v).ValidateRequestParameters).toBe(true);
    }
  });

  it('answers its own errors in the API’s {error: {code, message, field}} shape', () => {
    const responses = resources('AWS::ApiGateway::GatewayResponse');
    expect(responses.map(([, r]) => props(r).ResponseType).sort()).toEqual(['BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS', 'DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const [, response] of responses) {
      const template = (props(response).ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      // What API Gateway substitutes: messageString arrives quoted, responseType bare.
      const body = template
        .replaceAll('$context.error.messageString', '"Missing Authentication Token"')
        .replaceAll('$context.error.responseType', 'MISSING_AUTHENTICATION_TOKEN');
      const parsed = JSON.parse(body) as { error: { code: string; message: string; field: string | null } };
      expect(Object.keys(parsed.error).sort()).toEqual(['code', 'field', 'message']);
      expect(parsed.error.message.length).toBeGreaterThan(0);
    }
  });

  it('throttles the stage, writes access logs and traces requests', () => {
    const [, stage] = only(resources('AWS::ApiGateway::Stage'), 'stage');
    expect(props(stage).TracingEnabled).toBe(true);
    const access = props(stage).AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(resolveIntrinsic(access.DestinationArn)).toMatch(/^<\w+\.Arn>$/);
    expect(JSON.parse(access.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status', userArn: '$context.identity.userArn' });
    const [settings] = props(stage).MethodSettings as Array<Record<string, unknown>>;
    expect(settings).toMatchObject({
      HttpMethod: '*',
      ResourcePath: '/*',
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
    });
  });
});

// ---- the functions --------------------------------------------------------------------------

describe('Lambda functions', () => {
  it('run on the newest Node.js runtime, arm64, with only table names and wiring in their environment', () => {
    const functions = pakkaFunctions();
    expect(functions).toHaveLength(specs.length + 3); // participants, API, recovery, outcome reporter
    for (const [id, fn] of functions) {
      expect(props(fn).Runtime, id).toBe('nodejs24.x');
      expect(props(fn).Architectures, id).toEqual(['arm64']);
      expect(props(fn).Handler, id).toBe('index.handler');
      expect(props(fn).LoggingConfig, id).toMatchObject({ LogFormat: 'JSON' });
    }
    for (const spec of specs) {
      const env = participantFunction(spec).env;
      expect(Object.keys(env).sort()).toEqual(['NODE_OPTIONS', 'PARTICIPANT_NAME', ...(spec.shardedKeys.size ? ['SHARDED_KEYS'] : []), 'TABLE_NAME']);
      if (spec.shardedKeys.size) expect(JSON.parse(String(env.SHARDED_KEYS))).toEqual(Object.fromEntries(spec.shardedKeys));
    }
    const api = (props(apiFunction()[1]).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(api).sort()).toEqual([
      'COORDINATOR_LOG_TABLE',
      'COORDINATOR_VARIANT',
      'NODE_OPTIONS',
      'PARTICIPANT_DIRECTORY_TABLE',
      'PARTICIPANT_DIRECTORY_VERSION',
      'RECOVERY_FUNCTION_NAME',
      'RECOVERY_LOG_GROUP',
      'STATE_MACHINE_ARN',
    ]);
    expect(resolveIntrinsic(api.RECOVERY_FUNCTION_NAME)).toBe(refOf(recoveryFunction()[0]));
    expect(resolveIntrinsic(api.COORDINATOR_LOG_TABLE)).toBe(refOf(coordinatorLogId()));
  });

  it('ship self-contained ESM bundles with source maps: no module left for the runtime to provide', () => {
    for (const [id, fn] of pakkaFunctions()) {
      const dir = synth.assetPath((props(fn).Code as { S3Key: string }).S3Key);
      expect(existsSync(join(dir, 'index.mjs.map')), id).toBe(true);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      const imported = [...code.matchAll(/(?:^|[;}\s])import\s*(?:[\w${}\s,*]+from\s*)?["']([^"']+)["']/g)].map((m) => m[1] ?? '');
      for (const specifier of imported) expect(specifier, `${id} imports ${specifier}`).toMatch(/^node:/);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    }
  });
});

// ---- the API and recovery artifacts --------------------------------------------------------------

describe('the bundled API and recovery functions', () => {
  /** A resolved value as CloudFormation would fill it, with table names made concrete. */
  function concrete(text: string, tablePrefix: string): string {
    return text
      .replace(/<Ref:(\w+)>/g, (_m, id: string) => {
        const type = synth.json.Resources[id]?.Type;
        if (type === 'AWS::DynamoDB::Table') return `${tablePrefix}${id}`;
        if (type === 'AWS::Lambda::Function') return `unused-function-${id}`;
        if (type === 'AWS::Logs::LogGroup') return `unused-log-group-${id}`;
        if (type === 'AWS::StepFunctions::StateMachine')
          return `arn:aws:states:eu-west-1:123456789012:stateMachine:${String(props(stateMachine()[1]).StateMachineName)}`;
        throw new Error(`no stand-in for a Ref to ${id} (${type})`);
      })
      .replace(/<(\w+)\.Arn>/g, (_m, id: string) => {
        // The directory's participant function ARNs, which these routes only carry.
        if (synth.json.Resources[id]?.Type === 'AWS::Lambda::Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${id.slice(0, 64)}`;
        throw new Error(`no stand-in for the ARN of ${id}`);
      });
  }

  /** The function's environment as CloudFormation would fill it. */
  function deployedEnvironment(fn: CfnResource, tablePrefix: string) {
    const variables = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
    return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, concrete(resolveIntrinsic(value), tablePrefix)])) as Record<
      string,
      string
    > & {
      COORDINATOR_LOG_TABLE: string;
      PARTICIPANT_DIRECTORY_TABLE: string;
    };
  }

  /** Does what the directory's custom resource does at deploy time: creates nothing but the item, in its table (made here as CloudFormation would). */
  async function writeDirectory(tablePrefix: string): Promise<Map<string, string>> {
    const { tableId, item } = directoryWrite();
    const client = localDynamoClient(inject('dynamoEndpoint'));
    const tableName = `${tablePrefix}${tableId}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: PARTICIPANT_DIRECTORY_SCHEMA.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: PARTICIPANT_DIRECTORY_SCHEMA.partitionKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const deployedItem = JSON.parse(concrete(JSON.stringify(item), tablePrefix)) as Record<string, { S: string }>;
    await client.send(new PutItemCommand({ TableName: tableName, Item: deployedItem }));
    const entries = JSON.parse(deployedItem.participantsJson?.S ?? '') as Record<string, { table: string }>;
    return new Map(Object.entries(entries).map(([name, e]) => [name, e.table]));
  }

  const awsLocal = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Any AWS call but DynamoDB's goes nowhere: these checks must not need one.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };

  it('the API bundle loads in a fresh process and answers routes that need no AWS call, validation included', async () => {
    const [, fn] = apiFunction();
    const bundle = isolateBundle(synth.assetPath((props(fn).Code as { S3Key: string }).S3Key));
    try {
      const prefix = `infra-${Math.random().toString(36).slice(2, 8)}-`;
      await writeDirectory(prefix);
      // The directory is read from DynamoDB at the first request; every other AWS call still goes nowhere.
      const env = { ...deployedEnvironment(fn, prefix), ...awsLocal, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint') };
      const event = (httpMethod: string, path: string, body: unknown = null) => ({
        httpMethod,
        path,
        resource: path,
        headers: { 'Content-Type': 'application/json' },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        requestContext: {},
        body: body === null ? null : JSON.stringify(body),
        isBase64Encoded: false,
      });
      const health = await bundle.invoke(event('GET', '/health'), env);
      expect(health).toMatchObject({ ok: true, answer: { statusCode: 200 } });
      expect(JSON.parse(String(health.ok && health.answer.body))).toEqual({ status: 'ok', participants: specs.length });
      const listed = await bundle.invoke(event('GET', '/participants'), env);
      const names = (JSON.parse(String(listed.ok && listed.answer.body)) as { participants: Array<{ name: string }> }).participants.map((p) => p.name);
      expect(names).toEqual(specs.map((p) => p.name));
      const refused = await bundle.invoke(
        event('POST', '/transactions', { participants: [{ name: 'nobody', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] }),
        env,
      );
      expect(refused).toMatchObject({ ok: true, answer: { statusCode: 400 } });
      expect(JSON.parse(String(refused.ok && refused.answer.body))).toMatchObject({ error: { code: 'INVALID_REQUEST', field: 'participants[0].name' } });
    } finally {
      bundle.remove();
    }
  });

  it('the recovery bundle runs a scheduled sweep against DynamoDB (nothing in doubt: nothing done)', async () => {
    const [, fn] = recoveryFunction();
    const bundle = isolateBundle(synth.assetPath((props(fn).Code as { S3Key: string }).S3Key));
    try {
      const prefix = `infra-${Math.random().toString(36).slice(2, 8)}-`;
      const env = { ...deployedEnvironment(fn, prefix), ...awsLocal, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint') };
      const tables = await writeDirectory(prefix);
      await createTables(localDynamoClient(inject('dynamoEndpoint')), { coordinatorLog: env.COORDINATOR_LOG_TABLE, participants: tables });
      const scheduled = {
        version: '0',
        id: 'e1',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'eu-west-1',
        resources: [],
        detail: {},
      };
      const sweep = await bundle.invoke(scheduled, env);
      expect(sweep).toMatchObject({ ok: true, answer: { examined: 0, decided: 0, errors: 0 } });
    } finally {
      bundle.remove();
    }
  });
});
