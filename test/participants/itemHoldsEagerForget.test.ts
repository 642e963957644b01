/**
 * Adversarial review of eager forgetting (commit and abort remove their entry at once; the stray guard by
 * landing id): interleavings injected against DynamoDB Local, each asserting the property the design claims.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { CoordinatorVariant } from '../../lambdas/config/coordinatorVariant.js';
import { decidedRecordPut } from '../../lambdas/participants/itemIntents.js';
import { digestOf } from '../../lambdas/participants/transactions.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { FaultSpec } from '../../local/faults.js';
import { LedgerWorld } from '../chaos/ledgerWorld.js';
import { HOLDING_IN_ITEMS, alice, entryStates, transfer } from '../support/transferFixtures.js';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

async function world(faults: FaultSpec[] = [], variant: CoordinatorVariant = 'express'): Promise<LedgerWorld> {
  const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults, config: HOLDING_IN_ITEMS, variant });
  worlds.push(w);
  await w.fund([{ ...alice, balance: 5000 }]);
  return w;
}

/** The payer's operations as the coordinator sends them (same digest). */
const payerOps = [{ op: 'debit', key: alice.key, amount: transfer.amount }];

/**
 * A second process of payer-bank whose prepare write to the item is held back until `release()` (a slow first
 * attempt that Step Functions gave up on), while the record read sent beside it is served at once.
 */
function slowPrepareProcess(w: LedgerWorld, now?: () => string) {
  const doc: DynamoDBDocumentClient = documentClient(localDynamoClient(inject('dynamoEndpoint')));
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let recordRead: () => void = () => {};
  const recordServed = new Promise<void>((r) => (recordRead = r));
  const send = doc.send.bind(doc);
  const slow = new Proxy(doc, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        const isPrepareWrite = command instanceof UpdateCommand && String(command.input.ConditionExpression).includes('attribute_not_exists(#in.#t)');
        if (isPrepareWrite) await gate;
        const out = await send(command as never);
        if (command instanceof GetCommand && String((command.input.Key as { pk?: string }).pk).startsWith('TXN#')) recordRead();
        return out;
      };
    },
  });
  const handler = participantHandler({
    name: 'payer-bank',
    kind: ledger,
    tableName: w.pakka.tables.participants.get('payer-bank') as string,
    client: slow,
    holdsInItems: true,
    ...(now ? { now } : {}),
  });
  return { handler, release, recordServed };
}

async function aliceItem(w: LedgerWorld): Promise<Record<string, unknown> | undefined> {
  const out = await w.doc.send(
    new GetCommand({ TableName: w.pakka.tables.participants.get('payer-bank'), Key: { pk: `ITEM#${alice.key}` }, ConsistentRead: true }),
  );
  return out.Item;
}

/** A payer-bank account of 100 opened by a committed credit, its item reader, and a debit of 30 from it. */
async function opened(w: LedgerWorld) {
  const key = `acct-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const credit = [{ op: 'credit', key, amount: 100 }];
  await w.direct('payer-bank', { action: 'prepare', txnId: `open-${key}`, operations: credit });
  await w.direct('payer-bank', { action: 'commit', txnId: `open-${key}`, operations: credit });
  const table = w.pakka.tables.participants.get('payer-bank') as string;
  const item = async () => (await w.doc.send(new GetCommand({ TableName: table, Key: { pk: `ITEM#${key}` }, ConsistentRead: true }))).Item;
  return { key, table, item, ops: [{ op: 'debit', key, amount: 30 }] };
}

/**
 * t1 runs with the coordinator paused before its decision; meanwhile a duplicate of payer-bank's prepare begins in a
 * slow process (its record read served at once, seeing no record; its item write held back); then the coordinator
 * goes on to the end.
 */
async function duplicateBeforeTheDecision(w: LedgerWorld) {
  const started = w.start('t1', transfer);
  await w.injector.paused('t1');
  const slow = slowPrepareProcess(w);
  const duplicate = slow.handler({ action: 'prepare', txnId: 't1', operations: payerOps });
  await slow.recordServed;
  w.injector.resume('t1');
  const outcome = await started.done;
  await w.injector.settled();
  return { slow, duplicate, outcome };
}

