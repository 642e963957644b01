/**
 * A participant whose function or table is the team's own: the stack builds no function for an
 * existing one (an IFunction, or an ARN in another account), grants nothing inside it, lets exactly the
 * configured functions be invoked by the state machine and recovery, and hands the API and recovery
 * the one participant -> function map. An existing table must have the prepared-state schema.
 */
import { fileURLToPath } from 'node:url';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { Participant } from '../../infra/constructs/participant.js';
import { checkWithCdkNag } from '../../infra/nag.js';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { holdsInItemsFromEnvironment } from '../../lambdas/participants/lambdaEntry.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { PakkaTable } from '../../infra/constructs/pakkaTable.js';
import { ownFunctionKinds } from '../support/ownFunctionKinds.js';

const API_ENTRY = fileURLToPath(new URL('../support/ownFunctionApiEntry.ts', import.meta.url));
const CARDS_ARN = 'arn:aws:lambda:eu-west-1:999999999999:function:team-cards:live';
const raw = { defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 }, participants: { bank: { kind: 'ledger' }, cards: { kind: 'card' } } };
const config = parseParticipantConfig(raw, ownFunctionKinds);
const settings = deploymentSettings(() => undefined);
const env = { account: '123456789012', region: 'eu-west-1' };

/** No bundling: these tests read the template, not the code (the other infra tests bundle). */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

type Statement = { Action: string | string[]; Resource: unknown };
function invokeResources(template: Template, roleLogicalId: string): unknown[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId),
  );
  const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const invokes = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
  expect(invokes).toHaveLength(1);
  return [invokes[0]?.Resource].flat();
}

const fnArn = (template: Template, description: string) => {
  const [id] = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description) } }));
  if (!id) throw new Error(`no function like ${description}`);
  return { 'Fn::GetAtt': [id, 'Arn'] };
};
const roleOf = (_template: Template, resources: Record<string, { [key: string]: unknown }>): string => {
  const [resource] = Object.values(resources) as Array<{ Properties: Record<string, unknown> } | undefined>;
  const role = (resource?.Properties.Role ?? resource?.Properties.RoleArn) as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
};

describe('PakkaStack with a participant on the team’s own function (an ARN in another account)', () => {
  const app = newApp();
  const stack = new PakkaStack(app, 'Own', { env, participants: config, settings, apiEntry: API_ENTRY, participantFunctions: { cards: CARDS_ARN } });
  checkWithCdkNag(app);
  // cdk-nag runs during synth and throws on any unacknowledged finding.
  const template = Template.fromStack(stack);

  it('builds no function for it and adds no permission to it', () => {
    const participants = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Pakka participant') } });
    expect(Object.values(participants).map((f) => f.Properties.FunctionName)).toEqual(['Own-bank']);
    expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: CARDS_ARN } })).toEqual({});
    expect(stack.participants.find((p) => p.name === 'cards')?.ownFunction).toBe(true);
  });

  it('lets the state machine and recovery invoke exactly the configured functions, with no wildcard', () => {
    const bank = fnArn(template, '^Pakka participant bank');
    const stateMachineRole = roleOf(template, template.findResources('AWS::StepFunctions::StateMachine'));
    const recoveryRole = roleOf(
      template,
      template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Pakka recovery') } }),
    );
    for (const role of [stateMachineRole, recoveryRole]) expect(invokeResources(template, role)).toEqual([bank, CARDS_ARN]);
  });

  it('gives the API and recovery the same participant directory, naming each function, and the ASL no name prefix', () => {
    const directories = ['^Pakka HTTP API', '^Pakka recovery'].map((description) => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description) } }));
      const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
      return stack.resolve([variables.PARTICIPANT_DIRECTORY_TABLE, variables.PARTICIPANT_DIRECTORY_VERSION]) as unknown;
    });
    expect(directories[0]).toEqual(directories[1]);
    const [writer] = Object.values(template.findResources('Custom::PakkaParticipantDirectory'));
    const joined = JSON.stringify(stack.resolve(writer?.Properties.Create));
    expect(joined).toContain(CARDS_ARN);
    expect(joined).toContain(JSON.stringify(fnArn(template, '^Pakka participant bank')));
    const [sm] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(Object.keys(sm?.Properties.DefinitionSubstitutions as object)).toEqual(['CoordinatorLogTable']);
  });

  it('still makes its prepared-state table, which only the API reads and recovery queries by its in-doubt index', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(4); // bank, cards, coordinator log, participant directory
  });
});

