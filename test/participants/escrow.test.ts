/**
 * Hot items (issue: no good transaction aborts because another touches the same account): escrow
 * reservations, lock-free credits, the largest balance, sharded keys, and the refusal of a record
 * Pakka 0.1 wrote. Against real tables in DynamoDB Local.
 */
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { tableReads } from '../../lambdas/api/tableReads.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { MAX_QUANTITY, settledEscrowItem } from '../../lambdas/participants/escrow.js';
import { mergeShards, splitConsumption } from '../../lambdas/participants/hotItems.js';
import { MAX_MINOR_UNITS } from '../../lambdas/participants/kinds/fields.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import type { ParticipantHandler } from '../../lambdas/participants/runtime.js';
import { itemKeyOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { digestOf } from '../../lambdas/participants/transactions.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { participant, readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const config = parseParticipantConfig({
  defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
  participants: {
    'payer-bank': { kind: 'ledger', shardedKeys: { 'hot-wallet': 4 } },
    // One-item escrows hold in the item: single-item writes, which AWS's conflict rules never set against each other.
    'payee-bank': { kind: 'ledger', holdsInItems: true },
    'upi-switch': { kind: 'ledger', shardedKeys: { 'fees-hot': 8, 'fees-full': 8 } },
    warehouse: { kind: 'inventory', holdsInItems: true },
  },
});

let pakka: LocalPakka;
let bank: ParticipantHandler;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  pakka = await testPakka({ config });
  bank = participant(pakka, 'payee-bank');
  doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
});

const debit = (key: string, amount: number) => [{ op: 'debit', key, amount }];
const credit = (key: string, amount: number) => [{ op: 'credit', key, amount }];

