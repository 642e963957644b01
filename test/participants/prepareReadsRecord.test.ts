/**
 * A prepare of a hold in the item reads the transaction's record beside its item write (docs/design.md,
 * "Holds that live in the item", "The prepare reads the record beside its write"): a record already there
 * (a null abort's tombstone, a decision, a hold of the older layout) answers the prepare as it answers any
 * repeated prepare, and a `P` entry the write landed anyway is finished in the same delivery. DESIGN.md's
 * participant rules: a late prepare after a null abort votes VOTE_ABORT (anti-hanging); a repeat with other
 * operations is OPERATIONS_MISMATCH.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { heldEntryOf } from '../../lambdas/participants/heldItemsIndex.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { PARTITION_KEY, recordKeyOf } from '../../lambdas/participants/table.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { participant, readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });

let pakka: LocalPakka;
let bank: ParticipantHandler;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  pakka = await testPakka({ config });
  bank = participant(pakka, 'bank');
  doc = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
});

const debit = (key: string, amount: number) => [{ op: 'debit', key, amount }];
const credit = (key: string, amount: number) => [{ op: 'credit', key, amount }];
const tableOf = () => pakka.tables.participants.get('bank')!;

async function openAccount(balance: number): Promise<string> {
  const key = uniqueId('acct');
  const txnId = uniqueId('open');
  await bank({ action: 'prepare', txnId, operations: credit(key, balance) });
  await bank({ action: 'commit', txnId, operations: credit(key, balance) });
  return key;
}

const entryOf = async (key: string, txnId: string) => ((await readItem(pakka, 'bank', key))?.intents as Record<string, Record<string, unknown>>)?.[txnId];
/** What an account holds once nothing is held in it (I5: no hold outlives its transaction's answer). */
const settled = (balance: number) => ({ balance, available: balance, reserved: 0, incoming: 0, prepared: 0 });
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('a late prepare after a null abort sent without operations', () => {
  it('votes VOTE_ABORT ABORTED_BEFORE_PREPARE, holds nothing, and a commit is refused', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    // Without operations the abort cannot name the item: only the record's tombstone is written.
    expect(await bank({ action: 'abort', txnId })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    for (let i = 0; i < 2; i++) {
      expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject(settled(100));
    }
    // The entry the write landed was released as an abort releases it: an `A` entry, nothing reserved.
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A' });
    expect(await rejection(bank({ action: 'commit', txnId, operations: debit(key, 30) }))).toMatchObject({ name: 'Pakka.ProtocolViolation' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(settled(100));
  });

  it('the record answers before the item refuses: a prepare the item would refuse still votes ABORTED_BEFORE_PREPARE', async () => {
    const key = await openAccount(10);
    const txnId = uniqueId('t');
    await bank({ action: 'abort', txnId });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(settled(10));
  });
});

describe('a repeated prepare whose operations name another item', () => {
  it('after a decision with the first operations: OPERATIONS_MISMATCH, and the other item holds nothing', async () => {
    const first = await openAccount(100);
    const other = await openAccount(100);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(first, 30) });
    await bank({ action: 'commit', txnId, operations: debit(first, 30) });
    const refused = await rejection(bank({ action: 'prepare', txnId, operations: debit(other, 20) }));
    expect(refused).toMatchObject({ name: 'Pakka.ProtocolViolation' });
    expect(refused?.message).toMatch(/OPERATIONS_MISMATCH/);
    expect(await readItem(pakka, 'bank', other)).toMatchObject(settled(100));
    expect(await readItem(pakka, 'bank', first)).toMatchObject(settled(70));
  });

  it('after a prepare of the older record layout (two operations): OPERATIONS_MISMATCH, and the other item holds nothing', async () => {
    const a = await openAccount(100);
    const b = await openAccount(100);
    const other = await openAccount(100);
    const txnId = uniqueId('t');
    const both = [...debit(a, 10), ...debit(b, 10)];
    expect(await bank({ action: 'prepare', txnId, operations: both })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED' });
    const refused = await rejection(bank({ action: 'prepare', txnId, operations: debit(other, 20) }));
    expect(refused?.message).toMatch(/OPERATIONS_MISMATCH/);
    expect(await readItem(pakka, 'bank', other)).toMatchObject(settled(100));
    expect(await bank({ action: 'abort', txnId, operations: both })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readItem(pakka, 'bank', a)).toMatchObject({ balance: 100, available: 100 });
  });
});

/**
 * The interleaving the parallel read leaves open: the prepare's record read is served before a null abort's
 * tombstone, its item write after it. The prepare votes VOTE_COMMIT beside an ABORTED record; what must hold
 * is that recovery still finds the `P` entry (through heldItems) and its abort releases it.
 */
describe('a null abort racing a prepare', () => {
  function racedBy(nullAbort: () => Promise<unknown>): ParticipantHandler {
    let aborted: Promise<unknown> | undefined;
    const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
    const raced = new Proxy(doc, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof GetCommand && String(command.input.Key?.[PARTITION_KEY]).startsWith('TXN#') && !aborted) {
            const read = await send(command);
            // The tombstone lands after the read was served.
            aborted = nullAbort();
            await aborted;
            return read;
          }
          if (command instanceof UpdateCommand && String(command.input.ConditionExpression).includes('attribute_not_exists') && !aborted) {
            // The item write waits until the read was served and the abort ran; a prepare that sends no record read fails here at once.
            const gaveUpAt = Date.now() + 5_000;
            while (!aborted && Date.now() < gaveUpAt) await new Promise((resolve) => setTimeout(resolve, 5));
            if (!aborted) throw new Error('the prepare sent its item write and no read of the record beside it');
            await aborted;
          }
          return send(command);
        };
      },
    });
    return participantHandler({ name: 'bank', kind: ledger, tableName: tableOf(), client: raced, holdsInItems: true });
  }

  it('leaves a P entry beside the ABORTED tombstone, which recovery finds through heldItems and releases (I5)', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const racing = racedBy(() => bank({ action: 'abort', txnId }));
    expect(await racing({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await doc.send(new GetCommand({ TableName: tableOf(), Key: recordKeyOf(txnId), ConsistentRead: true }))).toMatchObject({
      Item: { state: 'ABORTED' },
    });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 70, reserved: 30, prepared: 1 });
    // Recovery's way to the hold: the heldItems index names the item, whose entry keeps the operation; it sends the abort with it.
    const entry = await heldEntryOf(doc, tableOf(), txnId);
    expect(entry).toMatchObject({ s: 'P', op: debit(key, 30)[0] });
    expect(await bank({ action: 'abort', txnId, operations: [entry?.op] })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(settled(100));
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A' });
    // A late prepare now meets both the tombstone and the `A` entry.
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(settled(100));
  });
});
