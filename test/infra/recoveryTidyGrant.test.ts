/**
 * Recovery's one write to a participant table, taking an idle item out of `heldItems` (docs/design.md, "The
 * sparse index"), as IAM evaluates its role (`@cloud-copilot/iam-simulate`, templateIam.ts) with the condition
 * keys of the request the code builds: allowed on the table of a participant whose holds live in its items,
 * and nowhere else, for no other attribute, and never asking the item back. cdk-nag runs during the synth.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { PakkaStack } from '../../infra/pakkaStack.js';
import { deploymentSettings } from '../../infra/settings.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { heldKeysTidy } from '../../lambdas/participants/itemIntents.js';
import type { CfnTemplate } from '../support/synth.js';
import { resolveValue, roleArn, rolePolicies, simulate } from '../support/templateIam.js';

const API_ENTRY = fileURLToPath(new URL('../support/ownFunctionApiEntry.ts', import.meta.url));

/**
 * The condition keys DynamoDB evaluates for an UpdateItem ("Using IAM policy conditions for fine-grained access
 * control", DynamoDB developer guide): `dynamodb:Attributes`, every attribute the request names (its key and
 * the names in its expressions), and `dynamodb:ReturnValues` (NONE unless given). Only placeholders count as
 * names here, so a request that writes a bare attribute name into an expression is refused by this reading.
 */
function updateItemContext(input: UpdateCommandInput): Record<string, string | string[]> {
  const expressions = [input.UpdateExpression, input.ConditionExpression].join(' ');
  const bare = expressions
    .replace(/[#:]\w+/g, '')
    .split(/[^A-Za-z_]+/)
    .filter((word) => word && !['REMOVE', 'SET', 'ADD', 'DELETE', 'AND', 'OR', 'NOT'].includes(word));
  if (bare.length) throw new Error(`the tidy names attributes outside its placeholders: ${bare.join(', ')}`);
  const attributes = [...Object.keys(input.Key ?? {}), ...Object.values(input.ExpressionAttributeNames ?? {})];
  return { 'dynamodb:Attributes': attributes, 'dynamodb:ReturnValues': input.ReturnValues ?? 'NONE' };
}

let template: CfnTemplate;

beforeAll(() => {
  // `bank` holds in its items, `vault` keeps every hold in a record.
  const config = parseParticipantConfig({
    participants: { bank: { kind: 'ledger', holdsInItems: true }, vault: { kind: 'ledger', holdsInItems: false } },
  });
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PakkaStack(app, 'Pakka', {
    env: { account: '123456789012', region: 'eu-west-1' },
    participants: config,
    settings: deploymentSettings(() => undefined),
    apiEntry: API_ENTRY,
  });
  template = Template.fromStack(stack).toJSON() as CfnTemplate;
}, 240_000);

const idStartingWith = (type: string, prefix: string): string => {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type} named ${prefix}*, found ${found.length}`);
  return found[0][0];
};

/** What IAM answers recovery's UpdateItem on a table, with these condition keys. */
function ask(tablePrefix: string, context: Record<string, string | string[]>) {
  const fn = template.Resources[idStartingWith('AWS::Lambda::Function', 'RecoveryHandler')];
  const roleId = (fn?.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const table = resolveValue(template, { 'Fn::GetAtt': [idStartingWith('AWS::DynamoDB::Table', tablePrefix), 'Arn'] });
  return simulate(roleArn(template, roleId), rolePolicies(template, roleId), 'dynamodb:UpdateItem', table, context);
}

describe("recovery's tidy of heldItems, as IAM evaluates it", () => {
  const tidy = updateItemContext(heldKeysTidy('t', 'ITEM#alice', '2030-01-01T00:00:00.000Z'));

  it('the tidy the code builds is allowed on the table of a participant that holds in its items', async () => {
    expect(tidy['dynamodb:Attributes']).toEqual(['pk', 'heldShard', 'heldSince', 'prepared']);
    expect(await ask('ParticipantBankTable', tidy)).toBe('Allowed');
  });

  it('denied on a table that keeps every hold in a record, for any other attribute, and when it asks for the item back', async () => {
    expect(await ask('ParticipantVaultTable', tidy)).toBe('ImplicitlyDenied');
    const attributes = tidy['dynamodb:Attributes'] as string[];
    for (const other of ['balance', 'available', 'intents', 'version']) {
      expect(await ask('ParticipantBankTable', { ...tidy, 'dynamodb:Attributes': [...attributes, other] })).toBe('ImplicitlyDenied');
    }
    for (const back of ['ALL_OLD', 'ALL_NEW', 'UPDATED_NEW'])
      expect(await ask('ParticipantBankTable', { ...tidy, 'dynamodb:ReturnValues': back })).toBe('ImplicitlyDenied');
    // No condition keys at all: denied too.
    expect(await ask('ParticipantBankTable', {})).toBe('ImplicitlyDenied');
  });
});