describe('PakkaStack with the team’s own function and table (IFunction, Table)', () => {
  const app = newApp();
  const team = new Stack(app, 'Team', { env });
  const cardsTable = new PakkaTable(team, 'CardsTable', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: RemovalPolicy.DESTROY }).table;
  const bankTable = new PakkaTable(team, 'BankTable', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: RemovalPolicy.DESTROY }).table;
  const cards = new LambdaFunction(team, 'Cards', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({})'),
  });
  const stack = new PakkaStack(app, 'Pakka', {
    env,
    participants: config,
    settings,
    apiEntry: API_ENTRY,
    participantFunctions: { cards },
    participantTables: { cards: cardsTable, bank: bankTable },
  });
  const template = Template.fromStack(stack);
  const teamTemplate = Template.fromStack(team);

  it('creates no table of its own for them, and grants the function it builds on the team’s table', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(2); // the coordinator log, the participant directory
    const bankRole = roleOf(
      template,
      template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Pakka participant bank') } }),
    );
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === bankRole),
    );
    const dynamo = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    const [table, heldItems, ...more] = dynamo.map((s) => stack.resolve(s.Resource));
    expect(table).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^Team:ExportsOutputFnGetAttBankTable/) });
    // ... and its heldItems index, the only thing it queries (a message without operations, heldItemsIndex.ts).
    expect(JSON.stringify(heldItems)).toMatch(
      /^\{"Fn::Join":\["",\[\{"Fn::ImportValue":"Team:ExportsOutputFnGetAttBankTable[^"]*"\},"\/index\/heldItems"\]\]\}$/,
    );
    expect(more).toEqual([]);
  });

  it('invokes the team function by its ARN and changes nothing in the team’s stack', () => {
    const stateMachineRole = roleOf(template, template.findResources('AWS::StepFunctions::StateMachine'));
    const resources = invokeResources(template, stateMachineRole);
    expect(resources).toHaveLength(2);
    expect(resources).toContainEqual({ 'Fn::ImportValue': expect.stringMatching(/^Team:ExportsOutputFnGetAttCards/) });
    // Only the team's own function, role and tables: no permission or policy added by Pakka.
    expect(Object.keys(teamTemplate.findResources('AWS::Lambda::Permission'))).toEqual([]);
    expect(Object.keys(teamTemplate.findResources('AWS::IAM::Policy'))).toEqual([]);
    expect(Object.keys(teamTemplate.findResources('Custom::LogRetention'))).toEqual([]);
  });

  it('queries the in-doubt index of the team’s table in recovery', () => {
    const recoveryRole = roleOf(
      template,
      template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Pakka recovery') } }),
    );
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === recoveryRole),
    );
    const queries = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((s) => [s.Action].flat().includes('dynamodb:Query'));
    expect(JSON.stringify(queries.map((s) => s.Resource))).toMatch(/CardsTable.*\/index\/inDoubt/);
  });
});

