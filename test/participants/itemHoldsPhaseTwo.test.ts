/**
 * Commit and abort of a hold that lives in the item, request by request (docs/design.md, "Holds that live in
 * the item", "As built"): the process that wrote a `P` entry sends the record and then the item write with no
 * read; any other process reads the entry alone first; a record already there refuses the record write, whose
 * ALL_OLD the step answers from. Every request the participant sends is logged, refused ones too (AWS bills them).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { DEFAULT_CONFLICT_BACKOFF } from '../../lambdas/participants/conflictRetry.js';
import { forgetEntries } from '../../lambdas/participants/itemIntents.js';
import { PARTITION_KEY, itemKeyOf } from '../../lambdas/participants/table.js';
import { INTENT_HORIZON_MS } from '../../lambdas/protocol/heldIntent.js';
import { conflictRulesFromEnv, transactionConflict } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { readItem, readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });

let pakka: LocalPakka;

beforeAll(async () => {
  pakka = await testPakka({ config });
});

const debit = (key: string, amount: number) => [{ op: 'debit', key, amount }];
const credit = (key: string, amount: number) => [{ op: 'credit', key, amount }];

/** One participant process: its handler, the requests it sent (`Get TXN#…`, `Put TXN#…`, `Update ITEM#…`, refused ones marked), and a switch that kills it at a request. */
interface Process {
  handler: ParticipantHandler;
  requests: string[];
  /** The next request this matches throws instead of being sent: the process dies there. */
  killAt(kills: (request: string) => boolean): void;
  /**
   * Every request this matches, until cleared, goes through `fault`, given a way to send it: a resend after
   * a lost answer (the SDK's own retry), or AWS's TransactionConflictException. Returns the clearing.
   */
  faultAt(matches: (request: string) => boolean, fault: (send: () => Promise<unknown>) => Promise<unknown>): () => void;
}

const localClient = (): DynamoDBDocumentClient => documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));

function participantProcess(now?: () => string): Process {
  const client = localClient();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const requests: string[] = [];
  let kills: ((request: string) => boolean) | undefined;
  let faults: { matches: (request: string) => boolean; fault: (send: () => Promise<unknown>) => Promise<unknown> } | undefined;
  const logging = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        const request =
          command instanceof GetCommand
            ? `Get ${String(command.input.Key?.pk)}`
            : command instanceof PutCommand
              ? `Put ${String(command.input.Item?.pk)}`
              : command instanceof UpdateCommand
                ? `Update ${String(command.input.Key?.pk)}`
                : String((command as object).constructor.name);
        if (kills?.(request)) {
          kills = undefined;
          throw new Error(`the participant was killed before ${request}`);
        }
        const faulted = faults?.matches(request) ? faults : undefined;
        try {
          const out = await (faulted ? faulted.fault(() => send(command)) : send(command));
          requests.push(request);
          return out;
        } catch (error) {
          requests.push(`${request} (refused)`);
          throw error;
        }
      };
    },
  });
  const handler = participantHandler({
    name: 'bank',
    kind: ledger,
    tableName: pakka.tables.participants.get('bank')!,
    client: logging,
    holdsInItems: true,
    ...(now ? { now } : {}),
  });
  return {
    handler,
    requests,
    killAt: (k) => {
      kills = k;
    },
    faultAt: (matches, fault) => {
      faults = { matches, fault };
      return () => {
        faults = undefined;
      };
    },
  };
}

async function openAccount(balance: number): Promise<string> {
  const { handler } = participantProcess();
  const key = uniqueId('acct');
  const txnId = uniqueId('open');
  await handler({ action: 'prepare', txnId, operations: credit(key, balance) });
  await handler({ action: 'commit', txnId, operations: credit(key, balance) });
  return key;
}

const entryOf = async (key: string, txnId: string) => ((await readItem(pakka, 'bank', key))?.intents as Record<string, Record<string, unknown>>)?.[txnId];

