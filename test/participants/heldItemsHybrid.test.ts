/**
 * The hybrid leaving of `heldItems` (docs/design.md, "The sparse index"; itemIntents.ts HeldKeys): the commit or
 * abort that releases a cold item's only entry takes its index keys out in the same write; a busy item keeps
 * them for the sweep's tidy; a wrong guess is one refused write and the other variant. Index writes counted by
 * AWS's rule (bench/awsWriteUnits.ts indexWriteUnits) on the item before and after each message, in DynamoDB
 * Local under AWS's conflict rules.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { indexWriteUnits } from '../../bench/awsWriteUnits.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { HELD_ITEMS_INDEX } from '../../lambdas/participants/itemIntents.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { credit, debit } from '../support/ledgerAccounts.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { readItem } from '../support/participantTable.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });
const heldItems = PARTICIPANT_TABLE_SCHEMA.indexes.find((index) => index.indexName === HELD_ITEMS_INDEX)!;

let pakka: LocalPakka;

/**
 * A participant process of its own (its own view of the items it wrote), and its commit or abort item writes
 * DynamoDB refused (a prepare's first write to a new item is refused by design: the map's other variant).
 */
function process(): { bank: ParticipantHandler; refused: string[] } {
  const refused: string[] = [];
  const raw: DynamoDBClient = localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv());
  raw.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const update = (args.input as { UpdateExpression?: string }).UpdateExpression ?? '';
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException' && update.includes('#prep = #prep - :inc')) refused.push(update);
        throw error;
      }
    },
    { step: 'initialize', name: 'refusedWrites' },
  );
  const doc: DynamoDBDocumentClient = documentClient(raw);
  const tableName = pakka.tables.participants.get('bank')!;
  return { bank: participantHandler({ name: 'bank', kind: ledger, tableName, client: doc, holdsInItems: true }), refused };
}

let one: ReturnType<typeof process>;

beforeAll(async () => {
  pakka = await testPakka({ config });
  one = process();
});

