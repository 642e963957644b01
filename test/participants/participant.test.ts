/** Every rule of "The participant rules" in docs/design.md, against a real table in DynamoDB Local. */
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ITEM_HOLD_LAYOUT } from '../../lambdas/participants/itemIntents.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { digestOf } from '../../lambdas/participants/transactions.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import type { ParticipantHandler } from '../../lambdas/participants/runtime.js';
import { participant, readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { gate } from '../support/gate.js';

let pakka: LocalPakka;
let bank: ParticipantHandler;

beforeAll(async () => {
  pakka = await testPakka();
  // Explicitly in the item layout, whatever the participant default: a one-item escrow's hold lives in its item.
  bank = payerBank(true);
});

/** The payer bank in the layout asked for, on its own table, under the model of AWS's conflict rules. */
function payerBank(holdsInItems: boolean, client?: DynamoDBDocumentClient): ParticipantHandler {
  const doc = client ?? documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  return participantHandler({ name: 'payer-bank', kind: ledger, tableName: pakka.tables.participants.get('payer-bank')!, client: doc, holdsInItems });
}

/** The same participant in the record layout: for the rules only that layout has (a redo list in the record, its locks). */
const recordLayoutBank = (client?: DynamoDBDocumentClient): ParticipantHandler => payerBank(false, client);

/** A one-item escrow's hold lives in its item (docs/design.md): its entry in the item's `intents`. */
const entryOf = async (key: string, txnId: string) =>
  ((await readItem(pakka, 'payer-bank', key))?.intents as Record<string, Record<string, unknown>> | undefined)?.[txnId];

const debit = (key: string, amount: number) => [{ op: 'debit', key, amount }];
const credit = (key: string, amount: number) => [{ op: 'credit', key, amount }];

/** An account with a committed balance, opened through the protocol itself. */
async function openAccount(balance: number): Promise<string> {
  const key = uniqueId('acct');
  const txnId = uniqueId('open');
  await bank({ action: 'prepare', txnId, operations: credit(key, balance) });
  await bank({ action: 'commit', txnId, operations: credit(key, balance) });
  return key;
}

describe('prepare', () => {
  it('reserves the amount without a lock, records PREPARED with the redo list, and changes no balance yet', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 300) })).toMatchObject({ vote: 'VOTE_COMMIT', reason: null });
    const item = await readItem(pakka, 'payer-bank', key);
    expect(item).toMatchObject({ balance: 1000, available: 700, reserved: 300, incoming: 0, prepared: 1 });
    expect(item?.lockedBy).toBeUndefined();
    // One escrow on one item: PREPARED with its redo list is the item's entry, and no record is written.
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'P', d: digestOf(debit(key, 300)), op: debit(key, 300)[0] });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toBeUndefined();
    // The record layout records the same in TXN#, with the keys it holds.
    const recordBank = recordLayoutBank();
    const other = uniqueId('t');
    await recordBank({ action: 'prepare', txnId: other, operations: debit(key, 200) });
    expect(await readRecord(pakka, 'payer-bank', other)).toMatchObject({ state: 'PREPARED', operations: debit(key, 200), lockedKeys: [key] });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 1000, available: 500, reserved: 500 });
  });

  it('votes INSUFFICIENT_FUNDS when the balance would go negative or the account does not exist, and locks nothing', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 101) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect((await readItem(pakka, 'payer-bank', key))?.lockedBy).toBeUndefined();
    const missing = uniqueId('nobody');
    const noAccount = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId: noAccount, operations: debit(missing, 1) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
    // The no is recorded where a repeat looks, in an item holding only that entry: no `version`, so no account
    // (the write that created its map set nothing else, not even `prepared`).
    const left = await readItem(pakka, 'payer-bank', missing);
    expect(left?.version).toBeUndefined();
    expect(left?.lockedBy).toBeUndefined();
    expect(left?.prepared).toBeUndefined();
    expect(left).toMatchObject({ intents: { [noAccount]: { s: 'A', r: 'INSUFFICIENT_FUNDS' } } });
    expect(await bank({ action: 'prepare', txnId: noAccount, operations: debit(missing, 1) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });

  it('lets prepared debits of one account reserve side by side while they fit, and refuses the one that does not', async () => {
    const key = await openAccount(1000);
    const [first, second, third] = [uniqueId('t'), uniqueId('t'), uniqueId('t')];
    expect(await bank({ action: 'prepare', txnId: first, operations: debit(key, 600) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await bank({ action: 'prepare', txnId: second, operations: debit(key, 300) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await bank({ action: 'prepare', txnId: third, operations: debit(key, 101) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 1000, available: 100, reserved: 900 });
    await bank({ action: 'abort', txnId: first, operations: debit(key, 600) });
    await bank({ action: 'commit', txnId: second, operations: debit(key, 300) });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 700, available: 700, reserved: 0, incoming: 0 });
  });

  it('votes LOCK_CONFLICT on a slot another prepared transaction holds (no-wait), recording nothing', async () => {
    const cinema = participant(pakka, 'cinema');
    const seat = uniqueId('seat');
    const [first, second] = [uniqueId('t'), uniqueId('t')];
    await cinema({ action: 'prepare', txnId: first, operations: [{ op: 'hold', key: seat, holder: 'asha' }] });
    expect(await cinema({ action: 'prepare', txnId: second, operations: [{ op: 'hold', key: seat, holder: 'ravi' }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'LOCK_CONFLICT',
    });
    expect(await readRecord(pakka, 'cinema', second)).toBeUndefined();
    expect((await readItem(pakka, 'cinema', seat))?.lockedBy).toBe(first);
  });

  it('is all or nothing across several keys', async () => {
    const rich = await openAccount(1000);
    const poor = await openAccount(5);
    const txnId = uniqueId('t');
    const operations = [...debit(rich, 100), ...debit(poor, 100)];
    expect(await bank({ action: 'prepare', txnId, operations })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readItem(pakka, 'payer-bank', rich)).toMatchObject({ balance: 1000 });
    expect((await readItem(pakka, 'payer-bank', rich))?.lockedBy).toBeUndefined();
  });

  it('repeats idempotently: the same vote, one record, one reservation', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    const first = await bank({ action: 'prepare', txnId, operations: debit(key, 100) });
    const second = await bank({ action: 'prepare', txnId, operations: debit(key, 100) });
    expect(second).toEqual(first);
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ available: 900, reserved: 100 });
    const aborting = uniqueId('t');
    const no1 = await bank({ action: 'prepare', txnId: aborting, operations: debit(key, 5000) });
    expect(no1).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    await bank({ action: 'abort', txnId, operations: debit(key, 100) });
    // Now 5000 still does not fit, and only the record answers: the same no, whatever the account holds.
    await bank({ action: 'prepare', txnId: uniqueId('fund'), operations: credit(key, 10_000) }).then((v) => expect(v).toMatchObject({ vote: 'VOTE_COMMIT' }));
    expect(await bank({ action: 'prepare', txnId: aborting, operations: debit(key, 5000) })).toEqual(no1);
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ available: 1000, reserved: 0 });
  });

  it('refuses a repeated prepare with different operations under the same txnId', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 100) });
    await expect(bank({ action: 'prepare', txnId, operations: debit(key, 200) })).rejects.toMatchObject({
      name: 'Pakka.ProtocolViolation',
      code: 'OPERATIONS_MISMATCH',
    });
  });

  it('rejects a malformed request without touching the table', async () => {
    await expect(bank({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'debit', key: 'a', amount: -1 }] })).rejects.toMatchObject({
      name: 'Pakka.InvalidRequest',
    });
    await expect(bank({ action: 'prepare', txnId: 'bad id!', operations: debit('a', 1) })).rejects.toMatchObject({ name: 'Pakka.InvalidRequest' });
    await expect(bank({ action: 'explode', txnId: uniqueId('t') })).rejects.toMatchObject({ name: 'Pakka.InvalidRequest' });
  });
});

