/**
 * Holds that live in the item (docs/design.md): every path of the layout against a real table in
 * DynamoDB Local, under the model of AWS's transaction-conflict rules.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { tableReads } from '../../lambdas/api/tableReads.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { settledEscrowItem } from '../../lambdas/participants/escrow.js';
import { heldEntryOf } from '../../lambdas/participants/heldItemsIndex.js';
import { ITEM_HOLD_LAYOUT, RECORD_TTL_ATTRIBUTE } from '../../lambdas/participants/itemIntents.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { PARTITION_KEY, itemKeyOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { digestOf } from '../../lambdas/participants/transactions.js';
import { INTENT_CAP } from '../../lambdas/protocol/heldIntent.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { participant, readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const config = parseParticipantConfig({
  participants: { bank: { kind: 'ledger', holdsInItems: true }, 'record-bank': { kind: 'ledger', holdsInItems: false } },
});

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
const tableOf = (name: string) => pakka.tables.participants.get(name)!;

async function openAccount(balance: number, handler: ParticipantHandler = bank): Promise<string> {
  const key = uniqueId('acct');
  const txnId = uniqueId('open');
  await handler({ action: 'prepare', txnId, operations: credit(key, balance) });
  expect(await handler({ action: 'commit', txnId, operations: credit(key, balance) })).toMatchObject({ outcome: 'COMMITTED' });
  return key;
}

const intentsOf = (item: Record<string, unknown> | undefined) => (item?.intents ?? {}) as Record<string, unknown>;
const entryOf = async (key: string, txnId: string) => ((await readItem(pakka, 'bank', key))?.intents as Record<string, Record<string, unknown>>)?.[txnId];

describe('prepare in the item', () => {
  it('reserves and writes a P entry with its one operation, in one write and without a record', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT', reason: null });
    const item = await readItem(pakka, 'bank', key);
    expect(item).toMatchObject({ balance: 100, available: 70, reserved: 30, prepared: 1 });
    expect(item?.heldShard).toMatch(/^HELD#\d+$/);
    expect(typeof item?.heldSince).toBe('string');
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'P', d: digestOf(debit(key, 30)), op: debit(key, 30)[0] });
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
    // The API's item view (and so the CLI and the console) reads the hold from the item's intents.
    const reads = tableReads(doc, pakka.tables, config);
    expect(await reads.readItemHolds('bank', key)).toEqual({ holds: [{ txnId, op: 'debit', amount: 30, preparedAt: expect.any(String) }], complete: true });
    // The transaction's views read the participant's state as they read a PREPARED record (GET /transactions/{id}, inspect, the listings).
    const prepared = { txnId, state: 'PREPARED', lockedKeys: [key], operations: debit(key, 30), preparedAt: expect.any(String) };
    expect(await reads.readParticipantRecord('bank', txnId)).toMatchObject(prepared);
    expect(await reads.readParticipantRecords(txnId, ['bank', 'record-bank'])).toEqual(new Map([['bank', expect.objectContaining(prepared)]]));
    await bank({ action: 'abort', txnId, operations: debit(key, 30) });
    expect(await reads.readParticipantRecord('bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await reads.readItemHolds('bank', key)).toEqual({ holds: [], complete: true });
  });

  it('a business no is an A entry with its reason, which a repeated prepare answers from; nothing is reserved', async () => {
    const key = await openAccount(10);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 11) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A', r: 'INSUFFICIENT_FUNDS' });
    // Funds arrive; the repeat still answers the recorded no.
    const topUp = uniqueId('t');
    await bank({ action: 'prepare', txnId: topUp, operations: credit(key, 50) });
    await bank({ action: 'commit', txnId: topUp, operations: credit(key, 50) });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 11) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 60, available: 60, reserved: 0, prepared: 0 });
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
    // The API's views find the no in the item the transaction's operations name (heldItems lists only held items).
    const reads = tableReads(doc, pakka.tables, config);
    expect(await reads.readParticipantRecord('bank', txnId, debit(key, 11))).toMatchObject({ state: 'ABORTED', voteReason: 'INSUFFICIENT_FUNDS' });
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 11) })).toMatchObject({ outcome: 'ABORTED' });
    // The abort writes the no's record (the API's status reads records), keeping its reason.
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', layout: ITEM_HOLD_LAYOUT, voteReason: 'INSUFFICIENT_FUNDS' });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 11) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
  });

  it('a full item votes LOCK_CONFLICT and records nothing', async () => {
    const key = uniqueId('full');
    await doc.send(
      new PutCommand({
        TableName: tableOf('bank'),
        Item: {
          ...itemKeyOf(key),
          ...settledEscrowItem('balance', 100),
          intents: Object.fromEntries(Array.from({ length: INTENT_CAP }, (_, i) => [`young-${i}`, { s: 'C', at: new Date().toISOString() }])),
          prepared: 0,
        },
      }),
    );
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' });
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 100, reserved: 0 });
  });

  it('a duplicate prepare answers the same and reserves once', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const votes = await Promise.all([1, 2, 3].map(() => bank({ action: 'prepare', txnId, operations: debit(key, 40) })));
    for (const vote of votes) expect(vote).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 60, reserved: 40, prepared: 1 });
    // Another request under the same txnId is refused, whatever it asks.
    await expect(bank({ action: 'prepare', txnId, operations: debit(key, 41) })).rejects.toMatchObject({ code: 'OPERATIONS_MISMATCH' });
  });

  it('a credit to a new account creates the item with its promise', async () => {
    const key = uniqueId('new');
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: credit(key, 5) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ incoming: 5, prepared: 1 });
    expect(await bank({ action: 'commit', txnId, operations: credit(key, 5) })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 5, available: 5, incoming: 0, version: 1 });
  });
});

describe('commit and abort', () => {
  it('commit writes the record (layout 3, with a TTL, naming the landing it applies), then applies the entry and removes it; a repeat changes nothing; an abort after it is refused', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 30) });
    const prepared = await entryOf(key, txnId);
    expect(prepared?.n).toMatch(/^[\w-]{8}$/);
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
    const record = await readRecord(pakka, 'bank', txnId);
    // With the P entry's time (the inspect timeline's prepare span, which Express's votes do not time) and its landing.
    expect(record).toMatchObject({
      state: 'COMMITTED',
      layout: ITEM_HOLD_LAYOUT,
      digest: digestOf(debit(key, 30)),
      preparedAt: prepared?.at,
      holdId: prepared?.n,
    });
    expect(typeof record?.[RECORD_TTL_ATTRIBUTE]).toBe('number');
    const item = await readItem(pakka, 'bank', key);
    expect(item).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    // The item's last prepared entry is gone, but it stays in the heldItems index until recovery finds it idle (lazy leaving).
    expect(item?.heldShard).toMatch(/^HELD#/);
    expect(typeof item?.heldSince).toBe('string');
    // The record answers from now on: the entry goes in the commit's own write, and the item dates the finish.
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(typeof item?.lastFinishedAt).toBe('string');
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 30) })).rejects.toMatchObject({ code: 'ABORT_AFTER_COMMIT' });
    // A late duplicate prepare lands a P entry again, but the record read beside it answers, and the landing is released.
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(await entryOf(key, txnId)).toBeUndefined();
  });

  it('abort releases exactly its own hold; the item stays indexed while another entry is prepared; a commit after it is refused', async () => {
    const key = await openAccount(100);
    const [a, b] = [uniqueId('t'), uniqueId('t')];
    await bank({ action: 'prepare', txnId: a, operations: debit(key, 60) });
    await bank({ action: 'prepare', txnId: b, operations: debit(key, 40) });
    expect(await bank({ action: 'abort', txnId: a, operations: debit(key, 60) })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(await bank({ action: 'abort', txnId: a, operations: debit(key, 60) })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    await expect(bank({ action: 'commit', txnId: a, operations: debit(key, 60) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    const item = await readItem(pakka, 'bank', key);
    expect(item).toMatchObject({ balance: 100, available: 60, reserved: 40, prepared: 1 });
    expect(item?.heldShard).toMatch(/^HELD#/);
    expect(await readRecord(pakka, 'bank', a)).toMatchObject({ state: 'ABORTED', layout: ITEM_HOLD_LAYOUT });
    expect(await bank({ action: 'commit', txnId: b, operations: debit(key, 40) })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 60, available: 60, reserved: 0, prepared: 0 });
  });

  it('a null abort leaves a tombstone in the item and a record; a late prepare then votes no and holds nothing', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 10) })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', layout: ITEM_HOLD_LAYOUT });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 10) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 100, reserved: 0, prepared: 0 });
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 10) })).toMatchObject({ outcome: 'ABORTED', repeated: true });
  });

  it('commitOnePhase applies in one write (entry C, one), then writes its record; an abort learns the outcome', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75, available: 75, reserved: 0, prepared: 0 });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'C', one: true });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true, layout: ITEM_HOLD_LAYOUT });
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75 });
    const poor = uniqueId('t');
    expect(await bank({ action: 'commitOnePhase', txnId: poor, operations: debit(key, 76) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });

  it('a participant configured for the record layout keeps it for the same operations', async () => {
    const recordBank = participant(pakka, 'record-bank');
    const key = await openAccount(10, recordBank);
    const txnId = uniqueId('t');
    await recordBank({ action: 'prepare', txnId, operations: debit(key, 3) });
    expect(await readRecord(pakka, 'record-bank', txnId)).toMatchObject({ state: 'PREPARED', layout: 2 });
  });
});

describe('a message without operations', () => {
  it('status and abort find a hold in its item through heldItems when no record answers; an unknown txnId stays UNKNOWN', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 30) });
    const entry = await entryOf(key, txnId);
    expect(await bank({ action: 'status', txnId })).toEqual({
      participant: 'bank',
      txnId,
      state: 'PREPARED',
      lockedKeys: [key],
      voteReason: null,
      preparedAt: entry?.at,
    });
    expect(await bank({ action: 'status', txnId: uniqueId('none') })).toMatchObject({ state: 'UNKNOWN', lockedKeys: [] });
    // Recovery's abort of an orphan, or an operator's resolve, may carry no operations: the entry's own finish it.
    expect(await bank({ action: 'abort', txnId })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({
      state: 'ABORTED',
      layout: ITEM_HOLD_LAYOUT,
      digest: digestOf(debit(key, 30)),
      holdId: entry?.n,
    });
    // Once decided, the record answers.
    expect(await bank({ action: 'status', txnId })).toMatchObject({ state: 'ABORTED', lockedKeys: [] });
    expect(await bank({ action: 'abort', txnId })).toMatchObject({ outcome: 'ABORTED', repeated: true });
  });
});

describe('a null abort racing a one-phase commit', () => {
  /** The abort has read (no record, no entry); the one-phase commit lands just before, or just after, the abort's first write. */
  function racingAbort(txnId: string, operations: unknown[], when: 'before' | 'after') {
    const client = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    const race: { answer?: Promise<unknown> } = {};
    const racing = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const write = command instanceof UpdateCommand || command instanceof PutCommand;
          const first = write && race.answer === undefined;
          const landed = () => {
            race.answer = bank({ action: 'commitOnePhase', txnId, operations }).catch((error: unknown) => error);
            return race.answer;
          };
          if (first && when === 'before') await landed();
          const out = await send(command);
          if (first && when === 'after') await landed();
          return out;
        };
      },
    });
    return { abort: participantHandler({ name: 'bank', kind: ledger, tableName: tableOf('bank'), client: racing, holdsInItems: true }), race };
  }

  it('landing first, the commit wins: the abort learns it, and nothing says ABORTED', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const { abort, race } = racingAbort(txnId, debit(key, 10), 'before');
    await expect(abort({ action: 'abort', txnId, operations: debit(key, 10) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await race.answer).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 90, available: 90 });
  });

  it('landing after the abort’s first write, the abort wins: the commit votes no and changes nothing (the tombstone goes in the item first)', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const { abort, race } = racingAbort(txnId, debit(key, 10), 'after');
    expect(await abort({ action: 'abort', txnId, operations: debit(key, 10) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await race.answer).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100 });
  });
});