/** I5 on one item: a `P` entry means the item is in the index. */
function heldImpliesIndexed(item: Record<string, unknown> | undefined): void {
  const held = Object.values((item?.intents ?? {}) as Record<string, { s?: unknown }>).some((entry) => entry.s === 'P');
  if (held) expect(item).toMatchObject({ heldShard: expect.stringMatching(/^HELD#\d+$/), heldSince: expect.any(String) });
}

/** The heldItems index units of one message by AWS's rule, checking I5 on the item after it. */
async function indexUnitsOf(bank: ParticipantHandler, key: string, message: Parameters<ParticipantHandler>[0]): Promise<number> {
  const before = await readItem(pakka, 'bank', key);
  await bank(message);
  const after = await readItem(pakka, 'bank', key);
  heldImpliesIndexed(after);
  const image = (item: Record<string, unknown> | undefined) => item && marshall(item, { removeUndefinedValues: true });
  return indexWriteUnits({ before: image(before), after: image(after), transactional: false }, PARTICIPANT_TABLE_SCHEMA, heldItems);
}

describe('a cold item', () => {
  it.each(['commit', 'abort'] as const)(
    'its %s takes the keys out in the same write: an index put and an index delete, nothing left to tidy',
    async (action) => {
      const key = uniqueId('acct');
      const txnId = uniqueId('t');
      expect(await indexUnitsOf(one.bank, key, { action: 'prepare', txnId, operations: credit(key, 100) })).toBe(1);
      expect(await indexUnitsOf(one.bank, key, { action, txnId, operations: credit(key, 100) })).toBe(1);
      const item = await readItem(pakka, 'bank', key);
      expect(item).toMatchObject({ prepared: 0 });
      expect(item).not.toHaveProperty('heldShard');
      expect(item).not.toHaveProperty('heldSince');
      expect(one.refused).toEqual([]);
    },
  );

  it('a commit in a process that did not prepare reads the item, and finds it cold too', async () => {
    const key = uniqueId('acct');
    const txnId = uniqueId('t');
    await one.bank({ action: 'prepare', txnId, operations: credit(key, 50) });
    const other = process();
    expect(await indexUnitsOf(other.bank, key, { action: 'commit', txnId, operations: credit(key, 50) })).toBe(1);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 50, prepared: 0 });
    expect(other.refused).toEqual([]);
  });
});

/** An account of 100 opened by `one` just now: a hold finished in its item inside the horizon. */
async function openedAccount(): Promise<string> {
  const key = uniqueId('acct');
  const open = uniqueId('open');
  await one.bank({ action: 'prepare', txnId: open, operations: credit(key, 100) });
  await one.bank({ action: 'commit', txnId: open, operations: credit(key, 100) });
  return key;
}

describe('a busy item', () => {
  it("keeps its keys while another transaction's entry is inside the horizon, and while another holds", async () => {
    const key = await openedAccount();
    // The opening finished inside the horizon (its item's lastFinishedAt): the next one is busy. In once, then kept.
    const t = uniqueId('t');
    expect(await indexUnitsOf(one.bank, key, { action: 'prepare', txnId: t, operations: debit(key, 10) })).toBe(1);
    expect(await indexUnitsOf(one.bank, key, { action: 'commit', txnId: t, operations: debit(key, 10) })).toBe(0);
    const [a, b] = [uniqueId('t'), uniqueId('t')];
    expect(await indexUnitsOf(one.bank, key, { action: 'prepare', txnId: a, operations: debit(key, 5) })).toBe(0);
    expect(await indexUnitsOf(one.bank, key, { action: 'prepare', txnId: b, operations: debit(key, 5) })).toBe(0);
    expect(await indexUnitsOf(one.bank, key, { action: 'abort', txnId: a, operations: debit(key, 5) })).toBe(0);
    expect(await indexUnitsOf(one.bank, key, { action: 'commit', txnId: b, operations: debit(key, 5) })).toBe(0);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 85, reserved: 0, prepared: 0, heldShard: expect.stringMatching(/^HELD#/) });
    expect(one.refused).toEqual([]);
  });

  it('a commit in a process that did not prepare reads when a hold last finished there, and guesses busy at once', async () => {
    const key = await openedAccount();
    // The opening's entry is gone, but its finish is inside the horizon: only `lastFinishedAt` says the item is busy.
    const t = uniqueId('t');
    await one.bank({ action: 'prepare', txnId: t, operations: debit(key, 10) });
    expect((await readItem(pakka, 'bank', key))?.intents).toEqual({ [t]: expect.objectContaining({ s: 'P' }) });
    const other = process();
    expect(await indexUnitsOf(other.bank, key, { action: 'commit', txnId: t, operations: debit(key, 10) })).toBe(0);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 90, prepared: 0, heldShard: expect.stringMatching(/^HELD#/) });
    // Its read of the item saw the finish, so its one item write was the busy one, not a refused cold guess.
    expect(other.refused).toEqual([]);
  });
});

describe('a wrong guess', () => {
  it("a prepare from another process since this one's view: the cold write is refused, the busy one lands, the other hold stays indexed", async () => {
    const key = uniqueId('acct');
    const [a, b] = [uniqueId('t'), uniqueId('t')];
    const mine = process();
    const theirs = process();
    // This process saw the item with a's entry alone (cold) ...
    await mine.bank({ action: 'prepare', txnId: a, operations: credit(key, 30) });
    // ... then another process prepared b there.
    await theirs.bank({ action: 'prepare', txnId: b, operations: credit(key, 20) });
    expect(await indexUnitsOf(mine.bank, key, { action: 'commit', txnId: a, operations: credit(key, 30) })).toBe(0);
    // One refused write, the cold variant's (it removes the keys).
    expect(mine.refused).toEqual([expect.stringContaining('#heldShard')]);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 30, prepared: 1, heldShard: expect.stringMatching(/^HELD#/) });
    // b's commit: a's entry is inside the horizon, so busy; the keys stay for the sweep's tidy.
    expect(await indexUnitsOf(theirs.bank, key, { action: 'commit', txnId: b, operations: credit(key, 20) })).toBe(0);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ balance: 50, prepared: 0, heldShard: expect.stringMatching(/^HELD#/) });
  });
});
