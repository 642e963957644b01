/**
 * IAM, simulated (issue 20): for each Lambda function and the state machine of the synthesized stack,
 * every AWS call its code (read from its bundle) or its ASL makes is allowed by its role, and its
 * role grants nothing its code does not call. `@cloud-copilot/iam-simulate` evaluates the role's
 * policies as AWS documents policy evaluation, so a test here fails when the code gains a call its
 * role lacks, or the role keeps a grant the code dropped.
 */
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkWithCdkNag } from '../../infra/nag.js';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import type { CfnResource, CfnTemplate, Synthesized } from '../support/synth.js';
import { sharedSynth } from '../support/synth.js';
import { type Subject, functionSubjects, roleProblems, stateMachineSubjects } from '../support/roleCalls.js';
import { resolveValue, roleArn, rolePolicies, simulate } from '../support/templateIam.js';

let synth: Synthesized;
let subjects: Subject[];

/** Every function's and the state machine's calls, in one synthesized template. */
function subjectsOf(synthesized: Synthesized): Subject[] {
  const functions = functionSubjects(synthesized.json, synthesized.assetPath);
  const apiEnvironment = synthesized.json.Resources[apiFunctionId(synthesized.json)]?.Properties?.Environment as { Variables: Record<string, unknown> };
  // The state machine invokes the functions the API names in each execution's input.
  const startedWith = Object.fromEntries(Object.entries(apiEnvironment.Variables).map(([k, v]) => [k, resolveValue(synthesized.json, v)]));
  return [...functions, ...stateMachineSubjects(synthesized.json, startedWith)];
}

beforeAll(async () => {
  synth = await sharedSynth();
  subjects = subjectsOf(synth);
}, 180_000);