describe('commitOnePhase', () => {
  it('checks and applies in one write: the record is COMMITTED from the start, and a repeat answers the same', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('one');
    const answer = { vote: 'VOTE_COMMIT', reason: null, committed: 'IN_ONE_PHASE' };
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 300) })).toMatchObject(answer);
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 700, available: 700, reserved: 0 });
    // The item's entry is the decision (committed, one phase), and the record written after it says the same.
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'C', one: true });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true, layout: ITEM_HOLD_LAYOUT });
    expect((await readItem(pakka, 'payer-bank', key))?.lockedBy).toBeUndefined();
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 300) })).toMatchObject(answer);
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    expect((await readItem(pakka, 'payer-bank', key))?.balance).toBe(700);
  });

  it('an abort after it changes nothing and answers Pakka.CommittedInOnePhase, not a violation', async () => {
    const key = await openAccount(50);
    const txnId = uniqueId('one');
    await bank({ action: 'commitOnePhase', txnId, operations: credit(key, 5) });
    await expect(bank({ action: 'abort', txnId, operations: credit(key, 5) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 55, incoming: 0 });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'COMMITTED' });
  });

  it('after an abort (the tombstone) votes no and applies nothing; after a two-phase prepare it is only a prepare', async () => {
    const key = await openAccount(50);
    const late = uniqueId('late');
    await bank({ action: 'abort', txnId: late, operations: credit(key, 5) });
    expect(await bank({ action: 'commitOnePhase', txnId: late, operations: credit(key, 5) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'ABORTED_BEFORE_PREPARE',
    });
    const prepared = uniqueId('two');
    await bank({ action: 'prepare', txnId: prepared, operations: credit(key, 7) });
    const answer = await bank({ action: 'commitOnePhase', txnId: prepared, operations: credit(key, 7) });
    expect(answer).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(answer).not.toHaveProperty('committed');
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 50, incoming: 7 });
    // Its claim was taken back when the entry refused its write: the two-phase hold finishes as any other.
    expect(await readRecord(pakka, 'payer-bank', prepared)).toBeUndefined();
    expect(await bank({ action: 'commit', txnId: prepared, operations: credit(key, 7) })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 57, incoming: 0 });
  });

  it('a credit past the largest exact quantity votes LIMIT_EXCEEDED and records the one-phase no', async () => {
    const most = 10 ** 15; // the largest amount one operation may carry
    const key = await openAccount(most);
    for (let i = 0; i < 8; i++) {
      expect(await bank({ action: 'commitOnePhase', txnId: uniqueId('one'), operations: credit(key, most) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    }
    const txnId = uniqueId('one');
    expect(await bank({ action: 'commitOnePhase', txnId, operations: credit(key, most) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LIMIT_EXCEEDED' });
    // The one-phase no is recorded in its record alone (claimed first, then made final with the reason), and a repeat answers it.
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'ABORTED', onePhase: true, voteReason: 'LIMIT_EXCEEDED' });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: credit(key, most) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LIMIT_EXCEEDED' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 9 * most, headroom: Number.MAX_SAFE_INTEGER - 9 * most });
  });
});

describe('other kinds vote their own reasons', () => {
  it('inventory: OUT_OF_STOCK; booking: ALREADY_HELD; outbox: DUPLICATE_MESSAGE', async () => {
    const warehouse = participant(pakka, 'warehouse');
    const sku = uniqueId('sku');
    const restock = [{ op: 'restock', key: sku, quantity: 3 }];
    const t0 = uniqueId('t');
    await warehouse({ action: 'prepare', txnId: t0, operations: restock });
    await warehouse({ action: 'commit', txnId: t0, operations: restock });
    expect(await warehouse({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'reserve', key: sku, quantity: 4 }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'OUT_OF_STOCK',
    });

    const cinema = participant(pakka, 'cinema');
    const seat = uniqueId('seat');
    const t1 = uniqueId('t');
    await cinema({ action: 'prepare', txnId: t1, operations: [{ op: 'hold', key: seat, holder: 'asha' }] });
    await cinema({ action: 'commit', txnId: t1, operations: [{ op: 'hold', key: seat, holder: 'asha' }] });
    expect(await readItem(pakka, 'cinema', seat)).toMatchObject({ heldBy: 'asha' });
    expect(await cinema({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'hold', key: seat, holder: 'ravi' }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'ALREADY_HELD',
    });
    expect(await cinema({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'release', key: seat, holder: 'ravi' }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'NOT_HOLDER',
    });

    const sms = participant(pakka, 'sms-gateway');
    const id = uniqueId('sms');
    const enqueue = [{ op: 'enqueue', key: id, message: 'Rs 500 debited' }];
    const t2 = uniqueId('t');
    await sms({ action: 'prepare', txnId: t2, operations: enqueue });
    expect((await readItem(pakka, 'sms-gateway', id))?.message).toBeUndefined(); // not visible before commit
    await sms({ action: 'commit', txnId: t2, operations: enqueue });
    expect(await readItem(pakka, 'sms-gateway', id)).toMatchObject({ message: 'Rs 500 debited', messageStatus: 'READY' });
    expect(await sms({ action: 'prepare', txnId: uniqueId('t'), operations: enqueue })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'DUPLICATE_MESSAGE' });
  });
});

describe('commit', () => {
  it('applies the redo list once, releases the locks, and repeats idempotently', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 300) });
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    const item = await readItem(pakka, 'payer-bank', key);
    expect(item).toMatchObject({ balance: 700, version: 2 });
    expect(item?.lockedBy).toBeUndefined();
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'COMMITTED' });
  });

  it('works from the stored redo list when the message carries no operations (recovery; the record layout)', async () => {
    // A hold in the item is found through its item, which only the operations name: recovery always sends them.
    const recordBank = recordLayoutBank();
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await recordBank({ action: 'prepare', txnId, operations: debit(key, 250) });
    expect(await recordBank({ action: 'commit', txnId })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 750 });
  });

  it('after abort is a protocol violation that changes nothing', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 300) });
    await bank({ action: 'abort', txnId, operations: debit(key, 300) });
    const before = [await readItem(pakka, 'payer-bank', key), await readRecord(pakka, 'payer-bank', txnId)];
    await expect(bank({ action: 'commit', txnId, operations: debit(key, 300) })).rejects.toMatchObject({
      name: 'Pakka.ProtocolViolation',
      code: 'COMMIT_AFTER_ABORT',
    });
    expect([await readItem(pakka, 'payer-bank', key), await readRecord(pakka, 'payer-bank', txnId)]).toEqual(before);
  });

  it('without a prepare is a protocol violation that writes nothing', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await expect(bank({ action: 'commit', txnId, operations: debit(key, 300) })).rejects.toMatchObject({ code: 'COMMIT_WITHOUT_PREPARE' });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toBeUndefined();
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 1000 });
  });
});

