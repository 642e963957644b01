/**
 * Recovery's half of the lazy leaving of `heldItems` (docs/design.md, "The sparse index"): the sweep, reading
 * the items the index lists, takes out those idle for HELD_IDLE_MS, never one that holds a `P` entry, and still
 * finds every hold on an item whose keys were kept. Against DynamoDB Local under AWS's conflict rules.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { HELD_ITEMS_INDEX, heldShardOf } from '../../lambdas/participants/itemIntents.js';
import { PARTITION_KEY, itemKeyOf } from '../../lambdas/participants/table.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { HELD_IDLE_MS } from '../../lambdas/protocol/heldIntent.js';
import { heldItemsTidy } from '../../lambdas/recovery/heldItemsTidy.js';
import { inDoubtIndex } from '../../lambdas/recovery/inDoubtIndex.js';
import { participantIndexHoldsAny } from '../../lambdas/recovery/indexProbe.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { LEDGERS, LedgerWorld } from '../chaos/ledgerWorld.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { credit, debit, openAccount } from '../support/ledgerAccounts.js';
import { readItem } from '../support/participantTable.js';
import { alice, HOLDING_IN_ITEMS, transfer } from '../support/transferFixtures.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });

let pakka: LocalPakka;
let doc: DynamoDBDocumentClient;
let table: string;
/** The participant's and recovery's clock, moved by the tests. */
let clock = Date.parse('2030-01-01T00:00:00.000Z');
let bank: ParticipantHandler;

beforeAll(async () => {
  pakka = await testPakka({ config });
  doc = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  table = pakka.tables.participants.get('bank')!;
  bank = participantHandler({ name: 'bank', kind: ledger, tableName: table, client: doc, holdsInItems: true, now: () => new Date(clock).toISOString() });
});

/** The sweeper's read of the heldItems index (its tidy included), as recovery wires it, `limit` per page; the refs of `key`'s holds. */
async function sweepRead(key: string, limit = 1000) {
  const port = inDoubtIndex(
    doc,
    new Map([['bank', table]]),
    undefined,
    heldItemsTidy(doc, () => clock),
  );
  const { refs } = await port.preparedBefore(new Date(clock + 3_600_000).toISOString(), limit);
  return refs.filter((ref) => (ref.operations?.[0] as { key?: string } | undefined)?.key === key);
}

/**
 * A transaction that changes nothing (a debit prepared, then aborted): inside the horizon of the item's last one,
 * it finds the item busy, so its abort keeps the keys (the hybrid leaving, itemIntents.ts HeldKeys).
 */
async function touch(key: string): Promise<void> {
  const txnId = uniqueId('touch');
  await bank({ action: 'prepare', txnId, operations: debit(key, 1) });
  await bank({ action: 'abort', txnId, operations: debit(key, 1) });
}

/** An account the index still lists once opened: its opening alone is cold and would take the keys out. */
async function listedAccount(balance: number): Promise<string> {
  const key = await openAccount(bank, balance);
  await touch(key);
  return key;
}

const inIndex = async (key: string) => (await readItem(pakka, 'bank', key))?.heldShard !== undefined;

describe("the sweep's tidy of heldItems", () => {
  it('takes out an item idle for HELD_IDLE_MS, and keeps one used within it', async () => {
    const idle = await listedAccount(100);
    clock += HELD_IDLE_MS - 10_000;
    const busy = await listedAccount(100);
    clock += 10_001;
    // Idle just past the window (its last entry and its keys are older): out. The other's entry is 10 s old: kept.
    await sweepRead(idle);
    expect(await inIndex(idle)).toBe(false);
    expect(await inIndex(busy)).toBe(true);
    expect(await readItem(pakka, 'bank', idle)).toMatchObject({ balance: 100, available: 100, prepared: 0 });
    // The next prepare puts the item back (if_not_exists), and the sweep finds its hold.
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: debit(idle, 10) });
    expect(await inIndex(idle)).toBe(true);
    expect((await sweepRead(idle)).map((ref) => ref.txnId)).toEqual([txnId]);
    await bank({ action: 'abort', txnId, operations: debit(idle, 10) });
  });

  it('a stale tidy (two sweeps at once) never takes out keys that went in again within the window', async () => {
    const key = await listedAccount(100);
    clock += 2 * HELD_IDLE_MS;
    const tidy = heldItemsTidy(doc, () => clock);
    // Two sweeps read the item idle; the first takes it out.
    const read = await readItem(pakka, 'bank', key);
    expect(await tidy(table, [read!])).toEqual({ tidied: 1, skipped: 0 });
    expect(await inIndex(key)).toBe(false);
    // A transaction puts it back in the index and finishes: it holds nothing again, but its keys are new.
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: credit(key, 5) });
    await bank({ action: 'commit', txnId, operations: credit(key, 5) });
    await touch(key);
    // The second sweep's tidy, sent on what it read before, is refused by heldSince, not only by the read.
    expect(await tidy(table, [read!])).toEqual({ tidied: 0, skipped: 1 });
    expect(await inIndex(key)).toBe(true);
  });

  it('a prepare racing the tidy: the tidy, sent on the idle item the sweep read, is refused, and the hold is found', async () => {
    const key = await listedAccount(100);
    clock += 2 * HELD_IDLE_MS;
    const tidy = heldItemsTidy(doc, () => clock);
    // The sweep read the item idle ...
    const read = await readItem(pakka, 'bank', key);
    // ... a prepare lands before the tidy is sent ...
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 40) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // ... so the tidy's condition (prepared = 0) refuses it: skipped, the keys stay.
    expect(await tidy(table, [read!])).toEqual({ tidied: 0, skipped: 1 });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ prepared: 1, heldShard: read?.heldShard, heldSince: read?.heldSince });
    // A later sweep reads it holding, finds the hold, and tidies nothing.
    expect((await sweepRead(key)).map((ref) => ref.txnId)).toEqual([txnId]);
    expect(await inIndex(key)).toBe(true);
    await bank({ action: 'commit', txnId, operations: debit(key, 40) });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 60, available: 60, reserved: 0, prepared: 0 });
  });
});