describe('a duplicate prepare that lands after the decision removed the entry, its record read served before the record', () => {
  for (const variant of ['express', 'standard'] as const) {
    it(`${variant}: the stray is found through heldItems and the logged decision releases it, never applies it`, async () => {
      const w = await world([{ fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' }], variant);
      const { slow, duplicate, outcome } = await duplicateBeforeTheDecision(w);
      expect(outcome.ok).toBe(true);
      expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT' });
      expect(await entryStates(w, 't1')).toEqual({});
      // The held write lands now: nothing in the item stops it, and the read beside it was served before the record.
      slow.release();
      expect(await duplicate).toMatchObject({ vote: 'VOTE_COMMIT' });
      expect(await entryStates(w, 't1')).toEqual({ 'payer-bank': 'P' });
      expect(await aliceItem(w)).toMatchObject({ balance: 4000, available: 3000, reserved: 1000, prepared: 1, heldShard: expect.any(String) });
      // The log item was never marked final (phase 2 done is derived), so the sweep drives the decision to every participant.
      expect(await w.storedLogItem('t1')).toMatchObject({ status: 'COMMITTING' });
      await w.recovery().sweep();
      expect(await aliceItem(w)).toMatchObject({ balance: 4000, available: 4000, reserved: 0, prepared: 0 });
      expect(await w.invariantViolations()).toEqual([]);
    });
  }

  it('a stray landing after recovery marked the transaction final is released: the status recovery asks answers PREPARED for a P entry beside the decided record (I5)', async () => {
    // Recovery finishes t1 (the coordinator stopped before payee-bank's commit), so its log item is stored COMMITTED.
    const w = await world([
      { fault: 'pauseCoordinator', at: 'LogCommitDecision', txnId: 't1' },
      { fault: 'fail', participant: 'payee-bank', action: 'commit', times: 7, txnId: 't1' },
      { fault: 'stopCoordinator', at: 'CommitLeftToRecovery', txnId: 't1' },
    ]);
    const { slow, duplicate } = await duplicateBeforeTheDecision(w);
    expect(w.injector.wasStopped('t1')).toBe(true);
    await w.recovery().sweep();
    expect(await w.storedLogItem('t1')).toMatchObject({ status: 'COMMITTED' });
    expect(await w.invariantViolations()).toEqual([]);
    // The duplicate's held write lands now, its record read served before any record: a stray P entry.
    slow.release();
    expect(await duplicate).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await aliceItem(w)).toMatchObject({ balance: 4000, available: 3000, reserved: 1000, prepared: 1, heldShard: expect.any(String) });
    // Recovery lists it through heldItems and asks payer-bank's status: a P entry beside the decided record answers
    // PREPARED (answered from the record alone, COMMITTED, it was a `notPrepared` straggler, and the reservation stayed
    // for good), so the sweep delivers the logged COMMIT, which releases the stray (another landing than the record's).
    await w.recovery().sweep();
    expect(await aliceItem(w)).toMatchObject({ balance: 4000, available: 4000, reserved: 0, prepared: 0 });
    expect(await w.invariantViolations()).toEqual([]);
  });
});

describe('a one-phase commit delivered again after its C entry was forgotten', () => {
  it('a late duplicate commitOnePhase (its delivery began past the horizon, as after a cold start) does not apply the debit a second time: it reads the record first', async () => {
    const w = await world();
    const table = w.pakka.tables.participants.get('payer-bank') as string;
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const h = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: w.doc, holdsInItems: true, now });
    const ops = [{ op: 'debit', key: alice.key, amount: 100 }];
    expect(await h({ action: 'commitOnePhase', txnId: 'one', operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await aliceItem(w)).toMatchObject({ balance: 4900 });
    // The item is busy: 31 older finished entries of other transactions (tombstones), so the next prepare there
    // runs the pass that reads one-phase entries' records and forgets them (FORGET_FROM_HELD).
    const names = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`#x${i}`, `old-${i}`]));
    const tombstone = { s: 'A', at: new Date(clock + 1).toISOString() };
    await w.doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `ITEM#${alice.key}` },
        UpdateExpression: `SET ${Object.keys(names)
          .map((n) => `intents.${n} = :a`)
          .join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':a': tombstone },
      }),
    );
    // Past twice the horizon, so the one-phase record is old enough for its entry to go (RECORD_AGE_TO_FORGET_MS).
    clock += 21_000;
    expect(await h({ action: 'prepare', txnId: 'next', operations: [{ op: 'debit', key: alice.key, amount: 1 }] })).toMatchObject({ vote: 'VOTE_COMMIT' });
    const intents = (await aliceItem(w))?.intents as Record<string, unknown>;
    // Its record says COMMITTED, so the pass forgot the one-phase entry.
    expect(intents.one).toBeUndefined();
    // A delivery of the same commitOnePhase that begins only now (a retried attempt's Lambda whose cold start outlasted
    // the coordinator's timeout: docs/design.md says such a delivery may land after the horizon).
    const late = await h({ action: 'commitOnePhase', txnId: 'one', operations: ops });
    expect(late).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    // Applied once: 5000 - 100 (the second debit of 100 must not happen).
    expect(await aliceItem(w)).toMatchObject({ balance: 4900 });
  });
});

describe('commit deliveries in different processes beside a stray', () => {
  it('the stray lands on a cold item after the commit took its keys out: it is listed again, and two concurrent repeats (one that prepared it, one that reads) release it once', async () => {
    const w = await world();
    const { table, item, ops } = await opened(w);
    // Process X runs past the opening's horizon, so its commit finds the item cold and takes the index keys out.
    const later = () => new Date(Date.now() + 11_000).toISOString();
    const x = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: w.doc, holdsInItems: true, now: later });
    const z = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: w.doc, holdsInItems: true, now: later });
    expect(await x({ action: 'prepare', txnId: 't', operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // Process Y: a duplicate of that prepare, its record read served now, its item write held back.
    const y = slowPrepareProcess(w, later);
    const duplicate = y.handler({ action: 'prepare', txnId: 't', operations: ops });
    await y.recordServed;
    expect(await x({ action: 'commit', txnId: 't', operations: ops })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
    expect(await item()).toMatchObject({ balance: 70, reserved: 0, prepared: 0 });
    expect((await item())?.heldShard).toBeUndefined();
    y.release();
    expect(await duplicate).toMatchObject({ vote: 'VOTE_COMMIT' });
    // The stray holds again and its item is listed again (if_not_exists put the keys back): the index misses no held item.
    expect(await item()).toMatchObject({ balance: 70, available: 40, reserved: 30, prepared: 1, heldShard: expect.stringMatching(/^HELD#/) });
    // Y (which remembers the stray as its own hold, skipping its reads) and Z (which reads) both deliver the commit again.
    const answers = await Promise.all([y.handler({ action: 'commit', txnId: 't', operations: ops }), z({ action: 'commit', txnId: 't', operations: ops })]);
    expect(answers).toEqual([expect.objectContaining({ outcome: 'COMMITTED' }), expect.objectContaining({ outcome: 'COMMITTED' })]);
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(((await item())?.intents as Record<string, unknown>).t).toBeUndefined();
    // An abort now is the violation, and changes nothing.
    await expect(z({ action: 'abort', txnId: 't', operations: ops })).rejects.toMatchObject({ code: 'ABORT_AFTER_COMMIT' });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
  });
});

describe('rollout: entries and records from before entries carried a landing id', () => {
  async function oldHold(w: LedgerWorld, key: string, txnId: string, ops: Array<Record<string, unknown>>, at: string) {
    // The previous version's prepare: a P entry without `n`, and its hold.
    await w.doc.send(
      new UpdateCommand({
        TableName: w.pakka.tables.participants.get('payer-bank'),
        Key: { pk: `ITEM#${key}` },
        UpdateExpression: 'SET intents.#t = :e, available = available - :a, reserved = reserved + :a, prepared = prepared + :one',
        ExpressionAttributeNames: { '#t': txnId },
        ExpressionAttributeValues: { ':e': { s: 'P', d: digestOf(ops), op: ops[0], at }, ':a': 30, ':one': 1 },
      }),
    );
  }

  it('a commit the previous version cut off after its record (no holdId) is finished by the clock guard and keeps {s, at}, so a late duplicate prepare is refused and applied once', async () => {
    const w = await world();
    const { key, table, item, ops } = await opened(w);
    const preparedAt = new Date().toISOString();
    await oldHold(w, key, 't', ops, preparedAt);
    await w.doc.send(
      new PutCommand(
        decidedRecordPut(table, {
          txnId: 't',
          state: 'COMMITTED',
          digest: digestOf(ops),
          operations: ops,
          onePhase: false,
          now: new Date().toISOString(),
          preparedAt,
        }),
      ),
    );
    expect(await w.direct('payer-bank', { action: 'commit', txnId: 't', operations: ops })).toMatchObject({ outcome: 'COMMITTED' });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(((await item())?.intents as Record<string, unknown>).t).toMatchObject({ s: 'C' });
    expect(await w.direct('payer-bank', { action: 'prepare', txnId: 't', operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
  });

  it('a P entry without a landing id (an in-flight prepare of the previous version) landing after a commit that named its landing is a stray: released, never applied', async () => {
    const w = await world();
    const { key, item, ops } = await opened(w);
    expect(await w.direct('payer-bank', { action: 'prepare', txnId: 't', operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await w.direct('payer-bank', { action: 'commit', txnId: 't', operations: ops })).toMatchObject({ outcome: 'COMMITTED' });
    await oldHold(w, key, 't', ops, new Date(Date.now() - 1_000).toISOString());
    expect(await item()).toMatchObject({ balance: 70, available: 40, reserved: 30, prepared: 1 });
    expect(await w.direct('payer-bank', { action: 'commit', txnId: 't', operations: ops })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(((await item())?.intents as Record<string, unknown>).t).toBeUndefined();
  });
});

describe('a prepare whose record read is served after the commit of its own landing', () => {
  it('its landing voted (a duplicate refused by it), the commit named it and died before its item write: the prepare finishes the commit from the record, once', async () => {
    const w = await world();
    const { table, item, ops } = await opened(w);
    // Process Y: its item write lands at once, its record read is held back.
    let serve: () => void = () => {};
    const readGate = new Promise<void>((r) => (serve = r));
    let landed: () => void = () => {};
    const written = new Promise<void>((r) => (landed = r));
    const send = w.doc.send.bind(w.doc);
    const slowRead = new Proxy(w.doc, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof GetCommand && String((command.input.Key as { pk?: string }).pk).startsWith('TXN#')) await readGate;
          const out = await send(command as never);
          if (command instanceof UpdateCommand) landed();
          return out;
        };
      },
    });
    const y = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: slowRead, holdsInItems: true });
    const prepare = y({ action: 'prepare', txnId: 't', operations: ops });
    await written;
    const landing = ((await item())?.intents as Record<string, { n?: string }>).t?.n;
    expect(landing).toEqual(expect.any(String));
    // A duplicate is refused by that entry and votes; the coordinator commits; the commit names the landing and dies before its item write.
    expect(await w.direct('payer-bank', { action: 'prepare', txnId: 't', operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
    const dying = new Proxy(w.doc, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          if (command instanceof UpdateCommand && String(command.input.ConditionExpression).startsWith('#in.#t.#s = :p'))
            throw new Error('killed before the item write');
          return send(command as never);
        };
      },
    });
    const z = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: dying, holdsInItems: true });
    await expect(z({ action: 'commit', txnId: 't', operations: ops })).rejects.toThrow(/killed/);
    const record = (await w.doc.send(new GetCommand({ TableName: table, Key: { pk: 'TXN#t' }, ConsistentRead: true }))).Item;
    expect(record).toMatchObject({ state: 'COMMITTED', holdId: landing });
    expect(await item()).toMatchObject({ balance: 100, reserved: 30, prepared: 1 });
    // Y's read is served now: the record committed this very landing, so Y applies it (it is no stray).
    serve();
    expect(await prepare).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    // The coordinator's retry of the commit finds it done.
    expect(await w.direct('payer-bank', { action: 'commit', txnId: 't', operations: ops })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
    expect(await item()).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
  });
});

