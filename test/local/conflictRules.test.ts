/**
 * AWS's transaction-conflict rules on the local client, one test per rule, against the shared DynamoDB
 * Local. Each rule's test has a twin with the rules off that shows DynamoDB Local alone lets the same
 * request through, so every rule test fails without the model.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  TransactionConflictException,
  UpdateItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { applyConflictRules, conflictRulesFromEnv, itemsInFlight, transactionCanceled, transactionConflict } from '../../local/conflictRules.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamoLocal.js';
import type { ConflictClock } from '../../local/transactionConflicts.js';

const endpoint = inject('dynamoEndpoint');
const table = `conflicts-${randomUUID().slice(0, 8)}`;
const key = (pk: string) => ({ pk: { S: pk } });

/** A clock that keeps every answered transaction's items until the test lets them go. */
function heldClock(): ConflictClock & { releaseAll(): void } {
  const pending: Array<() => void> = [];
  return {
    after: (_ms, release) => void pending.push(release),
    releaseAll: () => {
      for (const release of pending.splice(0)) release();
    },
  };
}

/** A client with the rules on its own ledger, plus a gate below the SDK's retries that counts and may hold each attempt. */
function ruledClient(options: { enabled?: boolean } = {}) {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
  const ledger = `${endpoint}#${randomUUID()}`;
  const clock = heldClock();
  applyConflictRules(client, ledger, { enabled: options.enabled ?? true, marginMs: 10 }, clock);
  const sent: string[] = [];
  let gate: Promise<void> | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName ?? '');
      if (gate) await gate;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'testGate' },
  );
  return {
    client,
    ledger,
    clock,
    sent,
    /** Holds every attempt at the gate until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

const balanceOf = async (client: DynamoDBClient, pk: string) =>
  (await client.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }))).Item?.balance?.N;

const transfer = (pks: string[]) =>
  new TransactWriteItemsCommand({
    TransactItems: pks.map((pk) => ({
      Update: { TableName: table, Key: key(pk), UpdateExpression: 'ADD balance :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
    })),
  });

async function seed(client: DynamoDBClient, ...pks: string[]): Promise<void> {
  for (const pk of pks) await client.send(new PutItemCommand({ TableName: table, Item: { ...key(pk), balance: { N: '100' } } }));
}

beforeAll(async () => {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: table });
});

describe('a TransactWriteItems naming an item of another transaction in progress', () => {
  it('is cancelled with TransactionConflict for that item and None for the others, before it reaches DynamoDB', async () => {
    const { client, clock, sent } = ruledClient();
    await seed(client, 'a1', 'b1');
    await client.send(transfer(['a1'])); // answered, but within its margin (the clock holds it)
    sent.length = 0;
    const error = await client.send(transfer(['b1', 'a1'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
    ]);
    expect(sent).toEqual([]); // never sent, so never retried by the SDK either
    expect(await balanceOf(client, 'b1')).toBe('100'); // all or nothing: b1 untouched
    clock.releaseAll();
    await client.send(transfer(['b1', 'a1']));
    expect(await balanceOf(client, 'a1')).toBe('102');
  });

  it('is cancelled while the other transaction has been sent and not yet answered', async () => {
    const { client, hold } = ruledClient();
    await seed(client, 'a2');
    const open = hold();
    const first = client.send(transfer(['a2']));
    await new Promise((r) => setImmediate(r)); // the first request is now past the rules, waiting at the gate
    const second = client.send(transfer(['a2'])).catch((e: unknown) => e);
    expect(await second).toBeInstanceOf(TransactionCanceledException);
    open();
    await first;
    expect(await balanceOf(client, 'a2')).toBe('101');
  });

  it('goes through on DynamoDB Local alone: with the rules off the same pair of requests both apply', async () => {
    const { client } = ruledClient({ enabled: false });
    await seed(client, 'a3', 'b3');
    await client.send(transfer(['a3']));
    await client.send(transfer(['b3', 'a3']));
    expect(await balanceOf(client, 'a3')).toBe('102');
  });
});

describe('a single-item write to an item in a transaction', () => {
  it('fails with TransactionConflictException for PutItem, UpdateItem and DeleteItem, and changes nothing', async () => {
    const { client, clock, sent } = ruledClient();
    await seed(client, 'c1');
    await client.send(transfer(['c1']));
    sent.length = 0;
    const writes = [
      new PutItemCommand({ TableName: table, Item: { ...key('c1'), balance: { N: '0' } } }),
      new UpdateItemCommand({ TableName: table, Key: key('c1'), UpdateExpression: 'SET balance = :z', ExpressionAttributeValues: { ':z': { N: '0' } } }),
      new DeleteItemCommand({ TableName: table, Key: key('c1') }),
    ];
    for (const write of writes) {
      const error = await client.send(write as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionConflictException);
      expect((error as Error).name).toBe('TransactionConflictException');
    }
    expect(sent).toEqual([]);
    expect(await balanceOf(client, 'c1')).toBe('101');
    clock.releaseAll();
    await client.send(writes[1] as never);
    expect(await balanceOf(client, 'c1')).toBe('0');
  });

  it('finds the item a document client Put names by the table key schema', async () => {
    const { client } = ruledClient();
    const doc = documentClient(client);
    await seed(client, 'c2');
    await client.send(transfer(['c2']));
    const error = await doc.send(new PutCommand({ TableName: table, Item: { pk: 'c2', balance: 5 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictException);
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'other-c2', balance: 5 } })); // another item is free
  });

  it('goes through on DynamoDB Local alone', async () => {
    const { client } = ruledClient({ enabled: false });
    await seed(client, 'c3');
    await client.send(transfer(['c3']));
    await client.send(new DeleteItemCommand({ TableName: table, Key: key('c3') }));
    expect(await balanceOf(client, 'c3')).toBeUndefined();
  });
});

describe('reads', () => {
  it('a GetItem of an item in a transaction succeeds (AWS: both can succeed)', async () => {
    const { client } = ruledClient();
    await seed(client, 'd1');
    await client.send(transfer(['d1']));
    expect(await balanceOf(client, 'd1')).toBe('101');
  });

  it('a TransactGetItems naming an item of a transaction or of a single write in progress is cancelled', async () => {
    const { client, clock, hold } = ruledClient();
    await seed(client, 'd2', 'd3');
    await client.send(transfer(['d2']));
    const get = (pks: string[]) => new TransactGetItemsCommand({ TransactItems: pks.map((pk) => ({ Get: { TableName: table, Key: key(pk) } })) });
    const error = await client.send(get(['d3', 'd2'])).catch((e: unknown) => e);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'TransactionConflict']);
    clock.releaseAll();
    const open = hold();
    const write = client.send(
      new UpdateItemCommand({ TableName: table, Key: key('d3'), UpdateExpression: 'ADD balance :one', ExpressionAttributeValues: { ':one': { N: '1' } } }),
    );
    await new Promise((r) => setImmediate(r));
    const during = client.send(get(['d3'])).catch((e: unknown) => e);
    expect(await during).toBeInstanceOf(TransactionCanceledException);
    open();
    await write;
    expect((await client.send(get(['d2', 'd3']))).Responses?.map((r) => r.Item?.balance?.N)).toEqual(['101', '101']);
  });
});

describe('the ledger', () => {
  it('lets every item go once answers and margins are over, and counts what it raised', async () => {
    const { client, ledger, clock } = ruledClient();
    await seed(client, 'e1');
    await client.send(transfer(['e1']));
    await client.send(transfer(['e1'])).catch(() => undefined);
    await client.send(new DeleteItemCommand({ TableName: table, Key: key('e1') })).catch(() => undefined);
    const inFlight = itemsInFlight(ledger);
    expect(inFlight?.raised).toEqual({ transactWriteCancelled: 1, transactGetCancelled: 0, singleWriteRejected: 1 });
    expect(inFlight?.idle).toBe(false);
    clock.releaseAll();
    expect(inFlight?.idle).toBe(true);
  });

  it('reads its switch and margin from PAKKA_AWS_CONFLICT_RULES and PAKKA_AWS_CONFLICT_MARGIN_MS', () => {
    expect(conflictRulesFromEnv({})).toEqual({ enabled: true, marginMs: 0 });
    expect(conflictRulesFromEnv({ PAKKA_AWS_CONFLICT_MARGIN_MS: '10' })).toEqual({ enabled: true, marginMs: 10 });
    expect(conflictRulesFromEnv({ PAKKA_AWS_CONFLICT_RULES: 'off', PAKKA_AWS_CONFLICT_MARGIN_MS: '0' })).toEqual({ enabled: false, marginMs: 0 });
    expect(() => conflictRulesFromEnv({ PAKKA_AWS_CONFLICT_RULES: 'maybe' })).toThrow(/PAKKA_AWS_CONFLICT_RULES/);
    expect(() => conflictRulesFromEnv({ PAKKA_AWS_CONFLICT_MARGIN_MS: '-1' })).toThrow(/PAKKA_AWS_CONFLICT_MARGIN_MS/);
  });
});

describe("the SDK and AWS's own answer", () => {
  /** A stand-in for DynamoDB that answers every request with one error body, as AWS's JSON protocol does. */
  async function answering(body: object): Promise<{ client: DynamoDBClient; requests: () => number; close: () => void }> {
    let requests = 0;
    const server = createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on('end', () => {
        response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': 'test' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
    return { client, requests: () => requests, close: () => server.close() };
  }

  it('does not retry TransactionConflictException, and raises it as the model does', async () => {
    const aws = await answering({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException', message: 'Transaction is ongoing for the item' });
    try {
      const error = await aws.client.send(new DeleteItemCommand({ TableName: table, Key: key('x') })).catch((e: unknown) => e);
      expect(aws.requests()).toBe(1);
      const modelled = transactionConflict();
      expect(error).toBeInstanceOf(TransactionConflictException);
      expect({ name: (error as Error).name, message: (error as Error).message, fault: (error as TransactionConflictException).$fault }).toEqual({
        name: modelled.name,
        message: modelled.message,
        fault: modelled.$fault,
      });
    } finally {
      aws.close();
    }
  });

  it('does not retry a TransactionCanceledException for TransactionConflict, and raises it as the model does', async () => {
    const modelled = transactionCanceled([false, true]);
    const aws = await answering({
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      Message: modelled.message,
      CancellationReasons: modelled.CancellationReasons,
    });
    try {
      const error = await aws.client.send(transfer(['x', 'y'])).catch((e: unknown) => e);
      expect(aws.requests()).toBe(1);
      expect(error).toBeInstanceOf(TransactionCanceledException);
      const e = error as TransactionCanceledException;
      expect({ name: e.name, message: e.message, reasons: e.CancellationReasons, fault: e.$fault }).toEqual({
        name: modelled.name,
        message: modelled.message,
        reasons: modelled.CancellationReasons,
        fault: modelled.$fault,
      });
    } finally {
      aws.close();
    }
  });
});