async function settle(handler: ParticipantHandler, action: 'commit' | 'abort', txnId: string, operations: unknown[]) {
  expect(await handler({ action, txnId, operations })).toMatchObject({ outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
}

async function openAccount(handler: ParticipantHandler, balance: number, key = uniqueId('acct')): Promise<string> {
  const txnId = uniqueId('open');
  await handler({ action: 'prepare', txnId, operations: credit(key, balance) });
  await settle(handler, 'commit', txnId, credit(key, balance));
  return key;
}

const tableOf = (name: string, p: LocalPakka = pakka) => p.tables.participants.get(name)!;

/** The item as the API reads it: a sharded key summed over its shards. */
const readView = (name: string, key: string, p: LocalPakka = pakka) => tableReads(doc, p.tables, config).readParticipantItem(name, key);

async function scanItems(name: string, prefix: string, p: LocalPakka = pakka): Promise<Array<Record<string, unknown>>> {
  const out = await doc.send(new ScanCommand({ TableName: tableOf(name, p), ConsistentRead: true }));
  return (out.Items ?? []).filter((i) => String(i.pk).startsWith(`ITEM#${prefix}`));
}

describe('escrow on one account', () => {
  it('fifty concurrent debits reserve exactly what the balance covers, never more, and need no lock', async () => {
    const key = await openAccount(bank, 30);
    const txns = Array.from({ length: 50 }, () => uniqueId('d'));
    const votes = await Promise.all(txns.map((txnId) => bank({ action: 'prepare', txnId, operations: debit(key, 1) })));
    const yes = txns.filter((_, i) => (votes[i] as { vote: string }).vote === 'VOTE_COMMIT');
    expect(yes).toHaveLength(30);
    expect(votes.filter((v) => (v as { reason?: string }).reason === 'INSUFFICIENT_FUNDS')).toHaveLength(20);
    expect(votes.some((v) => (v as { reason?: string }).reason === 'LOCK_CONFLICT')).toBe(false);
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 30, available: 0, reserved: 30 });
    // Half commit, half abort, in any order: what is left is exact and nothing stays reserved.
    await Promise.all(yes.map((txnId, i) => settle(bank, i % 2 ? 'abort' : 'commit', txnId, debit(key, 1))));
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 15, available: 15, reserved: 0, incoming: 0, headroom: MAX_QUANTITY - 15 });
  });

  it('credits to one account all prepare at once, none waits for another, and each applies once', async () => {
    const key = await openAccount(bank, 1);
    const txns = Array.from({ length: 30 }, () => uniqueId('c'));
    const votes = await Promise.all(txns.map((txnId) => bank({ action: 'prepare', txnId, operations: credit(key, 10) })));
    expect(votes.every((v) => (v as { vote: string }).vote === 'VOTE_COMMIT')).toBe(true);
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 1, incoming: 300 });
    await Promise.all(txns.map((txnId) => settle(bank, 'commit', txnId, credit(key, 10))));
    await Promise.all(
      txns.map(async (txnId) => expect(await bank({ action: 'commit', txnId, operations: credit(key, 10) })).toMatchObject({ repeated: true })),
    );
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 301, available: 301, incoming: 0 });
  });

  it('an abort releases exactly its own reservation; a repeat or a commit after it changes nothing', async () => {
    const key = await openAccount(bank, 100);
    const [a, b] = [uniqueId('t'), uniqueId('t')];
    await bank({ action: 'prepare', txnId: a, operations: debit(key, 60) });
    await bank({ action: 'prepare', txnId: b, operations: debit(key, 40) });
    await settle(bank, 'abort', a, debit(key, 60));
    await settle(bank, 'abort', a, debit(key, 60));
    await expect(bank({ action: 'commit', txnId: a, operations: debit(key, 60) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 100, available: 60, reserved: 40 });
    await settle(bank, 'commit', b, debit(key, 40));
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: 60, available: 60, reserved: 0 });
  });

  it('inventory reserves stock the same way: many orders of one SKU at once, never below zero', async () => {
    const warehouse = participant(pakka, 'warehouse');
    const sku = uniqueId('sku');
    const t0 = uniqueId('t');
    await warehouse({ action: 'prepare', txnId: t0, operations: [{ op: 'restock', key: sku, quantity: 5 }] });
    await settle(warehouse, 'commit', t0, [{ op: 'restock', key: sku, quantity: 5 }]);
    const orders = Array.from({ length: 8 }, () => uniqueId('o'));
    const votes = await Promise.all(orders.map((txnId) => warehouse({ action: 'prepare', txnId, operations: [{ op: 'reserve', key: sku, quantity: 1 }] })));
    expect(votes.filter((v) => (v as { vote: string }).vote === 'VOTE_COMMIT')).toHaveLength(5);
    expect(votes.filter((v) => (v as { reason?: string }).reason === 'OUT_OF_STOCK')).toHaveLength(3);
    expect(await readItem(pakka, 'warehouse', sku)).toMatchObject({ stock: 5, available: 0, reserved: 5 });
  });
});

