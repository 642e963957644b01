/**
 * The sweeper's AWS adapters, without AWS: the coordinator log and the inDoubt indexes on DynamoDB
 * Local, participants reached through a Lambda client that answers as Lambda does (function errors as
 * `FunctionError` + `{errorType, errorMessage}`). Recovery asks Step Functions nothing: the same core,
 * so the same outcomes as locally.
 */
import { HELD_ITEMS_INDEX, HELD_PARTITIONS } from '../../lambdas/participants/itemIntents.js';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { awsRecoveryPorts, recoveryRequest } from '../../lambdas/recovery/awsEntry.js';
import { sweepSummary } from '../../lambdas/recovery/recoveryService.js';
import type { RecoveryPorts } from '../../lambdas/recovery/ports.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { runSweep } from '../../lambdas/recovery/sweep.js';
import type { FaultSpec } from '../../local/faults.js';
import { OPEN_PARTITIONS } from '../../lambdas/coordinatorLog/logShards.js';
import { IN_DOUBT_INDEX, IN_DOUBT_PARTITIONS } from '../../lambdas/participants/table.js';
import { OPEN_INDEX } from '../../lambdas/tableSchemas.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { HOUR_MS, LEDGERS, LedgerWorld } from '../chaos/ledgerWorld.js';
import { lambdaStandIn } from '../support/lambdaStandIn.js';

/** Functions named nothing like their participants, one in another account: recovery must use the map. */
const FUNCTIONS = new Map([
  ['payer-bank', 'arn:aws:lambda:eu-west-1:111111111111:function:bank-of-alice'],
  ['payee-bank', 'arn:aws:lambda:eu-west-1:222222222222:function:bank-of-bob'],
  ['upi-switch', 'arn:aws:lambda:eu-west-1:111111111111:function:switch:live'],
]);
const PARTICIPANT_OF = new Map([...FUNCTIONS].map(([name, arn]) => [arn, name]));

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

/** The local participant handlers behind the functions of the map, in Lambda's wire format. */
function fakeLambda(w: LedgerWorld, invoked: string[]): LambdaClient {
  return lambdaStandIn((name) => {
    const participant = PARTICIPANT_OF.get(name);
    return participant ? (payload) => w.direct(participant, payload) : undefined;
  }, invoked);
}

async function stuckWorld(faults: FaultSpec[]) {
  const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults });
  worlds.push(w);
  await w.fund([{ participant: 'payer-bank', key: 'alice', balance: 5000 }]);
  await w.start('t1', { from: { participant: 'payer-bank', key: 'alice' }, to: { participant: 'payee-bank', key: 'bob' }, amount: 1000, fee: 10 }).done;
  await w.injector.settled();
  return w;
}

/** The deployed sweeper's wiring (awsRecoveryPorts), with DynamoDB Local and the Lambda stand-in. */
function awsPorts(w: LedgerWorld, invoked: string[] = []): RecoveryPorts {
  const directory = {
    functions: FUNCTIONS,
    tables: w.pakka.tables.participants,
    askedForInDoubt: [],
  };
  const now = () => Date.now() + HOUR_MS;
  return { ...awsRecoveryPorts(w.pakka.tables.coordinatorLog, directory, { dynamo: w.doc, lambda: fakeLambda(w, invoked), now }), now };
}

describe('recovery through the AWS adapters', () => {
  it('aborts a transaction stopped before its decision, invoking each participant function from the map', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const invoked: string[] = [];
    const report = await runSweep(awsPorts(w, invoked), DEFAULT_RECOVERY_CONFIG);
    expect(report).toMatchObject({ decided: 1, finalized: 1, errors: [] });
    // Each holder is asked what it holds now (the index lags), then sent the abort.
    expect(invoked.sort()).toEqual([...FUNCTIONS.values()].flatMap((arn) => [`abort ${arn}`, `status ${arn}`]).sort());
    expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'recovery' });
    expect(await w.invariantViolations()).toEqual([]);
  });

  it('takes up no transaction once its time is up, and says how many it left for the next sweep', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const report = await runSweep(awsPorts(w), DEFAULT_RECOVERY_CONFIG, { stopTakingAt: Date.now() - 1 });
    expect(report).toMatchObject({ examined: 1, deferred: 1, finalized: 0, quiet: false });
    expect((await w.logItem('t1'))?.decision).toBeUndefined();
  });

  it('reads a protocol violation out of a Lambda function error and records the hazard', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'Commit', txnId: 't1' }]);
    await w.direct('payee-bank', { action: 'abort', txnId: 't1' });
    const report = await runSweep(awsPorts(w), DEFAULT_RECOVERY_CONFIG);
    expect(report).toMatchObject({ finalized: 1, hazards: 1 });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED', heuristicHazard: true, violations: ['payee-bank:COMMIT_AFTER_ABORT'] });
  });
});