const idStartingWith = (template: CfnTemplate, type: string, prefix: string): string => {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type} named ${prefix}*, found ${found.length}`);
  return found[0][0];
};
const apiFunctionId = (t: CfnTemplate) => idStartingWith(t, 'AWS::Lambda::Function', 'ApiHandler');
const subject = (prefix: string): Subject => {
  const found = subjects.find((s) => s.name.startsWith(prefix));
  if (!found) throw new Error(`no subject ${prefix}`);
  return found;
};

describe('every role allows exactly what its code calls', () => {
  it('reads the calls of every function and of the state machine', () => {
    const names = subjects.map((s) => s.name);
    // 11 participants, the API, recovery, the outcome reporter, the state machine, and the participant directory's writer (CDK's custom-resource provider).
    expect(names).toHaveLength(16);
    const actions = (prefix: string) => new Set(subject(prefix).calls.map((c) => c.action));
    // From the code, not from a list: the claim's PutItem, the listings' Query, the recovery invoke ...
    expect([...actions('ApiHandler')].sort()).toEqual(
      expect.arrayContaining([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'lambda:InvokeFunction',
        'states:StartExecution',
        'states:StartSyncExecution',
      ]),
    );
    // ... the participant's transaction items, mapped as AWS documents TransactWriteItems, and its heldItems lookup ...
    expect([...actions('ParticipantPayerBankHandler')].sort()).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    // ... and the ASL's tasks.
    expect([...actions('CoordinatorStateMachine')].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'lambda:InvokeFunction']);
  });

  it('each role: every call allowed, no grant without a call', async () => {
    const problems = (await Promise.all(subjects.map((s) => roleProblems(synth.json, s)))).flat();
    expect(problems).toEqual([]);
  });
});

describe('on a Standard workflow too', () => {
  let standard: Synthesized;
  beforeAll(async () => {
    standard = await sharedSynth({ 'pakka:coordinator': 'standard' });
  }, 180_000);

  it('each role: every call allowed, no grant without a call (DescribeExecution instead of a synchronous start)', async () => {
    const all = subjectsOf(standard);
    const api = all.find((s) => s.name.startsWith('ApiHandler'));
    expect(api?.calls.map((c) => c.action)).toContain('states:DescribeExecution');
    expect(api?.calls.map((c) => c.action)).not.toContain('states:StartSyncExecution');
    const problems = (await Promise.all(all.map((s) => roleProblems(standard.json, s)))).flat();
    expect(problems).toEqual([]);
  });
});

describe('calls the code does not make are denied', () => {
  const arn = (id: string, attribute = 'Arn') => resolveValue(synth.json, { 'Fn::GetAtt': [id, attribute] });
  const fn = (prefix: string) => idStartingWith(synth.json, 'AWS::Lambda::Function', prefix);
  const table = (prefix: string) => idStartingWith(synth.json, 'AWS::DynamoDB::Table', prefix);
  const answer = async (subjectPrefix: string, action: string, resource: string) => {
    const s = subject(subjectPrefix);
    return simulate(roleArn(synth.json, s.roleId), rolePolicies(synth.json, s.roleId), action, resource);
  };

  it.each([
    ['ApiHandler', 'dynamodb:DeleteTable', () => arn(table('CoordinatorCoordinatorLog'))],
    ['ApiHandler', 'dynamodb:PutItem', () => arn(table('ParticipantPayerBankTable'))],
    ['ApiHandler', 'lambda:InvokeFunction', () => arn(fn('ParticipantPayerBankHandler'))],
    ['ParticipantPayerBankHandler', 'lambda:InvokeFunction', () => arn(fn('ParticipantPayeeBankHandler'))],
    ['ParticipantPayerBankHandler', 'dynamodb:GetItem', () => arn(table('ParticipantPayeeBankTable'))],
    ['ParticipantPayerBankHandler', 'dynamodb:Query', () => `${arn(table('ParticipantPayerBankTable'))}/index/inDoubt`],
    [
      'RecoveryHandler',
      'states:StartExecution',
      () => resolveValue(synth.json, { Ref: idStartingWith(synth.json, 'AWS::StepFunctions::StateMachine', 'Coordinator') }),
    ],
    ['RecoveryHandler', 'dynamodb:PutItem', () => arn(table('ParticipantPayerBankTable'))],
    ['RecoveryHandler', 'dynamodb:DeleteItem', () => arn(table('CoordinatorCoordinatorLog'))],
    ['CoordinatorStateMachine', 'dynamodb:PutItem', () => arn(table('CoordinatorCoordinatorLog'))],
    ['CoordinatorStateMachine', 'dynamodb:GetItem', () => arn(table('ParticipantPayerBankTable'))],
    ['CoordinatorStateMachine', 'lambda:InvokeFunction', () => arn(fn('ApiHandler'))],
    ['ObservabilityOutcomeReporter', 'dynamodb:GetItem', () => arn(table('CoordinatorCoordinatorLog'))],
  ])('%s: %s', async (who, action, resource) => {
    expect(await answer(who, action, resource())).toBe('ImplicitlyDenied');
  });
});

describe('the check itself', () => {
  /** The template with one action taken out of (or, with `add`, put into) the statements of a role's policies. */
  function edited(roleId: string, edit: (statements: Array<Record<string, unknown>>) => void): CfnTemplate {
    const copy = structuredClone(synth.json);
    for (const resource of Object.values(copy.Resources) as CfnResource[]) {
      const roles = resource.Properties?.Roles as Array<{ Ref?: string }> | undefined;
      if (resource.Type === 'AWS::IAM::Policy' && roles?.some((r) => r.Ref === roleId)) {
        edit((resource.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
      }
    }
    return copy;
  }

  it('reports a call whose statement was removed from the role', async () => {
    const api = subject('ApiHandler');
    const template = edited(api.roleId, (statements) => {
      const index = statements.findIndex((s) => [s.Action].flat().includes('states:StartExecution'));
      statements.splice(index, 1);
    });
    const problems = await roleProblems(template, api);
    expect(problems.some((p) => p.includes('states:StartExecution') && p.includes('is not allowed'))).toBe(true);
  });

  it('reports a grant the code never calls', async () => {
    const recovery = subject('RecoveryHandler');
    const template = edited(recovery.roleId, (statements) => {
      statements.push({
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: idStartingWith(synth.json, 'AWS::StepFunctions::StateMachine', 'Coordinator') },
      });
    });
    const problems = await roleProblems(template, recovery);
    expect(problems.some((p) => p.includes('grants states:StartExecution'))).toBe(true);
  });
});

describe("the indexes of a team's own table, as IAM evaluates the API's and recovery's roles", () => {
  // Pakka's tables are named by one `<table ARN>/index/*` (they have exactly inDoubt and heldItems); a team's
  // table may have indexes of its own, which neither role may read.
  const TEAM_TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/team-orders';
  let template: CfnTemplate;
  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const team = new Stack(app, 'Team', { env });
    const orders = Table.fromTableArn(team, 'Orders', TEAM_TABLE);
    const stack = new PakkaStack(app, 'Pakka', {
      env,
      participants: parseParticipantConfig({ participants: { orders: { kind: 'ledger' }, bank: { kind: 'ledger' } } }),
      settings: deploymentSettings(() => undefined),
      apiEntry: fileURLToPath(new URL('../support/ownFunctionApiEntry.ts', import.meta.url)),
      participantTables: { orders },
    });
    checkWithCdkNag(app);
    app.synth(); // cdk-nag: each `/index/*` of a table Pakka built is acknowledged, and nothing else is found
    template = Template.fromStack(stack).toJSON() as CfnTemplate;
  }, 240_000);

  const ask = (rolePrefix: string, action: string, resource: string) => {
    const roleId = idStartingWith(template, 'AWS::IAM::Role', rolePrefix);
    return simulate(roleArn(template, roleId), rolePolicies(template, roleId), action, resource);
  };

  it.each([
    ['RecoveryHandler', 'dynamodb:Query'],
    ['RecoveryHandler', 'dynamodb:Scan'],
    ['ApiHandler', 'dynamodb:Query'],
  ])("%s: %s on the team table's inDoubt and heldItems only, and on every index of Pakka's table", async (role, action) => {
    expect(await ask(role, action, `${TEAM_TABLE}/index/inDoubt`)).toBe('Allowed');
    expect(await ask(role, action, `${TEAM_TABLE}/index/heldItems`)).toBe('Allowed');
    expect(await ask(role, action, `${TEAM_TABLE}/index/byCustomer`)).toBe('ImplicitlyDenied');
    expect(await ask(role, action, TEAM_TABLE)).toBe('ImplicitlyDenied');
    const bank = resolveValue(template, { 'Fn::GetAtt': [idStartingWith(template, 'AWS::DynamoDB::Table', 'ParticipantBankTable'), 'Arn'] });
    expect(await ask(role, action, `${bank}/index/inDoubt`)).toBe('Allowed');
    expect(await ask(role, action, `${bank}/index/heldItems`)).toBe('Allowed');
    expect(await ask(role, action, bank)).toBe('ImplicitlyDenied');
  });
});
