/**
 * Recovery of holds that live in their item (docs/design.md, "Holds that live in the item"): nothing in
 * the inDoubt index and no record tells of them, so recovery finds them through the sparse heldItems
 * index and finishes them with the redo list the entry keeps. I1-I5 checked on the tables after each case.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, inject, afterEach } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { inDoubtIndex } from '../../lambdas/recovery/inDoubtIndex.js';
import { type ParticipantIndex, participantIndexHoldsAny } from '../../lambdas/recovery/indexProbe.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { FaultSpec } from '../../local/faults.js';
import { LEDGERS, LedgerWorld } from '../chaos/ledgerWorld.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import {
  alice,
  transferBalances,
  bob,
  COMMITTED_BALANCES,
  entryStates,
  fees,
  HOLDING_IN_ITEMS,
  finishedSince,
  recordStates,
  transfer,
} from '../support/transferFixtures.js';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

async function world(faults: FaultSpec[] = []): Promise<LedgerWorld> {
  const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults, config: HOLDING_IN_ITEMS });
  worlds.push(w);
  await w.fund([{ ...alice, balance: 5000 }]);
  return w;
}

async function runTransfer(w: LedgerWorld, txnId: string) {
  const outcome = await w.start(txnId, transfer).done;
  await w.injector.settled();
  return outcome;
}

describe('recovery finds holds in their items through heldItems', () => {
  it('a coordinator stopped before its decision: the three prepared entries are found, ABORT is logged, and each is released with its own redo list', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(w.injector.wasStopped('t1')).toBe(true);
    expect(await w.logItem('t1')).toBeUndefined();
    // No record anywhere: the state is in the items alone.
    for (const p of LEDGERS) expect(await w.recordState(p, 't1')).toBeUndefined();
    expect(await entryStates(w, 't1')).toEqual({ 'payer-bank': 'P', 'payee-bank': 'P', 'upi-switch': 'P' });

    const sweptFrom = new Date().toISOString();
    const report = await w.recovery().sweep();
    // Only t1 is decided here; on a loaded machine the funding's own transaction may also be finalized by this sweep.
    expect(report).toMatchObject({ decided: 1, pending: 0, hazards: 0 });
    expect(report.finalized).toBeGreaterThanOrEqual(1);
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'recovery' });
    for (const p of LEDGERS) expect(await w.recordState(p, 't1')).toBe('ABORTED');
    // Each abort removed its entry at once (the record, written first, answers) and dated its item's finish.
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await finishedSince(w, sweptFrom)).toEqual(['alice', 'bob', 'fees']);
    expect(await w.balance(alice)).toBe(5000);
    expect(await w.invariantViolations()).toEqual([]);
    expect((await w.recovery().sweep()).quiet).toBe(true);
  });

  it('a commit that kept failing at one participant: recovery finds its entry still prepared and commits it', async () => {
    const w = await world([
      { fault: 'fail', participant: 'payee-bank', action: 'commit', times: 7, txnId: 't1' },
      { fault: 'stopCoordinator', at: 'CommitLeftToRecovery', txnId: 't1' },
    ]);
    await runTransfer(w, 't1');
    expect(w.injector.wasStopped('t1')).toBe(true);
    expect(await entryStates(w, 't1')).toMatchObject({ 'payee-bank': 'P' });
    await w.recovery().sweep();
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT' });
    // Each commit removed its entry at once; the records say COMMITTED.
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await recordStates(w, 't1')).toEqual({ 'payer-bank': 'COMMITTED', 'payee-bank': 'COMMITTED', 'upi-switch': 'COMMITTED' });
    expect({ alice: await w.balance(alice), bob: await w.balance(bob), fees: await w.balance(fees) }).toEqual({ alice: 4000, bob: 990, fees: 10 });
    expect(await w.invariantViolations()).toEqual([]);
  });
});

/** A client of the world's DynamoDB whose process dies at its first write to a business item: that write is never sent. */
function killedAtItemWrite() {
  const doc = documentClient(localDynamoClient(inject('dynamoEndpoint')));
  let armed = true;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      // The document client's command, its key either as given or already marshalled.
      const pk = (args.input as { Key?: { pk?: string | { S?: string } } }).Key?.pk;
      const key = typeof pk === 'string' ? pk : pk?.S;
      if (armed && /^Update(Item)?Command$/.test(context.commandName ?? '') && key?.startsWith('ITEM#')) {
        armed = false;
        throw new Error('the participant was killed between its record write and its item write');
      }
      return next(args);
    },
    { step: 'initialize', name: 'killAtItemWrite' },
  );
  return doc;
}

