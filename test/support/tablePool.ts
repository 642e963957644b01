/**
 * Tables created once per test worker. A test's world (testPakka, LedgerWorld) takes its set of tables
 * from this pool and gives it back when it is done; the file's next world gets the same tables,
 * emptied, instead of creating its own (CreateTable with its indexes is what made each fresh world
 * cost seconds on DynamoDB Local). A vitest worker runs its files in one module graph (`isolate: false`
 * in vitest.config.ts), so the pool is the worker's: a file's worlds reuse the tables the files before
 * it left (`npm run chaos`, outside vitest, has one pool for its run). It takes the endpoint as an
 * argument, not from vitest's context, for that reason.
 *
 * A set is given back closed: its world's client refuses every further request, and the pool waits
 * for the requests already in flight before it empties the tables, so nothing that a finished test
 * left running reaches the next test's tables.
 */
import { randomUUID } from 'node:crypto';
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient, ScanCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { ParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { COORDINATOR_LOG_SCHEMA, PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { type TableNames, createTables, localTableNames } from '../../local/tables.js';

export interface PooledTables {
  /** The table prefix to build the world with; its tables exist and are empty. */
  prefix: string;
  /** Closes `client` (the world's) and gives the tables back to the file's next world, which gets them emptied. */
  release(client: DynamoDBClient): Promise<void>;
}

interface Pool {
  /** Free prefixes by the participants a set has tables for (every participant table has one schema). */
  free: Map<string, string[]>;
  /** The pool's own client: no model of AWS's conflict rules, which concern the tests' transactions, not the emptying. */
  client: DynamoDBClient;
}
const pools = new Map<string, Pool>();

/** A set of tables for `config`'s participants: one this file used before, emptied, or a new one. */
export async function pooledTables(endpoint: string, config: ParticipantConfig, letter: string): Promise<PooledTables> {
  let pool = pools.get(endpoint);
  if (!pool) {
    pool = { free: new Map(), client: localDynamoClient(endpoint, undefined, { ...conflictRulesFromEnv(), enabled: false }) };
    pools.set(endpoint, pool);
  }
  const { free, client } = pool;
  const layout = [...config.keys()].join(',');
  const reused = free.get(layout)?.pop();
  const prefix = reused ?? `${letter}${randomUUID().slice(0, 8)}-`;
  // Emptied when taken, not when given back: the file's last world is never emptied for nobody.
  if (reused) await empty(client, localTableNames(config, prefix));
  else await createTables(client, localTableNames(config, prefix));
  let released = false;
  return {
    prefix,
    async release(worldClient) {
      if (released) return;
      released = true;
      await close(worldClient);
      free.set(layout, [...(free.get(layout) ?? []), prefix]);
    },
  };
}

const CLOSED = 'pakkaTestWorldClosed';

/** From now on `worldClient` refuses every request; settles when none of its requests is in flight. */
async function close(worldClient: DynamoDBClient): Promise<void> {
  const state = closable.get(worldClient);
  if (!state) throw new Error('the client was never made closable (closableClient)');
  state.closed = true;
  if (state.inFlight > 0) await new Promise<void>((resolveDrained) => (state.drained = resolveDrained));
}

interface Closable {
  closed: boolean;
  inFlight: number;
  drained?: () => void;
}
const closable = new WeakMap<DynamoDBClient, Closable>();

/** Makes a world's client closable by `release` (a middleware that counts its requests and refuses them once closed). */
export function closableClient<C extends DynamoDBClient>(worldClient: C): C {
  const state: Closable = { closed: false, inFlight: 0 };
  closable.set(worldClient, state);
  worldClient.middlewareStack.add(
    (next) => async (args) => {
      if (state.closed) throw new Error("a request from a finished test's world: its tables belong to the next test now");
      state.inFlight++;
      try {
        return await next(args);
      } finally {
        state.inFlight--;
        if (state.inFlight === 0) state.drained?.();
      }
    },
    { step: 'initialize', name: CLOSED },
  );
  return worldClient;
}

async function empty(client: DynamoDBClient, tables: TableNames): Promise<void> {
  await Promise.all([
    emptyTable(client, tables.coordinatorLog, COORDINATOR_LOG_SCHEMA.partitionKey),
    ...[...tables.participants.values()].map((name) => emptyTable(client, name, PARTICIPANT_TABLE_SCHEMA.partitionKey)),
  ]);
}

async function emptyTable(client: DynamoDBClient, TableName: string, key: string): Promise<void> {
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName, ConsistentRead: true, ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': key }, ExclusiveStartKey }),
    );
    const deletes: WriteRequest[] = (page.Items ?? []).map((Key) => ({ DeleteRequest: { Key } }));
    const batches = Array.from({ length: Math.ceil(deletes.length / 25) }, (_, i) => deletes.slice(i * 25, i * 25 + 25));
    await Promise.all(
      batches.map(async (requests) => {
        let batch: Record<string, WriteRequest[]> = { [TableName]: requests };
        while (Object.keys(batch).length) batch = (await client.send(new BatchWriteItemCommand({ RequestItems: batch }))).UnprocessedItems ?? {};
      }),
    );
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
