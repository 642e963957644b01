/**
 * A one-phase commit of a hold in its item, claim first (docs/design.md, "One-phase commit", "Claim first"): the record
 * claimed, the item write sent once, the claim made final. Each fault the design names is injected here against a real
 * table in DynamoDB Local: the participant killed between any two of its writes, the item write's answer lost (on the
 * wire, through a proxy that lets DynamoDB apply it and then answers 500 or resets the connection), a duplicate delivery
 * landing between the claim and the write, and a claim too old to send.
 */
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { type SdkTimeouts, sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { settledEscrowItem } from '../../lambdas/participants/escrow.js';
import { ITEM_HOLD_LAYOUT } from '../../lambdas/participants/itemIntents.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { UnknownWriteOutcome } from '../../lambdas/participants/errors.js';
import { sentOnce } from '../../lambdas/participants/sendOnce.js';
import { itemKeyOf } from '../../lambdas/participants/table.js';
import { digestOf } from '../../lambdas/participants/transactions.js';
import { INTENT_CAP, PREPARE_SEND_WINDOW_MS, RECORD_AGE_TO_FORGET_MS } from '../../lambdas/protocol/heldIntent.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { type FaultyProxy, faultyDynamoProxy } from '../support/faultyDynamoProxy.js';
import { gate } from '../support/gate.js';
import { debit, openAccount as openAccountBy } from '../support/ledgerAccounts.js';
import { participant, readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });

let pakka: LocalPakka;
let bank: ParticipantHandler;
let doc: DynamoDBDocumentClient;
let proxy: FaultyProxy;

/** The one-phase item write: an UpdateItem that sets a claimed `C` entry (`k`). */
const isOnePhaseItemWrite = (operation: string, body: string) =>
  operation === 'UpdateItem' && body.includes('"k":{"BOOL":true}') && body.includes('"s":{"S":"C"}');

beforeAll(async () => {
  pakka = await testPakka({ config });
  bank = participant(pakka, 'bank');
  doc = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  proxy = await faultyDynamoProxy(inject('dynamoEndpoint'), isOnePhaseItemWrite);
});

afterAll(async () => {
  await proxy?.close();
});

const tableName = () => pakka.tables.participants.get('bank')!;
const entryOf = async (key: string, txnId: string) => ((await readItem(pakka, 'bank', key))?.intents as Record<string, Record<string, unknown>>)?.[txnId];
const entriesOf = async (key: string) => Object.keys(((await readItem(pakka, 'bank', key))?.intents ?? {}) as Record<string, unknown>);

const openAccount = (balance: number) => openAccountBy(bank, balance);

/** A participant process whose client `intercept` may stop (a kill) or hold back, around the real send. */
function processWith(intercept: (command: unknown, send: () => Promise<unknown>) => Promise<unknown>, options: { now?: () => string; endpoint?: string } = {}) {
  const client = documentClient(localDynamoClient(options.endpoint ?? inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: unknown) => intercept(command, () => send(command));
    },
  });
  return participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client: wrapped, holdsInItems: true, ...options });
}

/** Another process whose clock is `ms` ahead: past a claim's send window, its claimer can no longer send, so it fences. */
const processAhead = (ms: number) =>
  participantHandler({
    name: 'bank',
    kind: ledger,
    tableName: tableName(),
    client: doc,
    holdsInItems: true,
    now: () => new Date(Date.now() + ms).toISOString(),
  });
const pastWindow = () => processAhead(PREPARE_SEND_WINDOW_MS + 1000);

const isClaim = (command: unknown) => command instanceof PutCommand && command.input.Item?.state === 'PREPARED' && command.input.Item?.onePhase === true;
const isItemWrite = (command: unknown) =>
  command instanceof UpdateCommand &&
  JSON.stringify(command.input.ExpressionAttributeValues ?? {}).includes('"k":true') &&
  JSON.stringify(command.input.ExpressionAttributeValues ?? {}).includes('"s":"C"');
const isFinalize = (command: unknown) => command instanceof UpdateCommand && String(command.input.ConditionExpression).includes('#state = :claimed');

/** The participant killed just before it sends the first command `kills` picks. */
function killedBefore(kills: (command: unknown) => boolean): ParticipantHandler {
  let armed = true;
  return processWith(async (command, send) => {
    if (armed && kills(command)) {
      armed = false;
      throw new Error('the participant was killed');
    }
    return send();
  });
}