/** Records every index read (Query, Scan) the client sends from now on, as the SDK sends it. */
function indexReads(doc: DynamoDBDocumentClient): Array<{ command: string; index: string | undefined }> {
  const reads: Array<{ command: string; index: string | undefined }> = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand' || context.commandName === 'ScanCommand') {
        reads.push({ command: context.commandName, index: (args.input as { IndexName?: string }).IndexName });
      }
      return next(args);
    },
    { step: 'initialize', name: 'countIndexReads' },
  );
  return reads;
}

const count = (reads: ReturnType<typeof indexReads>, command: string, index: string) => reads.filter((r) => r.command === command && r.index === index).length;

/**
 * Where a transfer's holds are found: in their items through heldItems (the default layout), or, for
 * participants that opt out, in PREPARED records through inDoubt, whose shards this keeps covered.
 */
const inDoubtLayouts = [
  { held: 'in their items', config: undefined, holding: { index: HELD_ITEMS_INDEX, partitions: HELD_PARTITIONS.length }, empty: IN_DOUBT_INDEX },
  {
    held: 'in PREPARED records',
    config: parseParticipantConfig({
      defaults: { prepareTimeoutSeconds: 1, commitTimeoutSeconds: 2 },
      participants: Object.fromEntries(LEDGERS.map((name) => [name, { kind: 'ledger', holdsInItems: false }])),
    }),
    holding: { index: IN_DOUBT_INDEX, partitions: IN_DOUBT_PARTITIONS.length },
    empty: HELD_ITEMS_INDEX,
  },
];

describe('what a sweep reads (issue 20: an empty Query still costs 0.5 RRU)', () => {
  it('with nothing in doubt, one read of each index and no Query at all', async () => {
    const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint') });
    worlds.push(w);
    await w.fund([{ participant: 'payer-bank', key: 'alice', balance: 5000 }]);
    await w.start('t0', { from: { participant: 'payer-bank', key: 'alice' }, to: { participant: 'payee-bank', key: 'carol' }, amount: 1, fee: 0 }).done;
    await w.start('t1', { from: { participant: 'payer-bank', key: 'alice' }, to: { participant: 'payee-bank', key: 'bob' }, amount: 1000, fee: 10 }).done;
    await w.injector.settled();
    const reads = indexReads(w.doc);
    // bob's and the fee account's items were cold at t1's commit, which took them out of heldItems; alice's was
    // busy (t0 finished there inside the 10 s horizon) and kept its keys, so this sweep, an hour later, still queries
    // payer-bank's heldItems shards, finds alice's item holding nothing and tidies it (heldItemsSweepReads.test.ts).
    const tidying = await runSweep(awsPorts(w), DEFAULT_RECOVERY_CONFIG);
    expect(tidying).toMatchObject({ examined: 0, quiet: true });
    expect(count(reads, 'QueryCommand', HELD_ITEMS_INDEX)).toBe(HELD_PARTITIONS.length);
    reads.length = 0;
    const report = await runSweep(awsPorts(w), DEFAULT_RECOVERY_CONFIG);
    expect(report).toMatchObject({ examined: 0, quiet: true });
    const tables = w.pakka.tables.participants.size;
    // Before: every shard of every index, twice for the in-doubt ones: 16 + 3 × 17 × 2 = 118 Queries.
    // Each participant table has two sparse indexes to ask: inDoubt (records) and heldItems (holds in their items).
    expect(reads).toHaveLength(1 + 2 * tables);
    expect(count(reads, 'ScanCommand', OPEN_INDEX)).toBe(1);
    expect(count(reads, 'ScanCommand', IN_DOUBT_INDEX)).toBe(tables);
    expect(count(reads, 'ScanCommand', HELD_ITEMS_INDEX)).toBe(tables);
  });

  it.each(inDoubtLayouts)(
    'with a transaction in doubt everywhere (held $held), each shard is queried once and the transaction is still recovered',
    async ({ config, holding, empty }) => {
      const w = await LedgerWorld.create({
        endpoint: inject('dynamoEndpoint'),
        faults: [{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }],
        config,
      });
      worlds.push(w);
      await w.fund([{ participant: 'payer-bank', key: 'alice', balance: 5000 }]);
      // Through the claim, as the API submits: the claimed log item is in the open index, the prepared holds in every participant's index of their layout.
      await w.submit('t1', { from: { participant: 'payer-bank', key: 'alice' }, to: { participant: 'payee-bank', key: 'bob' }, amount: 1000, fee: 10 });
      await w.settle();
      expect((await w.storedLogItem('t1'))?.openPartition).toBeDefined();
      const reads = indexReads(w.doc);
      const report = await runSweep(awsPorts(w), DEFAULT_RECOVERY_CONFIG);
      expect(report).toMatchObject({ decided: 1, finalized: 1, errors: [] });
      const tables = w.pakka.tables.participants.size;
      // Each index asked once whether it holds anything, then each of its shards queried once.
      expect(count(reads, 'ScanCommand', OPEN_INDEX)).toBe(1);
      expect(count(reads, 'QueryCommand', OPEN_INDEX)).toBe(OPEN_PARTITIONS.length);
      expect(count(reads, 'ScanCommand', holding.index)).toBe(tables);
      expect(count(reads, 'QueryCommand', holding.index)).toBe(tables * holding.partitions);
      // The other layout's index is asked and found empty, so none of its shards is queried.
      expect(count(reads, 'ScanCommand', empty)).toBe(tables);
      expect(count(reads, 'QueryCommand', empty)).toBe(0);
      expect(reads).toHaveLength(1 + OPEN_PARTITIONS.length + tables * (2 + holding.partitions));
      expect(await w.invariantViolations()).toEqual([]);
    },
  );
});

