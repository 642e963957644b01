/**
 * The artifact that would be deployed is the one tested: the Participant construct bundles a
 * participant exactly as `cdk deploy` would, the bundle is copied away from the repository (so no
 * node_modules can help it), and fresh Node processes load it and run the protocol against
 * DynamoDB Local, configured only through the environment, as Lambda configures it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Participant } from '../../infra/constructs/participant.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { itemKeyOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { createTables } from '../../local/tables.js';
import { type Invocation, type IsolatedBundle, isolateBundle } from '../support/synthBundleRunner.js';

const spec = loadParticipantConfig().get('payer-bank');
if (spec?.kind !== 'ledger') throw new Error('the participant config must declare payer-bank as a ledger');

let bundle: IsolatedBundle;
let synthDir: string;
let tableName: string;
const dynamo = () => localDynamoClient(inject('dynamoEndpoint'));

beforeAll(async () => {
  synthDir = mkdtempSync(join(tmpdir(), 'pakka-bundle-synth-'));
  const app = new App({ outdir: synthDir });
  const stack = new Stack(app, 'BundleProbe');
  new Participant(stack, 'Participant', { spec, functionNamePrefix: 'probe-', removalPolicy: RemovalPolicy.DESTROY, logRetention: RetentionDays.ONE_DAY });
  app.synth();
  const assets = JSON.parse(readFileSync(join(synthDir, 'BundleProbe.assets.json'), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string } }>;
  };
  const code = Object.values(assets.files).filter((a) => a.source.packaging === 'zip');
  expect(code).toHaveLength(1);
  bundle = isolateBundle(join(synthDir, code[0]?.source.path ?? ''));
  tableName = `bundle-${randomUUID().slice(0, 8)}-${spec.name}`;
  await createTables(dynamo(), { coordinatorLog: `${tableName}-unused-log`, participants: new Map([[spec.name, tableName]]) });
}, 120_000);

afterAll(() => {
  bundle?.remove();
  if (synthDir) rmSync(synthDir, { recursive: true, force: true });
});

/** One cold start with only the environment the deployed function gets, plus where DynamoDB is. */
const invoke = (event: object): Promise<Invocation> =>
  bundle.invoke(event, {
    TABLE_NAME: tableName,
    PARTICIPANT_NAME: spec.name,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
  });

async function read(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
  const out = await dynamo().send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key.pk ?? '' } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

describe('the bundled participant (what cdk deploy uploads)', () => {
  const account = `acct-${randomUUID().slice(0, 8)}`;
  const fund = `fund-${randomUUID().slice(0, 8)}`;

  it('prepares against DynamoDB: votes VOTE_COMMIT, writes the prepared entry in the item and promises the credit there', async () => {
    const prepared = await invoke({ action: 'prepare', txnId: fund, operations: [{ op: 'credit', key: account, amount: 5000 }] });
    expect(prepared).toEqual({ ok: true, answer: expect.objectContaining({ vote: 'VOTE_COMMIT', participant: spec.name, txnId: fund }) });
    // The default layout: a one-item escrow's hold lives in its item, with no record until the decision.
    expect(await read(recordKeyOf(fund))).toBeUndefined();
    expect(await read(itemKeyOf(account))).toMatchObject({ balance: 0, incoming: 5000, intents: { [fund]: { s: 'P' } } });
    expect(await invoke({ action: 'status', txnId: fund })).toEqual({
      ok: true,
      answer: expect.objectContaining({ state: 'PREPARED', lockedKeys: [account] }),
    });
  });

  it('commits what it prepared, and a repeated commit changes nothing', async () => {
    expect(await invoke({ action: 'commit', txnId: fund })).toEqual({ ok: true, answer: expect.objectContaining({ outcome: 'COMMITTED', repeated: false }) });
    expect(await invoke({ action: 'commit', txnId: fund })).toEqual({ ok: true, answer: expect.objectContaining({ outcome: 'COMMITTED', repeated: true }) });
    const item = await read(itemKeyOf(account));
    expect(item).toMatchObject({ balance: 5000 });
    expect(item?.lockedBy).toBeUndefined();
  });

  it('enforces its business rule: a debit beyond the balance votes VOTE_ABORT / INSUFFICIENT_FUNDS, raised as Pakka.VoteAbort.INSUFFICIENT_FUNDS', async () => {
    const txnId = `over-${randomUUID().slice(0, 8)}`;
    const answer = await invoke({ action: 'prepare', txnId, operations: [{ op: 'debit', key: account, amount: 5001 }] });
    // The function fails with the no's name, so the coordinator's Catch ends the prepare phase at once; the message is the answer.
    expect(answer).toMatchObject({ ok: false, name: 'Pakka.VoteAbort.INSUFFICIENT_FUNDS' });
    expect(JSON.parse(answer.ok ? '' : answer.message)).toEqual({ participant: spec.name, txnId, vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    // The no is kept in the item (its record comes with the abort that follows).
    expect(await read(itemKeyOf(account))).toMatchObject({ balance: 5000, intents: { [txnId]: { s: 'A', r: 'INSUFFICIENT_FUNDS' } } });
    // The status of the same transaction is an answer, as recovery reads it (with the log item's operations, which name the item).
    expect(await invoke({ action: 'status', txnId, operations: [{ op: 'debit', key: account, amount: 5001 }] })).toEqual({
      ok: true,
      answer: expect.objectContaining({ state: 'ABORTED', voteReason: 'INSUFFICIENT_FUNDS' }),
    });
  });

  it('refuses a malformed request with its protocol error, not a crash', async () => {
    const answer = await invoke({ action: 'prepare', txnId: 'bad id with spaces', operations: [] });
    expect(answer.ok).toBe(false);
    expect(answer).toMatchObject({ name: expect.stringMatching(/^Pakka\./) });
  });
});