describe('a one-phase commit, claim first', () => {
  it('claims its record, writes the item once, makes the record final; the C entry goes with the next write this process sends there', async () => {
    const key = await openAccount(100);
    const [first, second] = [uniqueId('t'), uniqueId('t')];
    expect(await bank({ action: 'commitOnePhase', txnId: first, operations: debit(key, 25) })).toMatchObject({
      vote: 'VOTE_COMMIT',
      committed: 'IN_ONE_PHASE',
    });
    expect(await readRecord(pakka, 'bank', first)).toMatchObject({
      state: 'COMMITTED',
      onePhase: true,
      layout: ITEM_HOLD_LAYOUT,
      digest: digestOf(debit(key, 25)),
      preparedAt: expect.any(String),
      holdId: expect.any(String),
    });
    expect(await entryOf(key, first)).toMatchObject({ s: 'C', one: true, k: true });
    expect(await bank({ action: 'commitOnePhase', txnId: second, operations: debit(key, 5) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // Forgotten at once in the second's write, not 20 s later: its record was final before that write was sent.
    expect(await entryOf(key, first)).toBeUndefined();
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0 });
    // A forgotten entry's transaction still answers from its record.
    expect(await bank({ action: 'commitOnePhase', txnId: first, operations: debit(key, 25) })).toMatchObject({ committed: 'IN_ONE_PHASE' });
    await expect(bank({ action: 'abort', txnId: first, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70 });
  });

  it('the C entries no process will name (each committed by a process that went away) go by the pass that reads records, run by a one-phase commit', async () => {
    const key = await openAccount(1000);
    for (let i = 0; i < 40; i++) {
      const gone = participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client: doc, holdsInItems: true });
      expect(await gone({ action: 'commitOnePhase', txnId: uniqueId('gone'), operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    }
    expect(await entriesOf(key)).toHaveLength(40);
    // Past the horizon, a process commits twice: its first write sees the 41 entries, so the pass runs after it.
    const later = new Date(Date.now() + 11_000).toISOString();
    const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client: doc, holdsInItems: true, now: () => later });
    for (let i = 0; i < 2; i++) {
      expect(await h({ action: 'commitOnePhase', txnId: uniqueId('later'), operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    }
    expect((await entriesOf(key)).length).toBeLessThanOrEqual(42 - 16);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 958 });
  });

  it('a hot item committed in one phase many times holds one C entry, not every commit of the last 20 s', async () => {
    const key = await openAccount(1000);
    for (let i = 0; i < 40; i++) {
      expect(await bank({ action: 'commitOnePhase', txnId: uniqueId('hot'), operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    }
    expect(await entriesOf(key)).toHaveLength(1);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 960, available: 960 });
  });

  it('its own no is in the record alone (ABORTED, the reason), no entry; a repeat answers the same', async () => {
    const key = await openAccount(10);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 11) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', onePhase: true, voteReason: 'INSUFFICIENT_FUNDS' });
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 11) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(await bank({ action: 'abort', txnId, operations: debit(key, 11) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 10, available: 10 });
  });

  it('a full item is "not now": the claim is taken back, nothing is recorded, and the retry claims again', async () => {
    const key = uniqueId('full');
    const young = new Date().toISOString();
    await doc.send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...itemKeyOf(key),
          ...settledEscrowItem('balance', 100),
          intents: Object.fromEntries(Array.from({ length: INTENT_CAP }, (_, i) => [`young-${i}`, { s: 'C', at: young }])),
          prepared: 0,
        },
      }),
    );
    const txnId = uniqueId('t');
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 1) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' });
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
    expect(await entryOf(key, txnId)).toBeUndefined();
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 100 });
  });
});

