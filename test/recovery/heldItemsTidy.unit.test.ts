/**
 * The rules of the lazy leaving of `heldItems`, as pure functions and against a client that answers as AWS
 * does: which listed item is idle, what the tidy write says, and that a refused or conflicting tidy is skipped.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { HELD_TIDY_ATTRIBUTES, heldKeysTidy } from '../../lambdas/participants/itemIntents.js';
import { HELD_IDLE_MS, idleHeldItem } from '../../lambdas/protocol/heldIntent.js';
import { heldItemsTidy } from '../../lambdas/recovery/heldItemsTidy.js';

const idleBefore = '2030-01-01T00:01:00.000Z';
const earlier = '2030-01-01T00:00:00.000Z';
const later = '2030-01-01T00:01:30.000Z';

describe('idleHeldItem', () => {
  const idle = { pk: 'ITEM#a', prepared: 0, heldShard: 'HELD#3', heldSince: earlier, intents: { t1: { s: 'C', at: earlier }, t2: { s: 'A', at: earlier } } };

  it('an item with no P entry, prepared 0, listed and last changed before the window is idle', () => {
    expect(idleHeldItem(idle, idleBefore)).toBe(true);
    expect(idleHeldItem({ ...idle, intents: {} }, idleBefore)).toBe(true);
    expect(idleHeldItem({ ...idle, intents: {}, lastFinishedAt: earlier }, idleBefore)).toBe(true);
  });

  it('not idle: a hold finished within the window, though its entry is gone (commit and abort remove it at once)', () => {
    expect(idleHeldItem({ ...idle, intents: {}, lastFinishedAt: later }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, intents: {}, lastFinishedAt: 7 }, idleBefore)).toBe(false);
  });

  it('not idle: a P entry, a prepared count other than 0 or none, an entry changed within the window, keys set within it, or an entry it cannot read', () => {
    expect(idleHeldItem({ ...idle, intents: { ...idle.intents, t3: { s: 'P', d: 'd', op: {}, at: earlier } } }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, prepared: 1 }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, prepared: undefined }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, intents: { t1: { s: 'C', at: later } } }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, heldSince: later }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, heldSince: undefined }, idleBefore)).toBe(false);
    expect(idleHeldItem({ ...idle, intents: { t1: { s: 'X', at: earlier } } }, idleBefore)).toBe(false);
  });
});

describe('heldKeysTidy', () => {
  it('removes only the two index keys, on prepared = 0 and keys older than the window, naming only its four attributes', () => {
    const input = heldKeysTidy('t', 'ITEM#a', idleBefore);
    expect(input.UpdateExpression).toBe('REMOVE #shard, #since');
    expect(input.ConditionExpression).toBe('#prep = :zero AND #since < :idleBefore');
    expect([...Object.keys(input.Key ?? {}), ...Object.values(input.ExpressionAttributeNames ?? {})].sort()).toEqual([...HELD_TIDY_ATTRIBUTES].sort());
    expect(input.ExpressionAttributeValues).toEqual({ ':zero': 0, ':idleBefore': idleBefore });
    // IAM's grant allows ReturnValues NONE only.
    expect(input.ReturnValues).toBeUndefined();
  });
});

describe('heldItemsTidy', () => {
  const now = Date.parse(idleBefore) + HELD_IDLE_MS;
  const items = [
    { pk: 'ITEM#a', prepared: 0, heldSince: earlier, intents: {} },
    { pk: 'ITEM#b', prepared: 1, heldSince: earlier, intents: { t: { s: 'P', d: 'd', op: {}, at: earlier } } },
    { pk: 'ITEM#c', prepared: 0, heldSince: earlier, intents: {} },
  ];
  /** A client whose UpdateItem on `pk` fails with `failures[pk]`; it records what was sent. */
  const client = (failures: Record<string, string>, sent: string[]) =>
    ({
      send: async (command: { input: { Key: { pk: string } } }) => {
        const pk = command.input.Key.pk;
        sent.push(pk);
        const name = failures[pk];
        if (name) throw Object.assign(new Error(name), { name });
        return {};
      },
    }) as unknown as DynamoDBDocumentClient;

  it('sends the tidy for the idle items only', async () => {
    const sent: string[] = [];
    expect(await heldItemsTidy(client({}, sent), () => now)('t', items)).toEqual({ tidied: 2, skipped: 0 });
    expect(sent.sort()).toEqual(['ITEM#a', 'ITEM#c']);
  });

  it("a refused condition or AWS's TransactionConflictException is skipped this sweep; another failure is reported, never thrown", async () => {
    const failed: unknown[] = [];
    const tidy = heldItemsTidy(client({ 'ITEM#a': 'TransactionConflictException', 'ITEM#c': 'ConditionalCheckFailedException' }, []), () => now);
    expect(await tidy('t', items)).toEqual({ tidied: 0, skipped: 2 });
    const throttled = heldItemsTidy(
      client({ 'ITEM#a': 'ProvisionedThroughputExceededException' }, []),
      () => now,
      (error) => failed.push(error),
    );
    expect(await throttled('t', items)).toEqual({ tidied: 1, skipped: 0 });
    expect(failed).toMatchObject([{ name: 'ProvisionedThroughputExceededException' }]);
  });
});
