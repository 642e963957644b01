/**
 * Recovery under the hybrid leaving of `heldItems` (docs/design.md, "The sparse index"; itemIntents.ts HeldKeys):
 * after a transfer whose commits took cold items out of the index and left busy ones in, a stopped transaction's
 * holds on both kinds of items are in the index (I5), and recovery's sweep finds and finishes them. End to end
 * in a LedgerWorld, against DynamoDB Local under AWS's conflict rules.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LedgerWorld } from '../chaos/ledgerWorld.js';
import { alice, HOLDING_IN_ITEMS, transfer } from '../support/transferFixtures.js';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

describe('recovery finds a hold on a cold item and on a busy one', () => {
  it('after a commit took the cold items out of the index, the next transaction, stopped, is found through it and aborted', async () => {
    const w = await LedgerWorld.create({
      endpoint: inject('dynamoEndpoint'),
      faults: [{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't2' }],
      config: HOLDING_IN_ITEMS,
    });
    worlds.push(w);
    await w.fund([{ ...alice, balance: 5000 }]);
    // A transfer of alice's just before t1 makes her item busy at t1's commit (a hold finished there inside the horizon).
    await w.start('t0', { from: alice, to: { participant: 'payee-bank', key: 'carol' }, amount: 1, fee: 0 }).done;
    await w.start('t1', transfer).done;
    await w.injector.settled();
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED' });

    // t1's commits: the payee's and the fee account's items held t1's entry alone (cold: out of the index);
    // alice's had finished t0 inside the horizon (busy: its keys stay for the sweep's tidy).
    const items = async () => (await w.scanParticipants()).filter(({ item }) => String(item.pk).startsWith('ITEM#'));
    const afterT1 = await items();
    const cold = afterT1.filter(({ item }) => item.heldShard === undefined);
    const busy = afterT1.filter(({ item }) => item.heldShard !== undefined);
    expect(cold.length).toBeGreaterThanOrEqual(2);
    expect(busy.map(({ participant }) => participant)).toContain(alice.participant);
    expect(afterT1.every(({ item }) => item.prepared === 0)).toBe(true);

    await w.start('t2', transfer).done;
    await w.injector.settled();
    expect(w.injector.wasStopped('t2')).toBe(true);
    // t2 holds on every item, the cold ones put back in the index by their prepares (I5 among the invariants).
    const held = (await items()).filter(({ item }) => item.pk !== 'ITEM#carol');
    expect(held.every(({ item }) => item.prepared === 1 && item.heldShard !== undefined)).toBe(true);
    // Only "held implies indexed" applies while t2 holds (the others are checked when quiet).
    expect((await w.invariantViolations()).filter((problem) => problem.includes('heldItems'))).toEqual([]);

    const report = await w.recovery().sweep();
    expect(report).toMatchObject({ decided: 1, hazards: 0 });
    expect(await w.logItem('t2')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery' });
    expect(await w.balance(alice)).toBe(3999);
    expect(await w.invariantViolations()).toEqual([]);
  });
});