describe('the participant killed between its writes', () => {
  it('after the claim, before the item write: the learning abort fences the item and makes the claim ABORTED; the retry and the abort agree; nothing applied', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await expect(killedBefore(isItemWrite)({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toThrow(/killed/);
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED', onePhase: true, layout: ITEM_HOLD_LAYOUT });
    expect(await entryOf(key, txnId)).toBeUndefined();
    // The status of a claim is PREPARED: in doubt until resolved.
    expect(await bank({ action: 'status', txnId, operations: debit(key, 25) })).toMatchObject({ state: 'PREPARED' });
    // Inside the claim's send window its claimer may be alive and about to send: the abort does not race it, and changes nothing.
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.Transient' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED' });
    expect(await entryOf(key, txnId)).toBeUndefined();
    // Past it (the coordinator's retry of its question), the fence goes in.
    expect(await pastWindow()({ action: 'abort', txnId, operations: debit(key, 25) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', onePhase: true });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A', one: true, k: true });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0 });
  });

  it('after the item write, before the record is final: the learning abort finds the C, makes the claim COMMITTED and answers Pakka.CommittedInOnePhase', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await expect(killedBefore(isFinalize)({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toThrow(/killed/);
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED', onePhase: true });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'C', k: true });
    await expect(pastWindow()({ action: 'abort', txnId, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true, committedAt: expect.any(String) });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75, available: 75 });
  });

  it('an abort without operations (recovery’s, an operator’s) finds the claim’s own and resolves it the same way', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await expect(killedBefore(isFinalize)({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toThrow(/killed/);
    await expect(pastWindow()({ action: 'abort', txnId })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75 });
  });

  it('a claim put beside a two-phase hold of the same txnId (a sender outside Pakka) waits until no write of its claimer can land, then goes; the hold finishes', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    expect(await bank({ action: 'prepare', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    await expect(killedBefore(isItemWrite)({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toThrow(/killed/);
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'P' });
    // Past the send window, the fence cannot go in beside the P, and the claimer's write (if one travels) lands within twice
    // the horizon of the claim: nothing is decided yet.
    await expect(pastWindow()({ action: 'abort', txnId, operations: debit(key, 25) })).rejects.toMatchObject({
      name: 'Pakka.Transient',
      message: expect.stringMatching(/two phases beside a young one-phase claim/),
    });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED', onePhase: true });
    // Twice the horizon after the claim, no send of it can land: the claim goes, and the abort releases the hold.
    const later = new Date(Date.now() + RECORD_AGE_TO_FORGET_MS + 1000).toISOString();
    const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client: doc, holdsInItems: true, now: () => later });
    expect(await h({ action: 'abort', txnId, operations: debit(key, 25) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
  });

  it('a claim of another request under the same txnId is refused, never resolved', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await expect(killedBefore(isItemWrite)({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toThrow(/killed/);
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 26) })).rejects.toMatchObject({ code: 'OPERATIONS_MISMATCH' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'PREPARED' });
    expect(await entryOf(key, txnId)).toBeUndefined();
  });
});

describe('the item write’s answer lost: sent once, then resolved', () => {
  /** The participant's process, its DynamoDB traffic through the lossy proxy, with an SDK that would retry a 500 twice. */
  const lossy = () => {
    const timeouts: SdkTimeouts = { ...sdkTimeoutsFromEnv(), maxAttempts: 3 };
    const client = documentClient(localDynamoClient(proxy.endpoint, timeouts, conflictRulesFromEnv()));
    return participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client, holdsInItems: true });
  };

  for (const fault of ['appliedThen500', 'appliedThenReset', 'appliedThenBodyReset'] as const) {
    it(`${fault}: DynamoDB applied it; the claimer does not send it again, fences, finds its C, and commits once`, async () => {
      const key = await openAccount(100);
      const txnId = uniqueId('t');
      const [matched, applied] = [proxy.matched(), proxy.applied()];
      proxy.arm(fault);
      expect(await lossy()({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
      expect([proxy.matched() - matched, proxy.applied() - applied]).toEqual([1, 1]);
      expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75, available: 75 });
    });
  }

  it('lost before DynamoDB saw it: the claimer does not send it again; its fence lands, and the commit is a no that holds nothing', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const [matched, applied] = [proxy.matched(), proxy.applied()];
    proxy.arm('lost500');
    expect(await lossy()({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_ABORT' });
    expect([proxy.matched() - matched, proxy.applied() - applied]).toEqual([1, 0]);
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED', onePhase: true });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A', k: true });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100 });
  });

  it('a throttle is a definite no and is retried, but never past the send window: the claim is resolved instead', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const timeouts: SdkTimeouts = { ...sdkTimeoutsFromEnv(), maxAttempts: 3 };
    const client = documentClient(localDynamoClient(proxy.endpoint, timeouts, conflictRulesFromEnv()));
    const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client, holdsInItems: true, now });
    const [matched, applied] = [proxy.matched(), proxy.applied()];
    proxy.arm('throttled');
    // The throttled attempt takes the claimer past its window: the SDK's retry of it must not be sent.
    proxy.onMatch(() => {
      clock += PREPARE_SEND_WINDOW_MS + 1;
    });
    try {
      expect(await h({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_ABORT' });
    } finally {
      proxy.onMatch(undefined);
    }
    expect([proxy.matched() - matched, proxy.applied() - applied]).toEqual([1, 0]);
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100 });
  });

  it('the claim’s own answer lost: the SDK sends the put again, which hands back this delivery’s own claim, and it goes on as the claimer', async () => {
    const claims = await faultyDynamoProxy(inject('dynamoEndpoint'), (operation, body) => operation === 'PutItem' && body.includes('"state":{"S":"PREPARED"}'));
    try {
      const timeouts: SdkTimeouts = { ...sdkTimeoutsFromEnv(), maxAttempts: 3 };
      const client = documentClient(localDynamoClient(claims.endpoint, timeouts, conflictRulesFromEnv()));
      const h = participantHandler({ name: 'bank', kind: ledger, tableName: tableName(), client, holdsInItems: true });
      const key = await openAccount(100);
      const txnId = uniqueId('t');
      claims.arm('appliedThen500');
      expect(await h({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
      expect(claims.matched()).toBe(2);
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75 });
    } finally {
      await claims.close();
    }
  });

  it('the same fault on a write not sent once is sent again by the SDK (what the middleware prevents), and a 4xx stays retried', async () => {
    const timeouts: SdkTimeouts = { ...sdkTimeoutsFromEnv(), maxAttempts: 3 };
    const client = documentClient(localDynamoClient(proxy.endpoint, timeouts, conflictRulesFromEnv()));
    const key = uniqueId('plain');
    const write = () =>
      new UpdateCommand({
        TableName: tableName(),
        Key: itemKeyOf(key),
        UpdateExpression: 'SET #in = :map',
        ExpressionAttributeNames: { '#in': 'intents' },
        ExpressionAttributeValues: { ':map': { x: { s: 'C', k: true, at: new Date().toISOString() } } },
      });
    let matched = proxy.matched();
    proxy.arm('lost500');
    await client.send(write());
    expect(proxy.matched() - matched).toBe(2);
    matched = proxy.matched();
    proxy.arm('lost500');
    await expect(client.send(sentOnce(write()))).rejects.toBeInstanceOf(UnknownWriteOutcome);
    expect(proxy.matched() - matched).toBe(1);
  });
});

