/**
 * What the lazy leaving of `heldItems` costs a sweep in reads (docs/design.md, "The sparse index"): an item
 * keeps its keys after its last hold, so until a sweep finds it idle, every sweep queries the index's shards
 * and reads it (one consistent read per listed item). Once idle for HELD_IDLE_MS it leaves, and the sweeps
 * after read as little as on a table that never held anything: the probe, and no Query. Counted on the
 * deployed sweeper's wiring (awsRecoveryPorts) against DynamoDB Local.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { HELD_ITEMS_INDEX, HELD_PARTITIONS } from '../../lambdas/participants/itemIntents.js';
import { HELD_IDLE_MS } from '../../lambdas/protocol/heldIntent.js';
import { awsRecoveryPorts } from '../../lambdas/recovery/awsEntry.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { runSweep } from '../../lambdas/recovery/sweep.js';
import { LEDGERS, LedgerWorld } from '../chaos/ledgerWorld.js';
import { alice, transfer } from '../support/transferFixtures.js';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

/** Every request the client sends from now on: its command, the index it names, and for a BatchGetItem how many keys. */
function requests(doc: DynamoDBDocumentClient) {
  const sent: Array<{ command: string; index?: string; keys?: number }> = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string; RequestItems?: Record<string, { Keys?: unknown[] }> };
      const keys = input.RequestItems ? Object.values(input.RequestItems).reduce((n, r) => n + (r.Keys?.length ?? 0), 0) : undefined;
      sent.push({ command: context.commandName ?? '', ...(input.IndexName ? { index: input.IndexName } : {}), ...(keys !== undefined ? { keys } : {}) });
      return next(args);
    },
    { step: 'initialize', name: 'countSweepRequests' },
  );
  return {
    /** The requests sent during `run`. */
    async during(run: () => Promise<unknown>) {
      const from = sent.length;
      await run();
      return sent.slice(from);
    },
  };
}

const of = (sent: Array<{ command: string; index?: string; keys?: number }>, command: string, index?: string) =>
  sent.filter((r) => r.command === command && (index === undefined || r.index === index));

describe('what a sweep reads while items keep their heldItems keys', () => {
  it('recently used items are read each sweep until one finds them idle; after that, no Query and no item read', async () => {
    const w = await LedgerWorld.create({
      endpoint: inject('dynamoEndpoint'),
      config: parseParticipantConfig({ participants: Object.fromEntries(LEDGERS.map((name) => [name, { kind: 'ledger', holdsInItems: true }])) }),
    });
    worlds.push(w);
    await w.fund([{ ...alice, balance: 5000 }]);
    // t0 finds bob's and the fee account's items cold (its commits take them out); t1, inside the horizon, busy.
    await w.start('t0', transfer).done;
    await w.start('t1', transfer).done;
    await w.injector.settled();
    expect(await w.logItem('t1')).toMatchObject({ status: 'COMMITTED' });
    const listed = async () => (await w.scanParticipants()).filter(({ item }) => item.heldShard !== undefined).length;
    // alice, bob and the fee account: each in its table's index, holding nothing.
    expect(await listed()).toBe(3);

    const lambda = {} as LambdaClient;
    const ports = (ahead: number) =>
      awsRecoveryPorts(
        w.pakka.tables.coordinatorLog,
        { functions: new Map(), tables: w.pakka.tables.participants, askedForInDoubt: [] },
        { dynamo: w.doc, lambda, now: () => Date.now() + ahead },
      );
    const counter = requests(w.doc);
    const tables = w.pakka.tables.participants.size;

    // Within the idle window: each table's index holds its item, so its shards are queried and the item read; nothing tidied.
    const young = await counter.during(() => runSweep(ports(HELD_IDLE_MS / 2), DEFAULT_RECOVERY_CONFIG));
    expect(of(young, 'ScanCommand', HELD_ITEMS_INDEX)).toHaveLength(tables);
    expect(of(young, 'QueryCommand', HELD_ITEMS_INDEX)).toHaveLength(tables * HELD_PARTITIONS.length);
    expect(of(young, 'BatchGetItemCommand').reduce((n, r) => n + (r.keys ?? 0), 0)).toBe(3);
    expect(of(young, 'UpdateItemCommand')).toHaveLength(0);
    expect(await listed()).toBe(3);

    // Past it: the same reads, and one tidy per item.
    const idle = await counter.during(() => runSweep(ports(2 * HELD_IDLE_MS), DEFAULT_RECOVERY_CONFIG));
    expect(of(idle, 'QueryCommand', HELD_ITEMS_INDEX)).toHaveLength(tables * HELD_PARTITIONS.length);
    expect(of(idle, 'UpdateItemCommand')).toHaveLength(3);
    expect(await listed()).toBe(0);

    // After: as on a table that never held anything, the probe of each index and nothing else.
    const after = await counter.during(() => runSweep(ports(2 * HELD_IDLE_MS), DEFAULT_RECOVERY_CONFIG));
    expect(of(after, 'ScanCommand', HELD_ITEMS_INDEX)).toHaveLength(tables);
    expect(of(after, 'QueryCommand', HELD_ITEMS_INDEX)).toHaveLength(0);
    expect(of(after, 'BatchGetItemCommand')).toHaveLength(0);
    expect(await w.invariantViolations()).toEqual([]);
  });
});