describe('a busy shard', () => {
  it('the sweep reads every page of a shard: a hold behind items that stay listed is still found', async () => {
    // Two accounts listed in one shard, then a hold on a third item of that shard: it sorts after them (heldSince).
    const inShard = (shard: string) => {
      for (;;) {
        const key = uniqueId('acct');
        if (heldShardOf(itemKeyOf(key)[PARTITION_KEY]!) === shard) return key;
      }
    };
    const first = await listedAccount(100);
    const shard = heldShardOf(itemKeyOf(first)[PARTITION_KEY]!);
    const second = inShard(shard);
    const opened = uniqueId('open');
    await bank({ action: 'prepare', txnId: opened, operations: credit(second, 1) });
    await bank({ action: 'commit', txnId: opened, operations: credit(second, 1) });
    await touch(second);
    clock += 1;
    const behind = inShard(shard);
    const txnId = uniqueId('t');
    await bank({ action: 'prepare', txnId, operations: credit(behind, 5) });
    // Pages of 2 (the sweep's limit): the hold is on the shard's second page at least.
    expect((await sweepRead(behind, 2)).map((ref) => ref.txnId)).toEqual([txnId]);
    await bank({ action: 'abort', txnId, operations: credit(behind, 5) });
  });
});

describe('recovery, end to end, on items that kept their keys', () => {
  const worlds: LedgerWorld[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => w.destroy()));
  });

  it('finds and aborts a stopped transaction on items still listed from the one before, then empties the index once they are idle', async () => {
    const w = await LedgerWorld.create({
      endpoint: inject('dynamoEndpoint'),
      faults: [{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't2' }],
      config: HOLDING_IN_ITEMS,
    });
    worlds.push(w);
    await w.fund([{ ...alice, balance: 5000 }]);
    // t0 leaves the items cold (its commits take them out of the index); t1, inside the horizon, finds them busy.
    await w.start('t0', transfer).done;
    await w.start('t1', transfer).done;
    await w.injector.settled();
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED' });
    // t1 is finished everywhere, and its items are still listed.
    const listed = async () => (await w.scanParticipants()).filter(({ item }) => String(item.pk).startsWith('ITEM#') && item.heldShard !== undefined);
    const afterT1 = await listed();
    expect(afterT1.length).toBeGreaterThanOrEqual(3);
    expect(afterT1.every(({ item }) => item.prepared === 0)).toBe(true);

    await w.start('t2', transfer).done;
    await w.injector.settled();
    expect(w.injector.wasStopped('t2')).toBe(true);
    // t2's holds are on the same items, whose keys its prepares did not write again.
    const heldSince = new Map(afterT1.map(({ participant, item }) => [`${participant}/${String(item.pk)}`, item.heldSince]));
    for (const { participant, item } of await listed()) {
      const was = heldSince.get(`${participant}/${String(item.pk)}`);
      if (was !== undefined) expect(item.heldSince).toBe(was);
    }

    // The sweep (its clock an hour ahead) finds t2 through heldItems and aborts it; the items held t2 while it read them, so none left.
    const report = await w.recovery().sweep();
    expect(report).toMatchObject({ decided: 1, hazards: 0 });
    expect(await w.logItem('t2')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery' });
    expect(await w.balance(alice)).toBe(3000);
    expect(await w.invariantViolations()).toEqual([]);
    // The next sweep finds every item idle and takes it out: the index is empty, and the probe skips its shards again.
    expect((await w.recovery().sweep()).quiet).toBe(true);
    expect(await listed()).toEqual([]);
    for (const participant of LEDGERS) {
      expect(await participantIndexHoldsAny(w.doc, w.pakka.tables.participants.get(participant)!, HELD_ITEMS_INDEX)).toBe(false);
    }
    expect(await w.invariantViolations()).toEqual([]);
  });
});