describe('the age of the oldest lock, from the same read', () => {
  it('a prepared entry too young to act on is still the age alarm figure', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const gauges: Array<[string, number]> = [];
    const metrics = { count() {}, timing() {}, gauge: (name: string, value: number) => void gauges.push([name, value]) };
    // 20 s on: younger than the shortest deadline and its grace (61 s), so nothing is due.
    const report = await runSweep({ ...awsPorts(w), now: () => Date.now() + 20_000 }, DEFAULT_RECOVERY_CONFIG, { metrics });
    expect(report).toMatchObject({ examined: 0 });
    const [[, age] = ['', -1]] = gauges.filter(([name]) => name === METRICS.oldestInDoubtAgeSeconds);
    expect(age).toBeGreaterThanOrEqual(20);
    expect(age).toBeLessThan(60);
  });
});

describe("the recovery function's requests", () => {
  it('sweeps on a scheduled event, and takes explicit sweep and resolve requests', () => {
    expect(recoveryRequest({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toEqual({ action: 'sweep' });
    expect(recoveryRequest({ action: 'sweep' })).toEqual({ action: 'sweep' });
    expect(recoveryRequest({ action: 'resolve', txnId: 't1', body: { decision: 'ABORT' } })).toEqual({
      action: 'resolve',
      txnId: 't1',
      body: { decision: 'ABORT' },
    });
  });

  it('refuses a malformed explicit request instead of sweeping', () => {
    expect(() => recoveryRequest({ action: 'resolve', body: {} })).toThrow();
    expect(() => recoveryRequest({ action: 'reboot' })).toThrow();
  });

  it('answers counts, not the per-transaction detail', () => {
    const counts = sweepSummary({
      startedAt: 'x',
      examined: 2,
      transactions: [{ kind: 'notDue', txnId: 'a', dueAt: 'y' }],
      finalized: 1,
      decided: 1,
      pending: 0,
      orphansAborted: 0,
      hazards: 0,
      errors: [{ txnId: 'b', error: 'e' }],
      deferred: 0,
      quiet: false,
    });
    expect(counts).toEqual({
      startedAt: 'x',
      examined: 2,
      finalized: 1,
      decided: 1,
      pending: 0,
      orphansAborted: 0,
      hazards: 0,
      errors: 1,
      deferred: 0,
      quiet: false,
    });
  });
});