describe('a commit that crashed between its record and its item write', () => {
  it('the transaction reads COMMITTING until the item is written (the record alone is not phase 2 done), and recovery finishes the item', async () => {
    const w = await world([
      { fault: 'fail', participant: 'payee-bank', action: 'commit', times: 7, txnId: 't1' },
      { fault: 'stopCoordinator', at: 'CommitLeftToRecovery', txnId: 't1' },
    ]);
    const startedAt = new Date().toISOString();
    await runTransfer(w, 't1');
    // The two commits that succeeded removed their entries; payee-bank's is still prepared, with no record yet.
    expect(await entryStates(w, 't1')).toEqual({ 'payee-bank': 'P' });
    expect(await recordStates(w, 't1')).toEqual({ 'payer-bank': 'COMMITTED', 'payee-bank': undefined, 'upi-switch': 'COMMITTED' });
    const operations = (await w.logItem('t1'))?.participantsJson.find((p) => p.name === 'payee-bank')?.operations;
    const payee = participantHandler({
      name: 'payee-bank',
      kind: ledger,
      tableName: w.pakka.tables.participants.get('payee-bank') as string,
      client: killedAtItemWrite(),
      holdsInItems: true,
    });
    await expect(payee({ action: 'commit', txnId: 't1', operations })).rejects.toThrow('killed between its record write and its item write');
    expect(await w.recordState('payee-bank', 't1')).toBe('COMMITTED');
    expect(await entryStates(w, 't1')).toEqual({ 'payee-bank': 'P' });
    expect(await finishedSince(w, startedAt)).toEqual(['alice', 'fees']);
    // bob is not credited yet and his item still holds the promise: phase 2 is not done there.
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTING', phase2Json: ['ACKED', 'PENDING', 'ACKED'] });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({
      status: 'COMMITTING',
      participants: [{ phaseTwo: 'ACKED' }, { phaseTwo: 'PENDING' }, { phaseTwo: 'ACKED' }],
    });
    expect(await transferBalances(w)).toEqual({ alice: 4000, bob: undefined, fees: 10 });

    await w.recovery().sweep();
    // Recovery's repeat of the commit wrote the item: the entry is gone and the finish dated.
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await finishedSince(w, startedAt)).toEqual(['alice', 'bob', 'fees']);
    expect(await recordStates(w, 't1')).toEqual({ 'payer-bank': 'COMMITTED', 'payee-bank': 'COMMITTED', 'upi-switch': 'COMMITTED' });
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED', phase2Json: ['ACKED', 'ACKED', 'ACKED'] });
    expect(await transferBalances(w)).toEqual(COMMITTED_BALANCES);
    expect(await w.invariantViolations()).toEqual([]);
  });
});

describe('an operator resolves a transaction with no log item whose holds live in their items', () => {
  it('status without operations sees each prepared entry through heldItems; the ABORT is logged and each entry released', async () => {
    const w = await world([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    await runTransfer(w, 't1');
    expect(await w.logItem('t1')).toBeUndefined();
    expect(await entryStates(w, 't1')).toEqual({ 'payer-bank': 'P', 'payee-bank': 'P', 'upi-switch': 'P' });
    const operator = w.recovery({ now: Date.now });
    const resolvedFrom = new Date().toISOString();
    // Which participants took part is unknown without a log item: still only ABORT.
    expect(await operator.resolve('t1', { decision: 'COMMIT', operator: 'asha', reason: 'coordinator lost' })).toMatchObject({
      ok: false,
      status: 409,
      code: 'VOTES_UNKNOWN',
    });
    expect(await operator.resolve('t1', { decision: 'ABORT', operator: 'asha', reason: 'coordinator lost' })).toMatchObject({ ok: true, decision: 'ABORT' });
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', decision: 'ABORT', decidedBy: 'operator:asha' });
    expect((await w.logItem('t1'))?.participantsJson.map((p) => p.name).sort()).toEqual([...LEDGERS].sort());
    // Each abort removed its entry at once; the records say ABORTED.
    expect(await entryStates(w, 't1')).toEqual({});
    expect(await finishedSince(w, resolvedFrom)).toEqual(['alice', 'bob', 'fees']);
    for (const p of LEDGERS) expect(await w.recordState(p, 't1')).toBe('ABORTED');
    expect(await w.balance(alice)).toBe(5000);
    expect(await w.invariantViolations()).toEqual([]);
  });
});

describe('a table from before heldItems', () => {
  it('is read as holding nothing in its items, and its PREPARED records are still found, with or without the sweep probe', async () => {
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    const TableName = `old-${randomUUID().slice(0, 8)}`;
    await dynamo.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'inDoubtPartition', 'inDoubtSince'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'inDoubt',
            KeySchema: [
              { AttributeName: 'inDoubtPartition', KeyType: 'HASH' },
              { AttributeName: 'inDoubtSince', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['txnId'] },
          },
        ],
      }),
    );
    try {
      await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName });
      const doc = documentClient(dynamo);
      const since = new Date(Date.now() - 60_000).toISOString();
      await doc.send(
        new PutCommand({ TableName, Item: { pk: 'TXN#old', txnId: 'old', state: 'PREPARED', inDoubtPartition: 'PREPARED#3', inDoubtSince: since } }),
      );
      const tables = new Map([['bank', TableName]]);
      const probed: string[] = [];
      const probe = (table: string, index: ParticipantIndex) => {
        probed.push(index);
        return participantIndexHoldsAny(doc, table, index);
      };
      for (const port of [inDoubtIndex(doc, tables), inDoubtIndex(doc, tables, probe)]) {
        expect(await port.preparedBefore(new Date().toISOString(), 10)).toEqual({
          refs: [{ participant: 'bank', txnId: 'old', inDoubtSince: since }],
          oldestSince: since,
        });
      }
      // The sweep's probe asked both indexes; the missing heldItems one read as empty.
      expect(probed.sort()).toEqual(['heldItems', 'inDoubt']);
    } finally {
      await dynamo.send(new DeleteTableCommand({ TableName }));
    }
  });
});