describe('abort', () => {
  it('releases the locks, records ABORTED, and repeats idempotently', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 300) });
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    const item = await readItem(pakka, 'payer-bank', key);
    expect(item).toMatchObject({ balance: 1000 });
    expect(item?.lockedBy).toBeUndefined();
  });

  it('after commit is a protocol violation that changes nothing', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 300) });
    await bank({ action: 'commit', txnId, operations: debit(key, 300) });
    const before = [await readItem(pakka, 'payer-bank', key), await readRecord(pakka, 'payer-bank', txnId)];
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 300) })).rejects.toMatchObject({
      name: 'Pakka.ProtocolViolation',
      code: 'ABORT_AFTER_COMMIT',
    });
    expect([await readItem(pakka, 'payer-bank', key), await readRecord(pakka, 'payer-bank', txnId)]).toEqual(before);
  });

  it('before any prepare leaves a tombstone, so the late prepare votes no and locks nothing (anti-hanging)', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 300) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect((await readItem(pakka, 'payer-bank', key))?.lockedBy).toBeUndefined();
  });

  /** A credit to a new account, prepared (the item holds only its promise) and then aborted. */
  async function abortedNewCredit(handler: ParticipantHandler): Promise<{ key: string; txnId: string }> {
    const key = uniqueId('new');
    const txnId = uniqueId('t');
    await handler({ action: 'prepare', txnId, operations: credit(key, 50) });
    const provisional = await readItem(pakka, 'payer-bank', key);
    expect(provisional).toMatchObject({ balance: 0, incoming: 50 });
    expect(provisional?.version).toBeUndefined();
    await handler({ action: 'abort', txnId, operations: credit(key, 50) });
    return { key, txnId };
  }

  it('removes an item that only its own prepare created (an aborted credit to a new account; the record layout)', async () => {
    const { key } = await abortedNewCredit(recordLayoutBank());
    expect(await readItem(pakka, 'payer-bank', key)).toBeUndefined();
  });

  it('leaves an item that only its own prepare created with no entry and no account, and a late prepare there holds nothing (a hold in the item)', async () => {
    const { key, txnId } = await abortedNewCredit(bank);
    // The abort removes its entry at once (the record, written first, answers) and dates the finish; without a
    // `version` every reader sees no account.
    const left = await readItem(pakka, 'payer-bank', key);
    expect(left).toMatchObject({ balance: 0, incoming: 0, prepared: 0, intents: {} });
    expect(typeof left?.lastFinishedAt).toBe('string');
    expect(left?.version).toBeUndefined();
    expect(await readRecord(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'ABORTED' });
    // A late duplicate of the prepare finds no entry: its write lands, and the record read beside it releases it in the same delivery.
    expect(await bank({ action: 'prepare', txnId, operations: credit(key, 50) })).toMatchObject({ vote: 'VOTE_ABORT' });
    const after = await readItem(pakka, 'payer-bank', key);
    expect(after).toMatchObject({ balance: 0, incoming: 0, prepared: 0, intents: {} });
    expect(after?.version).toBeUndefined();
  });

  it('works from the stored redo list when the message carries no operations (the record layout)', async () => {
    const recordBank = recordLayoutBank();
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await recordBank({ action: 'prepare', txnId, operations: debit(key, 300) });
    expect(await recordBank({ action: 'abort', txnId })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 1000, available: 1000, reserved: 0 });
    expect((await readItem(pakka, 'payer-bank', key))?.lockedBy).toBeUndefined();
  });
});