describe('a participant’s own function or table, refused', () => {
  const spec = config.get('cards');
  const bank = config.get('bank');
  if (!spec || !bank) throw new Error('the test config declares cards and bank');
  const common = { functionNamePrefix: 'team-', removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.ONE_DAY };

  it('a kind answered by the team’s own code without its function or entry', () => {
    expect(() => new Participant(new Stack(newApp(), 'S'), 'Cards', { spec, ...common })).toThrow(
      "participant cards: kind 'card' is answered by the team's own code, so give its function (participantFunctions['cards']) or its Lambda entry (kindEntries['card'])",
    );
  });

  it('a string that is not a Lambda function ARN', () => {
    expect(() => new Participant(new Stack(newApp(), 'S'), 'Cards', { spec, ...common, function: 'team-cards' })).toThrow(
      "participant cards: 'team-cards' is not a Lambda function ARN",
    );
  });

  it('a function and an entry at once', () => {
    expect(() => new Participant(new Stack(newApp(), 'S'), 'Cards', { spec, ...common, function: CARDS_ARN, entry: API_ENTRY })).toThrow(
      'give its own function or an entry',
    );
  });

  it('two participants on one function', () => {
    const twice = parseParticipantConfig(
      { ...raw, participants: { bank: { kind: 'ledger' }, cards: { kind: 'card' }, 'cards-two': { kind: 'card' } } },
      ownFunctionKinds,
    );
    expect(
      () =>
        new PakkaStack(newApp(), 'Twice', {
          env,
          participants: twice,
          settings,
          apiEntry: API_ENTRY,
          participantFunctions: { cards: CARDS_ARN, 'cards-two': CARDS_ARN },
        }),
    ).toThrow(`participants cards and cards-two name the same function ${CARDS_ARN}`);
  });

  it('two participants on one IFunction', () => {
    const app = newApp();
    const team = new Stack(app, 'TeamTwice', { env });
    const fn = new LambdaFunction(team, 'Cards', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({})'),
    });
    const twice = parseParticipantConfig(
      { ...raw, participants: { bank: { kind: 'ledger' }, cards: { kind: 'card' }, 'cards-two': { kind: 'card' } } },
      ownFunctionKinds,
    );
    expect(
      () => new PakkaStack(app, 'Twice', { env, participants: twice, settings, apiEntry: API_ENTRY, participantFunctions: { cards: fn, 'cards-two': fn } }),
    ).toThrow('participants cards and cards-two name the same function; each participant needs its own');
  });

  it('a function or table for a participant the config lacks', () => {
    expect(
      () =>
        new PakkaStack(newApp(), 'Unknown', {
          env,
          participants: config,
          settings,
          apiEntry: API_ENTRY,
          participantFunctions: { cards: CARDS_ARN, card: CARDS_ARN },
        }),
    ).toThrow('participantFunctions names participants the config lacks: card');
  });

  it('a table without the prepared-state schema: its key, then its in-doubt index', () => {
    const stack = new Stack(newApp(), 'S');
    const wrongKey = new Table(stack, 'WrongKey', { partitionKey: { name: 'id', type: AttributeType.STRING }, billingMode: BillingMode.PAY_PER_REQUEST });
    expect(() => new Participant(stack, 'A', { spec: bank, ...common, table: wrongKey })).toThrow("must have the string partition key 'pk' and no sort key");
    const noIndex = new Table(stack, 'NoIndex', { partitionKey: { name: 'pk', type: AttributeType.STRING }, billingMode: BillingMode.PAY_PER_REQUEST });
    expect(() => new Participant(stack, 'B', { spec: bank, ...common, table: noIndex })).toThrow(
      "must have the global secondary index 'inDoubt' (partition 'inDoubtPartition', sort 'inDoubtSince', both strings)",
    );
  });

  it('a table of 0.2 (inDoubt, no heldItems): refused while holds live in items, kept by a participant that opts out', () => {
    const stack = new Stack(newApp(), 'S');
    const olderTable = new Table(stack, 'Older', { partitionKey: { name: 'pk', type: AttributeType.STRING }, billingMode: BillingMode.PAY_PER_REQUEST });
    const [inDoubt] = PARTICIPANT_TABLE_SCHEMA.indexes;
    if (!inDoubt) throw new Error('the participant table has its in-doubt index first');
    olderTable.addGlobalSecondaryIndex({
      indexName: inDoubt.indexName,
      partitionKey: { name: inDoubt.partitionKey, type: AttributeType.STRING },
      sortKey: { name: inDoubt.sortKey, type: AttributeType.STRING },
    });
    const specOf = (holdsInItems: boolean) => {
      const spec = parseParticipantConfig({ ...raw, participants: { bank: { kind: 'ledger', holdsInItems } } }, ownFunctionKinds).get('bank');
      if (!spec) throw new Error('the config declares bank');
      return spec;
    };
    expect(() => new Participant(stack, 'A', { spec: specOf(true), ...common, table: olderTable })).toThrow(
      "must have the global secondary index 'heldItems' (partition 'heldShard', sort 'heldSince', both strings), which recovery queries for holds that live in their items (add it, or set \"holdsInItems\": false",
    );
    new Participant(stack, 'B', { spec: specOf(false), ...common, table: olderTable });
    // Each function is told its participant's switch where it differs from the default, which a Lambda follows otherwise.
    new Participant(stack, 'C', { spec: specOf(true), ...common, functionNamePrefix: 'team-c-' });
    const environments = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((fn) => fn.Properties.Environment?.Variables as Record<string, unknown> | undefined)
      .filter((variables) => variables?.PARTICIPANT_NAME === 'bank');
    const told = environments.map((variables) => variables?.HOLDS_IN_ITEMS);
    expect(told.map((value) => holdsInItemsFromEnvironment(value as string | undefined))).toEqual([false, true]);
    expect(told.filter((value) => value === undefined)).toHaveLength(1);
  });
});