describe('a duplicate delivery between the claim and the item write', () => {
  /** A claimer's commitOnePhase of 25 from `key`, started and stopped at the client with its item write about to be sent, until `release`. */
  async function heldClaimer(key: string, txnId: string) {
    const { passed: released, open: release } = gate();
    const { passed: held, open: reached } = gate();
    const claimer = processWith(async (command, send) => {
      if (isItemWrite(command)) {
        reached();
        await released;
      }
      return send();
    });
    const first = claimer({ action: 'commitOnePhase', txnId, operations: debit(key, 25) });
    await held;
    return { first, release };
  }

  it('inside the send window it waits (Pakka.Transient, nothing written), so a duplicate start or an Express re-run never aborts a commit it merely raced; its retry answers the commit', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const { first, release } = await heldClaimer(key, txnId);
    await expect(bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.Transient' });
    expect(await entryOf(key, txnId)).toBeUndefined();
    release();
    expect(await first).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75, available: 75 });
  });

  it('past the send window it fences: the claimer’s write, landing after, is refused by the fence, and both answer the same no', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const { first, release } = await heldClaimer(key, txnId);
    expect(await pastWindow()({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_ABORT' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    release();
    expect(await first).toMatchObject({ vote: 'VOTE_ABORT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0 });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'A', k: true });
  });

  it('a claimer whose claim is older than its send window resolves instead of sending', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    let clock = Date.now();
    const now = () => new Date(clock).toISOString();
    const slow = processWith(
      async (command, send) => {
        const out = await send();
        // The process stalls (a GC pause, a frozen Lambda) right after its claim landed.
        if (isClaim(command)) clock += PREPARE_SEND_WINDOW_MS + 1;
        return out;
      },
      { now, endpoint: proxy.endpoint },
    );
    const matched = proxy.matched();
    expect(await slow({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_ABORT' });
    // Nothing of the item write reached the wire.
    expect(proxy.matched() - matched).toBe(0);
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100 });
  });
});

describe('a one-phase C entry of the version before claim first', () => {
  it('without its record (that version crashed between its two writes): the learning abort writes the record and answers Pakka.CommittedInOnePhase', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    // What that version left: the debit applied with a `C` entry (no `k`), and no record.
    await doc.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: itemKeyOf(key),
        UpdateExpression: 'SET balance = balance - :a, available = available - :a, intents.#t = :entry',
        ExpressionAttributeNames: { '#t': txnId },
        ExpressionAttributeValues: { ':a': 25, ':entry': { s: 'C', d: digestOf(debit(key, 25)), at: new Date().toISOString(), one: true } },
      }),
    );
    await expect(bank({ action: 'abort', txnId, operations: debit(key, 25) })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
    expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: 'COMMITTED', onePhase: true, layout: ITEM_HOLD_LAYOUT });
    expect(await bank({ action: 'commitOnePhase', txnId, operations: debit(key, 25) })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 75, available: 75 });
  });
});