describe('READ_ONLY', () => {
  it('a check-only participant votes READ_ONLY, writes nothing, and is told so at commit', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    const check = [{ op: 'assertBalanceAtLeast', key, amount: 500 }];
    expect(await bank({ action: 'prepare', txnId, operations: check })).toMatchObject({ vote: 'READ_ONLY', reason: null });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toBeUndefined();
    expect((await readItem(pakka, 'payer-bank', key))?.lockedBy).toBeUndefined();
    expect(await bank({ action: 'commit', txnId, operations: check })).toMatchObject({ outcome: 'READ_ONLY' });
    expect(await bank({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'assertBalanceAtLeast', key, amount: 5000 }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });

  it("a check reads the committed balance: a prepared debit reserves, but the money is the payer's until it commits", async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(key, 900) });
    expect(await bank({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'assertBalanceAtLeast', key, amount: 500 }] })).toMatchObject({
      vote: 'READ_ONLY',
    });
    await bank({ action: 'commit', txnId, operations: debit(key, 900) });
    expect(await bank({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'assertBalanceAtLeast', key, amount: 500 }] })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
  });
});

describe('late and repeated deliveries', () => {
  it('a late duplicate of a READ_ONLY prepare may answer no, but writes nothing beside a decided transaction', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    const check = [{ op: 'assertBalanceAtLeast', key, amount: 800 }];
    expect(await bank({ action: 'prepare', txnId, operations: check })).toMatchObject({ vote: 'READ_ONLY' });
    const spend = uniqueId('t');
    await bank({ action: 'prepare', txnId: spend, operations: debit(key, 500) });
    await bank({ action: 'commit', txnId: spend, operations: debit(key, 500) });
    expect(await bank({ action: 'prepare', txnId, operations: check })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readRecord(pakka, 'payer-bank', txnId)).toBeUndefined();
  });

  it('a duplicate prepare that read before the commit and landed after it is never applied: the repeated commit releases it as a stray (a hold in the item)', async () => {
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 300) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // A second delivery of the prepare in another process: its record read goes through at once (no record yet),
    // its item write is held until the commit has removed the entry, so nothing in the item refuses it.
    const real = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
    const { passed: readDone, open: recordRead } = gate();
    const { passed: landing, open: land } = gate();
    const delayed = {
      send: async (command: { input?: { Key?: { pk?: unknown }; UpdateExpression?: unknown } }) => {
        const pk = String(command.input?.Key?.pk ?? '');
        if (pk.startsWith('ITEM#') && command.input?.UpdateExpression !== undefined) await landing;
        const out = await real.send(command as never);
        if (pk.startsWith('TXN#')) recordRead();
        return out;
      },
    } as unknown as DynamoDBDocumentClient;
    const late = payerBank(true, delayed)({ action: 'prepare', txnId, operations: debit(key, 300) });
    await readDone;
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'COMMITTED' });
    land();
    await late;
    // Whatever the late prepare left, the debit was applied once: its landing is not the one the record names (holdId).
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 700 });
    // A repeat of the commit (recovery's, which finds any P entry through heldItems) releases a stray landing.
    expect(await bank({ action: 'commit', txnId, operations: debit(key, 300) })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 700, available: 700, reserved: 0, prepared: 0, intents: {} });
  });

  it('a repeated abort finishes the clean-up of an abort that died after its write (the record layout)', async () => {
    const key = uniqueId('new');
    const txnId = uniqueId('t');
    const recordBank = recordLayoutBank();
    await recordBank({ action: 'prepare', txnId, operations: credit(key, 50) });
    const real = documentClient(localDynamoClient(inject('dynamoEndpoint')));
    let crashed = false;
    // The first abort's Lambda dies right after its TransactWriteItems, before deleting what prepare created.
    const dying = {
      send: (command: object) => {
        if (command instanceof DeleteCommand && !crashed) {
          crashed = true;
          return Promise.reject(new Error('Lambda died'));
        }
        return real.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const crashing = recordLayoutBank(dying);
    await expect(crashing({ action: 'abort', txnId, operations: credit(key, 50) })).rejects.toThrow('Lambda died');
    expect(await readItem(pakka, 'payer-bank', key)).toMatchObject({ balance: 0, incoming: 0 });
    expect(await recordBank({ action: 'abort', txnId, operations: credit(key, 50) })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    expect(await readItem(pakka, 'payer-bank', key)).toBeUndefined();
  });
});

describe('status', () => {
  it('reports the record and the locks it holds (the record layout)', async () => {
    // A status without operations cannot name the item a hold in the item lives in (docs/design.md, As built).
    const recordBank = recordLayoutBank();
    const key = await openAccount(1000);
    const txnId = uniqueId('t');
    expect(await recordBank({ action: 'status', txnId })).toMatchObject({ state: 'UNKNOWN', lockedKeys: [] });
    await recordBank({ action: 'prepare', txnId, operations: debit(key, 1) });
    expect(await recordBank({ action: 'status', txnId })).toMatchObject({ state: 'PREPARED', lockedKeys: [key] });
    await recordBank({ action: 'commit', txnId, operations: debit(key, 1) });
    expect(await recordBank({ action: 'status', txnId })).toMatchObject({ state: 'COMMITTED', lockedKeys: [] });
  });
});