describe('the process that prepared', () => {
  for (const action of ['commit', 'abort'] as const) {
    it(`${action}: the record, then the item, and no read`, async () => {
      const key = await openAccount(100);
      const p = participantProcess();
      const txnId = uniqueId('t');
      await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
      p.requests.length = 0;
      expect(await p.handler({ action, txnId, operations: debit(key, 30) })).toMatchObject({
        outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED',
        repeated: false,
      });
      expect(p.requests).toEqual([`Put TXN#${txnId}`, `Update ITEM#${key}`]);
      expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject(
        action === 'commit' ? { balance: 70, available: 70, reserved: 0, prepared: 0 } : { balance: 100, available: 100, reserved: 0, prepared: 0 },
      );
      // The repeat finds the entry finished, so it reads the record too, and writes nothing.
      p.requests.length = 0;
      expect(await p.handler({ action, txnId, operations: debit(key, 30) })).toMatchObject({ repeated: true });
      expect(p.requests).toEqual([`Get ITEM#${key}`, `Get TXN#${txnId}`]);
    });
  }

  it('a second commit delivered at once: both answer COMMITTED, the debit lands once', async () => {
    const key = await openAccount(100);
    const p = participantProcess();
    const txnId = uniqueId('t');
    await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
    const answers = await Promise.all([1, 2].map(() => p.handler({ action: 'commit', txnId, operations: debit(key, 30) })));
    // Which of the two reports `repeated` depends on which item write lands first; both answer COMMITTED.
    for (const answer of answers) expect(answer).toMatchObject({ outcome: 'COMMITTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    expect(await entryOf(key, txnId)).toBeUndefined();
  });
});

describe('another process', () => {
  it('commit reads the entry alone, then writes the record and the item', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    await participantProcess().handler({ action: 'prepare', txnId, operations: debit(key, 30) });
    const other = participantProcess();
    expect(await other.handler({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
    expect(other.requests).toEqual([`Get ITEM#${key}`, `Put TXN#${txnId}`, `Update ITEM#${key}`]);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, reserved: 0 });
  });

  it('a null abort (no entry) reads the record too, and still puts its tombstone in the item before the record; a late prepare then votes no', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const other = participantProcess();
    expect(await other.handler({ action: 'abort', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'ABORTED' });
    expect(other.requests).toEqual([`Get ITEM#${key}`, `Get TXN#${txnId}`, `Update ITEM#${key}`, `Put TXN#${txnId}`]);
    expect(await participantProcess().handler({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0 });
  });

  it('a commit with no prepare is the violation, and writes nothing', async () => {
    const key = await openAccount(100);
    const txnId = uniqueId('t');
    const other = participantProcess();
    await expect(other.handler({ action: 'commit', txnId, operations: debit(key, 30) })).rejects.toMatchObject({ code: 'COMMIT_WITHOUT_PREPARE' });
    expect(other.requests).toEqual([`Get ITEM#${key}`, `Get TXN#${txnId}`]);
    expect(await readRecord(pakka, 'bank', txnId)).toBeUndefined();
  });
});

describe('a record already there refuses the record write, and its ALL_OLD is the answer', () => {
  /** Prepared by `p`; another process decides `outcome` and dies before its item write, leaving the record decided and the entry `P`. */
  async function decidedElsewhere(outcome: 'commit' | 'abort') {
    const key = await openAccount(100);
    const p = participantProcess();
    const txnId = uniqueId('t');
    await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
    const dying = participantProcess();
    dying.killAt((request) => request === `Update ITEM#${key}`);
    await expect(dying.handler({ action: outcome, txnId, operations: debit(key, 30) })).rejects.toThrow(/killed/);
    const record = await readRecord(pakka, 'bank', txnId);
    expect(record).toMatchObject({ state: outcome === 'commit' ? 'COMMITTED' : 'ABORTED' });
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'P' });
    p.requests.length = 0;
    return { key, p, txnId, record: record! };
  }

  for (const action of ['commit', 'abort'] as const) {
    it(`${action} repeated by the process that prepared: the item is finished from the record's own time, without reading it`, async () => {
      const { key, p, txnId, record } = await decidedElsewhere(action);
      expect(await p.handler({ action, txnId, operations: debit(key, 30) })).toMatchObject({ outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(p.requests).toEqual([`Put TXN#${txnId} (refused)`, `Update ITEM#${key}`]);
      // Never rewritten: the stray guard counts from the first decision's time.
      expect(await readRecord(pakka, 'bank', txnId)).toEqual(record);
      expect(await readItem(pakka, 'bank', key)).toMatchObject(
        action === 'commit' ? { balance: 70, reserved: 0, prepared: 0 } : { balance: 100, reserved: 0, prepared: 0 },
      );
    });
  }

  it('commit on ABORTED, the item still behind: the violation, and nothing changes', async () => {
    const { key, p, txnId, record } = await decidedElsewhere('abort');
    await expect(p.handler({ action: 'commit', txnId, operations: debit(key, 30) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    expect(p.requests).toEqual([`Put TXN#${txnId} (refused)`]);
    expect(await readRecord(pakka, 'bank', txnId)).toEqual(record);
    expect(await entryOf(key, txnId)).toMatchObject({ s: 'P' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 70, reserved: 30, prepared: 1 });
    // The abort's repeat finishes it.
    expect(await p.handler({ action: 'abort', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'ABORTED' });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
  });

  /** Prepared by `p`; another process aborts it, record and item, so what `p` knows of the entry is out of date. */
  async function abortedElsewhere() {
    const key = await openAccount(100);
    const p = participantProcess();
    const txnId = uniqueId('t');
    await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
    expect(await participantProcess().handler({ action: 'abort', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'ABORTED' });
    return { key, p, txnId };
  }

  it('commit on ABORTED after another process finished the abort: the process that prepared is out of date, and still answers the violation', async () => {
    const { key, p, txnId } = await abortedElsewhere();
    const record = await readRecord(pakka, 'bank', txnId);
    const item = await readItem(pakka, 'bank', key);
    p.requests.length = 0;
    await expect(p.handler({ action: 'commit', txnId, operations: debit(key, 30) })).rejects.toMatchObject({ code: 'COMMIT_AFTER_ABORT' });
    expect(p.requests).toEqual([`Put TXN#${txnId} (refused)`]);
    expect(await readRecord(pakka, 'bank', txnId)).toEqual(record);
    expect(await readItem(pakka, 'bank', key)).toEqual(item);
    // A late duplicate of the prepare lands (the abort removed its entry), meets the record read beside it, votes no, and
    // its landing is released: the item as it was, but for the time of that release.
    expect(await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_ABORT' });
    expect(await readItem(pakka, 'bank', key)).toEqual({ ...item, lastFinishedAt: expect.any(String) });
  });

  it('abort repeated by the out-of-date process after another finished it: one refused write each, then it reads, and answers the same', async () => {
    const { key, p, txnId } = await abortedElsewhere();
    const item = await readItem(pakka, 'bank', key);
    p.requests.length = 0;
    expect(await p.handler({ action: 'abort', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'ABORTED', repeated: true });
    expect(p.requests).toEqual([`Put TXN#${txnId} (refused)`, `Update ITEM#${key} (refused)`, `Get ITEM#${key}`, `Get TXN#${txnId}`]);
    expect(await readItem(pakka, 'bank', key)).toEqual(item);
  });
});

describe('a prepare that finds its entry', () => {
  it('a duplicate prepare: the refused write returns the entry (ALL_OLD), and the record read sent beside it is the only read; it reserves once', async () => {
    const key = await openAccount(100);
    const p = participantProcess();
    const txnId = uniqueId('t');
    expect(await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    p.requests.length = 0;
    expect(await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote: 'VOTE_COMMIT' });
    // Sent together (Promise.all), so they finish in either order.
    expect(p.requests.toSorted()).toEqual([`Get TXN#${txnId}`, `Update ITEM#${key} (refused)`]);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ available: 70, reserved: 30, prepared: 1 });
  });

  // The decision removed the entry, so the late prepare's write lands; the record read sent beside it answers, and the
  // landing is released at once (after a commit, its landing is not the one the record names: no refused commit write first).
  for (const [action, vote, settled] of [
    ['commit', 'VOTE_COMMIT', 70],
    ['abort', 'VOTE_ABORT', 100],
  ] as const) {
    it(`a late prepare after the ${action}: its write lands where the ${action} removed the entry, the record read beside it answers ${vote}, and the landing is released in one write`, async () => {
      const key = await openAccount(100);
      const p = participantProcess();
      const txnId = uniqueId('t');
      await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
      await p.handler({ action, txnId, operations: debit(key, 30) });
      p.requests.length = 0;
      expect(await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) })).toMatchObject({ vote });
      // The write and the read are sent together (Promise.all), so they finish in either order; the release follows.
      expect(p.requests.slice(0, 2).toSorted()).toEqual([`Get TXN#${txnId}`, `Update ITEM#${key}`]);
      expect(p.requests.slice(2)).toEqual([`Update ITEM#${key}`]);
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: settled, available: settled, reserved: 0, prepared: 0 });
      expect(await entryOf(key, txnId)).toBeUndefined();
    });
  }
});

describe('what the process that prepared believes, out of date or retried', () => {
  /** An account of 100 and a debit of 30 that `p` prepared (so `p` holds the belief). */
  async function preparedHere(now?: () => string) {
    const key = await openAccount(100);
    const p = participantProcess(now);
    const txnId = uniqueId('t');
    await p.handler({ action: 'prepare', txnId, operations: debit(key, 30) });
    return { key, p, txnId };
  }

  for (const action of ['commit', 'abort'] as const) {
    it(`${action} after another process committed it and its entry was forgotten past the horizon: the record answers, nothing changes`, async () => {
      let clock = Date.now();
      const now = () => new Date(clock).toISOString();
      const { key, p, txnId } = await preparedHere(now);
      expect(await participantProcess(now).handler({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED' });
      clock += INTENT_HORIZON_MS + 1_000;
      const horizon = new Date(clock - INTENT_HORIZON_MS).toISOString();
      await localClient().send(new UpdateCommand(forgetEntries(pakka.tables.participants.get('bank')!, itemKeyOf(key)[PARTITION_KEY]!, [txnId], horizon)));
      expect(await entryOf(key, txnId)).toBeUndefined();
      const record = await readRecord(pakka, 'bank', txnId);
      const item = await readItem(pakka, 'bank', key);
      // `p` still holds its belief that the entry is its `P`: the record write is refused, and its ALL_OLD answers.
      p.requests.length = 0;
      if (action === 'commit') {
        expect(await p.handler({ action, txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
      } else {
        await expect(p.handler({ action, txnId, operations: debit(key, 30) })).rejects.toMatchObject({ code: 'ABORT_AFTER_COMMIT' });
      }
      expect(p.requests[0]).toBe(`Put TXN#${txnId} (refused)`);
      expect(await readRecord(pakka, 'bank', txnId)).toEqual(record);
      expect(await readItem(pakka, 'bank', key)).toEqual(item);
      expect(item).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    });

    it(`${action} whose record write is sent again after it landed (the SDK retrying a lost answer): applied once, the record written once`, async () => {
      const { key, p, txnId } = await preparedHere();
      p.faultAt(
        (request) => request === `Put TXN#${txnId}`,
        async (send) => {
          await send();
          return send();
        },
      );
      expect(await p.handler({ action, txnId, operations: debit(key, 30) })).toMatchObject({ outcome: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(await readRecord(pakka, 'bank', txnId)).toMatchObject({ state: action === 'commit' ? 'COMMITTED' : 'ABORTED' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject(
        action === 'commit' ? { balance: 70, available: 70, reserved: 0, prepared: 0 } : { balance: 100, available: 100, reserved: 0, prepared: 0 },
      );
    });
  }

  for (const at of ['record', 'item'] as const) {
    it(`AWS's TransactionConflictException on every try of the ${at} write: the delivery fails transiently, and its repeat commits once`, async () => {
      const { key, p, txnId } = await preparedHere();
      const request = at === 'record' ? `Put TXN#${txnId}` : `Update ITEM#${key}`;
      // The participant retries a conflict itself (conflictRetry.ts) before it fails: conflict on every try.
      let conflicts = 0;
      const clear = p.faultAt(
        (r) => r === request,
        async () => {
          conflicts++;
          throw transactionConflict();
        },
      );
      await expect(p.handler({ action: 'commit', txnId, operations: debit(key, 30) })).rejects.toThrow();
      expect(conflicts).toBe(DEFAULT_CONFLICT_BACKOFF.attempts);
      clear();
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 100, reserved: 30, prepared: 1 });
      expect(await p.handler({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED' });
      expect(await p.handler({ action: 'commit', txnId, operations: debit(key, 30) })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    });
  }

  it('commit by the process that prepared (no read) racing commit by another (reads): both COMMITTED, the debit lands once', async () => {
    for (let round = 0; round < 4; round++) {
      const { key, p, txnId } = await preparedHere();
      const answers = await Promise.all([p, participantProcess()].map((q) => q.handler({ action: 'commit', txnId, operations: debit(key, 30) })));
      for (const answer of answers) expect(answer).toMatchObject({ outcome: 'COMMITTED' });
      expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
    }
  });

  it('commit by the process that prepared racing an abort by another (a violation by the sender): one wins, the other is refused, and the item agrees with the record', async () => {
    for (let round = 0; round < 4; round++) {
      const { key, p, txnId } = await preparedHere();
      const [commit, abort] = await Promise.allSettled([
        p.handler({ action: 'commit', txnId, operations: debit(key, 30) }),
        participantProcess().handler({ action: 'abort', txnId, operations: debit(key, 30) }),
      ]);
      const record = await readRecord(pakka, 'bank', txnId);
      const item = await readItem(pakka, 'bank', key);
      if (record?.state === 'COMMITTED') {
        expect(commit).toMatchObject({ status: 'fulfilled', value: { outcome: 'COMMITTED' } });
        expect(abort).toMatchObject({ status: 'rejected', reason: { code: 'ABORT_AFTER_COMMIT' } });
        expect(item).toMatchObject({ balance: 70, available: 70, reserved: 0, prepared: 0 });
      } else {
        expect(record).toMatchObject({ state: 'ABORTED' });
        expect(abort).toMatchObject({ status: 'fulfilled', value: { outcome: 'ABORTED' } });
        expect(commit).toMatchObject({ status: 'rejected', reason: { code: 'COMMIT_AFTER_ABORT' } });
        expect(item).toMatchObject({ balance: 100, available: 100, reserved: 0, prepared: 0 });
      }
    }
  });
});