describe('forgetting', () => {
  it('commit and abort leave no entry; tombstones go only once their records are twice the 10 s horizon old, by the pass that reads them, 16 at a time; a prepared or young entry stays; a forgotten one still answers from its record', async () => {
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableOf('bank'), client: doc, holdsInItems: true, now });
    const key = await openAccount(1000, h);
    const entries = async () => Object.keys((await readItem(pakka, 'bank', key))?.intents as object);
    // The opening's commit left nothing, nor do a commit and an abort after it: their records answer.
    expect(await entries()).toEqual([]);
    const [committed, aborted] = [uniqueId('c'), uniqueId('a')];
    await h({ action: 'prepare', txnId: committed, operations: debit(key, 1) });
    await h({ action: 'commit', txnId: committed, operations: debit(key, 1) });
    await h({ action: 'prepare', txnId: aborted, operations: debit(key, 1) });
    await h({ action: 'abort', txnId: aborted, operations: debit(key, 1) });
    expect(await entries()).toEqual([]);
    // A null abort's tombstone is the witness a late prepare or commitOnePhase must meet in the item: those stay until
    // their records are old enough (RECORD_AGE_TO_FORGET_MS).
    const tombstones: string[] = [];
    for (let i = 0; i < 39; i++) {
      const txnId = uniqueId(`f${String(i).padStart(2, '0')}`);
      expect(await h({ action: 'abort', txnId, operations: debit(key, 1) })).toMatchObject({ outcome: 'ABORTED' });
      tombstones.push(txnId);
      clock += 1; // each finished a moment after the one before
    }
    const still = uniqueId('p');
    await h({ action: 'prepare', txnId: still, operations: debit(key, 1) });
    expect(await entries()).toHaveLength(40);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ prepared: 1 });
    // Inside the horizon nothing goes, however busy the item.
    await h({ action: 'prepare', txnId: uniqueId('young'), operations: debit(key, 1) });
    expect(await entries()).toHaveLength(41);
    // Past the horizon, the records are not yet twice that old: a commitOnePhase that read none may still land.
    clock += 11_000;
    await h({ action: 'prepare', txnId: uniqueId('mid'), operations: debit(key, 1) });
    expect(await entries()).toHaveLength(42);
    clock += 10_000;
    await h({ action: 'prepare', txnId: uniqueId('late'), operations: debit(key, 1) });
    const item = await readItem(pakka, 'bank', key);
    const intents = item?.intents as Record<string, unknown>;
    expect(item).toMatchObject({ prepared: 4 });
    // Forgotten by the pass a busy item's prepare runs, which reads their records (each ABORTED, 21 s old).
    expect(Object.keys(intents)).toHaveLength(43 - 16);
    // The oldest sixteen went, the prepared one stayed.
    for (const txnId of tombstones.slice(0, 16)) expect(intents[txnId]).toBeUndefined();
    expect(intents[tombstones[16]!]).toBeDefined();
    expect(intents[still]).toMatchObject({ s: 'P' });
    expect(await h({ action: 'commit', txnId: committed, operations: debit(key, 1) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    await expect(h({ action: 'commit', txnId: aborted, operations: debit(key, 1) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    await expect(h({ action: 'commit', txnId: tombstones[0]!, operations: debit(key, 1) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    // A late prepare of a forgotten tombstone meets its record, votes its no, and holds nothing.
    expect(await h({ action: 'prepare', txnId: tombstones[0]!, operations: debit(key, 1) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'ABORTED_BEFORE_PREPARE',
    });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ prepared: 4 });
    expect(intentsOf(await readItem(pakka, 'bank', key))[tombstones[0]!]).toBeUndefined();
  });
});

describe('writes per hold', () => {
  /** A handler whose item writes are counted (Put and Update requests, failed ones too: AWS bills them). */
  function counted(now?: () => string, onSend: () => void = () => undefined) {
    const client = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    const writes: string[] = [];
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof UpdateCommand) writes.push(String(command.input.Key?.pk));
          if (command instanceof PutCommand) writes.push(String(command.input.Item?.pk));
          onSend();
          return send(command);
        };
      },
    });
    const handler = participantHandler({
      name: 'bank',
      kind: ledger,
      tableName: tableOf('bank'),
      client: counting,
      holdsInItems: true,
      ...(now ? { now } : {}),
    });
    return { handler, writes };
  }

  it('the first hold of a new item creates its intents map in the prepare’s own write: one more request, not two', async () => {
    const { handler, writes } = counted();
    const key = uniqueId('new');
    const txnId = uniqueId('t');
    expect(await handler({ action: 'prepare', txnId, operations: credit(key, 5) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // The usual write, refused for want of a map, then the first hold's variant.
    expect(writes).toEqual([`ITEM#${key}`, `ITEM#${key}`]);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ incoming: 5, prepared: 1, intents: { [txnId]: { s: 'P' } } });
    writes.length = 0;
    // An item this process has written before gets the usual write at once.
    await handler({ action: 'commit', txnId, operations: credit(key, 5) });
    expect(writes).toEqual([`TXN#${txnId}`, `ITEM#${key}`]);
    expect(await entryOf(key, txnId)).toBeUndefined();
  });

  it('a prepare that has run too long sends no more item writes: it fails transiently and its retry prepares', async () => {
    let clock = Date.now();
    // Each request takes 4.5 s of the delivery's time: the new item's second write would go out too late.
    const slow = counted(
      () => new Date(clock).toISOString(),
      () => {
        clock += 4_500;
      },
    );
    const key = uniqueId('new');
    const txnId = uniqueId('t');
    await expect(slow.handler({ action: 'prepare', txnId, operations: credit(key, 5) })).rejects.toMatchObject({ name: 'Pakka.Transient' });
    expect(slow.writes).toEqual([`ITEM#${key}`]);
    expect(await readItem(pakka, 'bank', key)).toBeUndefined();
    expect(await bank({ action: 'prepare', txnId, operations: credit(key, 5) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ incoming: 5, prepared: 1 });
  });

  it('an entry named to forget that is prepared again is never removed: the write goes once more without it', async () => {
    let clock = Date.now();
    const one = counted(() => new Date(clock).toISOString());
    const key = await openAccount(100, one.handler);
    const first = uniqueId('t');
    // The participant's own no: an entry that stays until the horizon (a commit's or an abort's goes at once), and goes in passing.
    expect(await one.handler({ action: 'prepare', txnId: first, operations: debit(key, 1000) })).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
    expect(await entryOf(key, first)).toMatchObject({ s: 'A', r: 'INSUFFICIENT_FUNDS' });
    clock += 11_000;
    // What the horizon rules out, forced: `first`'s entry is prepared again behind the process's back.
    const stray = { s: 'P', d: 'stray', op: debit(key, 1)[0], at: new Date(clock).toISOString() };
    await doc.send(
      new UpdateCommand({
        TableName: tableOf('bank'),
        Key: itemKeyOf(key),
        UpdateExpression: 'SET intents.#t = :e',
        ExpressionAttributeNames: { '#t': first },
        ExpressionAttributeValues: { ':e': stray },
      }),
    );
    one.writes.length = 0;
    const second = uniqueId('t');
    expect(await one.handler({ action: 'prepare', txnId: second, operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // Refused once for naming `first`, then sent without it.
    expect(one.writes).toEqual([`ITEM#${key}`, `ITEM#${key}`]);
    expect(await entryOf(key, first)).toEqual(stray);
  });

  it('a process that saw entries another process has forgotten since names them in passing, harmlessly', async () => {
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const one = counted(now);
    const other = counted(now);
    const key = await openAccount(100, one.handler);
    const first = uniqueId('t');
    // The participant's own no, and the abort that follows it (which writes its record): the entry stays until the horizon, and goes in passing.
    expect(await one.handler({ action: 'prepare', txnId: first, operations: debit(key, 1000) })).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
    await one.handler({ action: 'abort', txnId: first, operations: debit(key, 1000) });
    expect(await entryOf(key, first)).toMatchObject({ s: 'A', r: 'INSUFFICIENT_FUNDS' });
    clock += 11_000;
    // `other` learns the item from its own write, then forgets `first` in passing.
    const second = uniqueId('t');
    await other.handler({ action: 'prepare', txnId: second, operations: debit(key, 1) });
    await other.handler({ action: 'commit', txnId: second, operations: debit(key, 1) });
    expect(await entryOf(key, first)).toBeUndefined();
    // `one` still believes `first` is there: its next write names it, and goes through.
    const third = uniqueId('t');
    expect(await one.handler({ action: 'prepare', txnId: third, operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await one.handler({ action: 'commit', txnId: third, operations: debit(key, 1) })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 98, reserved: 0, prepared: 0 });
    // A forgotten transaction still answers from its record.
    await expect(one.handler({ action: 'commit', txnId: first, operations: debit(key, 1000) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
  });
});

/** A participant whose process is killed at the first write `kills` picks: that write is never sent. */
function killedAt(kills: (command: unknown) => boolean): ParticipantHandler {
  const client = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  let armed = true;
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const crashing = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        if (armed && kills(command)) {
          armed = false;
          throw new Error('the participant was killed between its two writes');
        }
        return send(command);
      };
    },
  });
  return participantHandler({ name: 'bank', kind: ledger, tableName: tableOf('bank'), client: crashing, holdsInItems: true });
}

describe('a stray prepare after its entry went', () => {
  /** A debit of 30 from 100, decided by `action`: its entry goes in the decision's own item write. */
  async function forgottenDecision(action: 'commit' | 'abort') {
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableOf('bank'), client: doc, holdsInItems: true, now });
    const key = await openAccount(100, h);
    const txnId = uniqueId('t');
    await h({ action: 'prepare', txnId, operations: debit(key, 30) });
    const real = await entryOf(key, txnId);
    await h({ action, txnId, operations: debit(key, 30) });
    expect(await entryOf(key, txnId)).toBeUndefined();
    clock += 11_000;
    return { h, key, txnId, now, real, settled: action === 'commit' ? 70 : 100 };
  }

  /** What the record read at prepare rules out, forced: a `P` entry and its hold, written behind the process's back. */
  async function landStray(key: string, txnId: string, entry: Record<string, unknown>) {
    await doc.send(
      new UpdateCommand({
        TableName: tableOf('bank'),
        Key: itemKeyOf(key),
        UpdateExpression: 'SET intents.#t = :e, available = available - :a, reserved = reserved + :a, prepared = prepared + :one',
        ExpressionAttributeNames: { '#t': txnId },
        ExpressionAttributeValues: { ':e': entry, ':a': 30, ':one': 1 },
      }),
    );
  }

  it('commit: a duplicate prepare that began before the decision and landed after the entry went is a stray by its landing, though its clock is older than the decision', async () => {
    const { h, key, txnId, real } = await forgottenDecision('commit');
    const { digest, committedAt, holdId } = (await readRecord(pakka, 'bank', txnId)) as { digest: string; committedAt: string; holdId: string };
    expect(holdId).toBe(real?.n);
    // Its read served before the record, its write after the commit's item write: nothing in the item stopped it.
    const began = new Date(Date.parse(committedAt) - 1_000).toISOString();
    await landStray(key, txnId, { s: 'P', d: digest, op: debit(key, 30)[0], at: began, n: 'duplicate' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 40, reserved: 30, prepared: 1 });
    // Recovery finds it through heldItems and sends the log's decision: released, never applied a second time.
    expect(await h({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(await entryOf(key, txnId)).toBeUndefined();
  });

  for (const action of ['commit', 'abort'] as const) {
    it(`${action}: a very late duplicate prepare lands its P entry, and the record read beside its write releases it in the same delivery`, async () => {
      const { h, key, txnId, settled } = await forgottenDecision(action);
      // Nothing in the item stops the write; the record read beside it answers, as for any repeated prepare.
      const vote = await h({ action: 'prepare', txnId, operations: debit(key, 30) });
      expect(vote).toMatchObject(action === 'commit' ? { vote: 'VOTE_COMMIT' } : { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: settled, available: settled, reserved: 0, incoming: 0, prepared: 0 });
      expect(await entryOf(key, txnId)).toBeUndefined();
      expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
    });

    it(`${action}: a stray P entry newer than the record's decision (left as a prepare cut off before its record read would leave it) is released and removed, never applied`, async () => {
      const { h, key, txnId, now, settled } = await forgottenDecision(action);
      const { digest } = (await readRecord(pakka, 'bank', txnId)) as { digest: string };
      await landStray(key, txnId, { s: 'P', d: digest, op: debit(key, 30)[0], at: now(), n: 'late' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: settled, available: settled - 30, reserved: 30, prepared: 1 });
      // The decision reaches it again (recovery finds the entry through heldItems and sends the log's decision).
      expect(await h({ action, txnId, operations: debit(key, 30) })).toMatchObject({ outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED', repeated: true });
      const item = await readItem(pakka, 'bank', key);
      expect(item).toMatchObject({ balance: settled, available: settled, reserved: 0, incoming: 0, prepared: 0 });
      // A commit releases the stray (its keys stay, for the sweep's tidy); an abort finishes it as its own and finds the
      // item cold (its last finish past the horizon), so the keys go in the same write. Either way I5 holds.
      if (action === 'commit') expect(item?.heldShard).toMatch(/^HELD#/);
      else expect(item?.heldShard).toBeUndefined();
      expect(await entryOf(key, txnId)).toBeUndefined();
    });
  }
});

describe('a crash between the record and the item write', () => {
  /** The participant's process dies right after the record write: the item write is never sent. */
  const crashingBeforeItemWrite = () =>
    killedAt((command) => command instanceof UpdateCommand && String(command.input.ConditionExpression).startsWith('#in.#t.#s = :p'));

  for (const action of ['commit', 'abort'] as const) {
    it(`${action}: the record is decided and the entry still P; the next delivery finishes the item write once`, async () => {
      const key = await openAccount(100);
      const txnId = uniqueId('t');
      await bank({ action: 'prepare', txnId, operations: debit(key, 30) });
      await expect(crashingBeforeItemWrite()({ action, txnId, operations: debit(key, 30) })).rejects.toThrow(/killed/);
      expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(await entryOf(key, txnId)).toMatchObject({ s: 'P' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, reserved: 30 });
      // The decision is the record's: the other one is refused even now.
      await expect(bank({ action: action === 'commit' ? 'abort' : 'commit', txnId, operations: debit(key, 30) })).rejects.toMatchObject({
        code: action === 'commit' ? 'ABORT_AFTER_COMMIT' : 'COMMIT_AFTER_ABORT',
      });
      expect(await bank({ action, txnId, operations: debit(key, 30) })).toMatchObject({ outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(await bank({ action, txnId, operations: debit(key, 30) })).toMatchObject({ repeated: true });
      expect(await entryOf(key, txnId)).toBeUndefined();
      expect(await readItem(pakka, 'bank', key)).toMatchObject(
        action === 'commit' ? { balance: 70, reserved: 0, prepared: 0 } : { balance: 100, available: 100, reserved: 0, prepared: 0 },
      );
    });
  }
});

describe('under AWS conflict rules', () => {
  it('fifty concurrent debits of one account: exactly what the balance covers, no conflict, no lock; then half commit, half abort', async () => {
    const key = await openAccount(30);
    const txns = Array.from({ length: 50 }, () => uniqueId('d'));
    const votes = (await Promise.all(txns.map((txnId) => bank({ action: 'prepare', txnId, operations: debit(key, 1) })))) as Array<{
      vote: string;
      reason?: string;
    }>;
    expect(votes.filter((v) => v.vote === 'VOTE_COMMIT')).toHaveLength(30);
    expect(votes.filter((v) => v.reason === 'INSUFFICIENT_FUNDS')).toHaveLength(20);
    const yes = txns.filter((_, i) => votes[i]?.vote === 'VOTE_COMMIT');
    await Promise.all(yes.map((txnId, i) => bank({ action: i % 2 ? 'abort' : 'commit', txnId, operations: debit(key, 1) })));
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 15, available: 15, reserved: 0, prepared: 0 });
  });
});

/*
 * A prepare of a hold in the item reads the transaction's record beside its item write (docs/design.md, "The
 * prepare reads the record beside its write"): a record already there (a null abort's tombstone, a decision, a
 * hold of the record layout) answers the prepare as it answers any repeated prepare, and a `P` entry the write
 * landed anyway is finished in the same delivery. docs/design.md's participant rules ("The requirements"): a late prepare after a null
 * abort votes VOTE_ABORT (anti-hanging); a repeat with other operations is OPERATIONS_MISMATCH.
 */
/** What an account holds once nothing is held in it (I5: no hold outlives its transaction's answer). */
const holdingNothing = (balance: number) => ({ balance, available: balance, reserved: 0, incoming: 0, prepared: 0 });
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
      expect(await readItem(pakka, 'bank', key)).toMatchObject(holdingNothing(100));
    }
    // The entry the write landed was released as an abort releases it: removed, nothing reserved; the record answers.
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await rejection(bank({ action: 'commit', txnId, operations: debit(key, 30) }))).toMatchObject({ name: 'Pakka.ProtocolViolation' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(holdingNothing(100));
  });

  it('the record answers before the item refuses: a prepare the item would refuse still votes ABORTED_BEFORE_PREPARE', async () => {
    const key = await openAccount(10);
    const txnId = uniqueId('t');
    await bank({ action: 'abort', txnId });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(holdingNothing(10));
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
    expect(await readItem(pakka, 'bank', other)).toMatchObject(holdingNothing(100));
    expect(await readItem(pakka, 'bank', first)).toMatchObject(holdingNothing(70));
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
    expect(await readItem(pakka, 'bank', other)).toMatchObject(holdingNothing(100));
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
    return participantHandler({ name: 'bank', kind: ledger, tableName: tableOf('bank'), client: raced, holdsInItems: true });
  }

  it('leaves a P entry beside the ABORTED tombstone, which recovery finds through heldItems and releases (I5)', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const racing = racedBy(() => bank({ action: 'abort', txnId }));
    expect(await racing({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await doc.send(new GetCommand({ TableName: tableOf('bank'), Key: recordKeyOf(txnId), ConsistentRead: true }))).toMatchObject({
      Item: { state: 'ABORTED' },
    });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 70, reserved: 30, prepared: 1 });
    // Recovery's way to the hold: the heldItems index names the item, whose entry keeps the operation; it sends the abort with it.
    const entry = await heldEntryOf(doc, tableOf('bank'), txnId);
    expect(entry).toMatchObject({ s: 'P', op: debit(key, 30)[0] });
    expect(await bank({ action: 'abort', txnId, operations: [entry?.op] })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(holdingNothing(100));
    expect(await entryOf(key, txnId)).toBeUndefined();
    // A late prepare now meets the record's tombstone, and what it lands is released in the same delivery.
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject(holdingNothing(100));
  });
});

describe('a null abort cut off between its tombstone and its record', () => {
  it('the retried abort writes the record, so the tombstone can be forgotten once that record is old enough', async () => {
    const key = await openAccount(100, bank);
    const txnId = uniqueId('t');
    const crashing = killedAt((command) => command instanceof PutCommand && command.input.Item?.state === 'ABORTED');
    await expect(crashing({ action: 'abort', txnId, operations: debit(key, 30) })).rejects.toThrow(/killed/);
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A' });
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
    // The coordinator retries its abort: the tombstone answers, and its record is written.
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', layout: ITEM_HOLD_LAYOUT, digest: digestOf(debit(key, 30)) });
    // A late prepare still votes no, and the item holds nothing.
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
  });
});