describe('the largest balance', () => {
  it('a credit that could take an account past 2^53 - 1 votes LIMIT_EXCEEDED, counting credits still prepared', async () => {
    const key = uniqueId('rich');
    await doc.send(new PutCommand({ TableName: tableOf('payee-bank'), Item: { ...itemKeyOf(key), ...settledEscrowItem('balance', MAX_QUANTITY - 10) } }));
    const [first, second] = [uniqueId('t'), uniqueId('t')];
    expect(await bank({ action: 'prepare', txnId: first, operations: credit(key, 6) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // 6 more would fit the committed balance, but not beside the 6 already promised.
    expect(await bank({ action: 'prepare', txnId: second, operations: credit(key, 6) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LIMIT_EXCEEDED' });
    await settle(bank, 'commit', first, credit(key, 6));
    expect(await bank({ action: 'prepare', txnId: uniqueId('t'), operations: credit(key, 4) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await readItem(pakka, 'payee-bank', key)).toMatchObject({ balance: MAX_QUANTITY - 4, headroom: 0, incoming: 4 });
  });
});

describe('hot keys spread over shards', () => {
  let sharded: LocalPakka;
  beforeAll(async () => {
    sharded = await testPakka({
      config,
      withoutAwsConflictRules:
        'a sharded key keeps the record layout (holds live in the item only for one escrow on one unsharded item, docs/design.md), so each prepare here is a TransactWriteItems over the record and a shard, and many at once on one shard cancel each other under AWS conflict rules; these tests pin the placement and the split, and BENCHMARKS.md measures the sharded fee account under the rules',
    });
  });

  it('splits a debit over shards in as few parts as cover it, and refuses what all shards together lack', () => {
    expect(splitConsumption(5, [1, 9, 2], 0)).toEqual([{ index: 1, amount: 5 }]);
    expect(splitConsumption(10, [4, 3, 5], 1)).toEqual([
      { index: 1, amount: 3 },
      { index: 2, amount: 5 },
      { index: 0, amount: 2 },
    ]);
    expect(splitConsumption(13, [4, 3, 5], 0)).toBeUndefined();
  });

  it('reads a sharded key as the sum of its shards', () => {
    expect(
      mergeShards([
        { pk: 'a', balance: 3, available: 1, reserved: 2, headroom: 9, version: 2 },
        { pk: 'b', balance: 4, available: 4, reserved: 0, version: 5 },
      ]),
    ).toEqual({
      balance: 7,
      available: 5,
      reserved: 2,
      version: 5,
    });
    expect(mergeShards([])).toBeUndefined();
  });

  it('credits to a sharded fee account land on several shard items; the API shows their sum', async () => {
    const switchFees = participant(sharded, 'upi-switch');
    const txns = Array.from({ length: 40 }, () => uniqueId('fee'));
    await Promise.all(txns.map((txnId) => switchFees({ action: 'prepare', txnId, operations: credit('fees-hot', 5) })));
    await Promise.all(txns.map((txnId) => settle(switchFees, 'commit', txnId, credit('fees-hot', 5))));
    const shards = await scanItems('upi-switch', 'fees-hot#', sharded);
    expect(shards.length).toBeGreaterThan(4); // 40 transactions over 8 shards: a hash that put them all on a few would fail here
    expect(shards.reduce((n, s) => n + Number(s.balance), 0)).toBe(200);
    expect(await readView('upi-switch', 'fees-hot', sharded)).toMatchObject({ balance: 200, available: 200, reserved: 0, incoming: 0, shards: 8 });
  });

  it('a sharded key never holds more than 2^53 - 1 in all: each shard takes at most its share, and the API shows the exact sum (issue 21 D13)', async () => {
    const switchFees = participant(sharded, 'upi-switch');
    const votes: string[] = [];
    // Ten of the largest credit an operation may carry (10^15) would sum past 2^53 - 1 if every shard
    // took them; with 8 shards and the key's own item each may hold a ninth of it, so one credit each.
    for (let i = 0; i < 10; i++) {
      const txnId = uniqueId('max');
      const answer = (await switchFees({ action: 'prepare', txnId, operations: credit('fees-full', MAX_MINOR_UNITS) })) as {
        vote: string;
        reason: string | null;
      };
      votes.push(answer.vote === 'VOTE_COMMIT' ? 'yes' : String(answer.reason));
      if (answer.vote === 'VOTE_COMMIT') await settle(switchFees, 'commit', txnId, credit('fees-full', MAX_MINOR_UNITS));
    }
    const committed = votes.filter((v) => v === 'yes').length;
    expect(votes.filter((v) => v !== 'yes').every((v) => v === 'LIMIT_EXCEEDED')).toBe(true);
    expect(committed).toBeLessThan(10);
    const shards = await scanItems('upi-switch', 'fees-full#', sharded);
    const total = shards.reduce((n, s) => n + Number(s.balance), 0);
    expect(total).toBe(committed * MAX_MINOR_UNITS);
    expect(total).toBeLessThanOrEqual(MAX_QUANTITY);
    expect(await readView('upi-switch', 'fees-full', sharded)).toMatchObject({ balance: total, incoming: 0 });
  });

  it('a debit larger than any one shard splits over several; commit and abort follow the split the record keeps', async () => {
    const wallet = participant(sharded, 'payer-bank');
    const fundings = Array.from({ length: 12 }, () => uniqueId('f'));
    await Promise.all(fundings.map((txnId) => wallet({ action: 'prepare', txnId, operations: credit('hot-wallet', 10) })));
    await Promise.all(fundings.map((txnId) => settle(wallet, 'commit', txnId, credit('hot-wallet', 10))));
    const shardBalances = (await scanItems('payer-bank', 'hot-wallet#', sharded)).map((s) => Number(s.balance));
    const big = Math.max(...shardBalances) + 1; // no single shard covers it
    const spend = uniqueId('spend');
    expect(await wallet({ action: 'prepare', txnId: spend, operations: debit('hot-wallet', big) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    const record = await readRecord(sharded, 'payer-bank', spend);
    const parts = (record?.placements as Record<string, Array<{ amount: number }>>)['hot-wallet']!;
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.reduce((n, p) => n + p.amount, 0)).toBe(big);
    const refused = uniqueId('over');
    expect(await wallet({ action: 'prepare', txnId: refused, operations: debit('hot-wallet', 121 - big) })).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'INSUFFICIENT_FUNDS',
    });
    await settle(wallet, 'abort', spend, debit('hot-wallet', big));
    expect(await readView('payer-bank', 'hot-wallet', sharded)).toMatchObject({ balance: 120, available: 120, reserved: 0 });
    const again = uniqueId('spend');
    await wallet({ action: 'prepare', txnId: again, operations: debit('hot-wallet', big) });
    await settle(wallet, 'commit', again, debit('hot-wallet', big));
    await settle(wallet, 'commit', again, debit('hot-wallet', big));
    expect(await readView('payer-bank', 'hot-wallet', sharded)).toMatchObject({ balance: 120 - big, available: 120 - big, reserved: 0 });
  });

  it('a check or a lock cannot spread over shards: refused as a malformed request, nothing written', async () => {
    await expect(
      participant(
        sharded,
        'payer-bank',
      )({ action: 'prepare', txnId: uniqueId('t'), operations: [{ op: 'assertBalanceAtLeast', key: 'hot-wallet', amount: 1 }] }),
    ).rejects.toMatchObject({
      name: 'Pakka.InvalidRequest',
      message: expect.stringContaining('hot-wallet is sharded'),
    });
    expect(() =>
      parseParticipantConfig({
        defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
        participants: { cinema: { kind: 'booking', shardedKeys: { a: 2 } } },
      }),
    ).toThrow(/shardedKeys needs a kind/);
  });
});

describe('a record Pakka 0.1 prepared (no `layout`)', () => {
  it('is refused with a message saying so, and nothing is changed (0.x was never published)', async () => {
    const [key, old] = [uniqueId('old-item'), uniqueId('old')];
    const operations = debit(key, 200);
    const item = { ...itemKeyOf(key), balance: 500, version: 1, lockedBy: old };
    const record = { ...recordKeyOf(old), txnId: old, state: 'PREPARED', operations, digest: digestOf(operations), lockedKeys: [key] };
    await doc.send(new PutCommand({ TableName: tableOf('payee-bank'), Item: item }));
    await doc.send(new PutCommand({ TableName: tableOf('payee-bank'), Item: record }));
    for (const action of ['commit', 'abort'] as const) {
      await expect(bank({ action, txnId: old, operations })).rejects.toThrow(
        `record TXN#${old} has no layout: Pakka 0.1 prepared it, and this version does not finish 0.1's records`,
      );
    }
    expect(await readItem(pakka, 'payee-bank', key)).toEqual(item);
    expect(await readRecord(pakka, 'payee-bank', old)).toEqual(record);
  });
});