describe('a one-phase no, claimed first', () => {
  it('is the record’s alone (ABORTED with its reason, no entry in the item); a duplicate delivery’s claim meets that record and answers the same no', async () => {
    const w = await world();
    const { key, table, item } = await opened(w);
    const h = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: w.doc, holdsInItems: true });
    // Another transaction reserves the whole balance, so the one-phase debit is the participant's own no.
    const other = [{ op: 'debit', key, amount: 100 }];
    expect(await h({ action: 'prepare', txnId: 'other', operations: other })).toMatchObject({ vote: 'VOTE_COMMIT' });
    const ops = [{ op: 'debit', key, amount: 60 }];
    expect(await h({ action: 'commitOnePhase', txnId: 'one', operations: ops })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(((await item())?.intents as Record<string, unknown>).one).toBeUndefined();
    // A duplicate delivery of that commitOnePhase (another process): its claim is refused by the record, which answers.
    const y = participantHandler({ name: 'payer-bank', kind: ledger, tableName: table, client: w.doc, holdsInItems: true });
    expect(await y({ action: 'commitOnePhase', txnId: 'one', operations: ops })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    // The coordinator's abort learns the no; the other transaction aborts and frees the funds.
    expect(await h({ action: 'abort', txnId: 'one', operations: ops })).toMatchObject({ outcome: 'ABORTED' });
    expect(await h({ action: 'abort', txnId: 'other', operations: other })).toMatchObject({ outcome: 'ABORTED' });
    expect(await y({ action: 'commitOnePhase', txnId: 'one', operations: ops })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await item()).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
  });
});
