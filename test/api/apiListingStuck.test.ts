/**
 * GET /transactions?status=PREPARING|COMMITTING|ABORTING|OPEN beside thousands of finished transactions
 * (issue 21 D10, D11; issue 22's empty pages), on DynamoDB Local: every stuck transaction is listed,
 * once, oldest first, with no empty page before the end, whatever the page size. The finished ones are
 * written straight into the tables as the happy path leaves them (a COMMITTING log item, COMMITTED
 * records); a few stuck ones are real transactions stopped by the fault seam, the rest written as a
 * stopped coordinator leaves them.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiError, type ApiErrorBody, errorResponse } from '../../lambdas/api/http.js';
import { listTransactions } from '../../lambdas/api/listing.js';
import { LIST_STATUSES, STUCK_STATUSES, isStuckStatus } from '../../lambdas/api/listStatuses.js';
import { getTransaction } from '../../lambdas/api/transactionRoutes.js';
import type { TransactionService } from '../../lambdas/api/transactionService.js';
import type { TransactionView } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { logShardOf, openPartitionOf, statusPartitionOf } from '../../lambdas/coordinatorLog/logShards.js';
import { IN_DOUBT_PARTITION, IN_DOUBT_SORT, inDoubtPartitionOf, recordKeyOf } from '../../lambdas/participants/table.js';
import { localTransactionService } from '../../local/transactionService.js';
import { LedgerWorld, ledgerConfig } from '../chaos/ledgerWorld.js';

const FINISHED = 2000;
const STUCK_EACH = 24;
const T0 = Date.UTC(2026, 0, 1);
const at = (second: number) => new Date(T0 + second * 1000).toISOString();

let w: LedgerWorld;
let service: TransactionService;
let bulk: DynamoDBDocumentClient;
const expected: Record<'PREPARING' | 'COMMITTING' | 'ABORTING', string[]> = { PREPARING: [], COMMITTING: [], ABORTING: [] };

const participant = (name: string) => ({ name, operations: [], prepareTimeoutSeconds: 1, commitTimeoutSeconds: 2 });

function logItem(txnId: string, second: number, decision: 'COMMIT' | 'ABORT' | undefined, extra: Record<string, unknown> = {}) {
  const status = decision === 'COMMIT' ? 'COMMITTING' : decision === 'ABORT' ? 'ABORTING' : 'PREPARING';
  return {
    txnId,
    status,
    statusPartition: statusPartitionOf(status, logShardOf(txnId)),
    createdAt: at(second),
    timeoutSeconds: 30,
    requestDigest: `digest-${txnId}`,
    participantsJson: JSON.stringify([participant('payer-bank'), participant('payee-bank')]),
    ...(decision ? { decision, decidedAt: at(second + 1), votesJson: JSON.stringify({ names: ['payer-bank', 'payee-bank'], needsCommit: [1, 1] }) } : {}),
    ...extra,
  };
}

const committedRecord = (txnId: string, second: number) => ({
  ...recordKeyOf(txnId),
  txnId,
  state: 'COMMITTED',
  preparedAt: at(second),
  committedAt: at(second + 1),
});
const preparedRecord = (txnId: string, second: number) => ({
  ...recordKeyOf(txnId),
  txnId,
  state: 'PREPARED',
  preparedAt: at(second),
  [IN_DOUBT_PARTITION]: inDoubtPartitionOf(txnId),
  [IN_DOUBT_SORT]: at(second),
});

async function writeAll(table: string, items: Array<Record<string, unknown>>) {
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown[]> | undefined = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    while (pending && Object.keys(pending).length) {
      const out = await bulk.send(new BatchWriteCommand({ RequestItems: pending as never }));
      pending = out.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
  }
}

async function page(status: string, limit: number, cursor?: string): Promise<{ transactions: TransactionView[]; nextCursor: string | null }> {
  const event = { queryStringParameters: { status, limit: String(limit), ...(cursor ? { cursor } : {}) } } as unknown as APIGatewayProxyEvent;
  const answer = await listTransactions(service, event);
  expect(answer.statusCode).toBe(200);
  return JSON.parse(answer.body) as { transactions: TransactionView[]; nextCursor: string | null };
}

/** The answer to a refused listing, as the API sends it (status code and JSON error body). */
async function refusal(query: Record<string, string>): Promise<{ statusCode: number; error: ApiErrorBody }> {
  try {
    await listTransactions(service, { queryStringParameters: query } as unknown as APIGatewayProxyEvent);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const answer = errorResponse(error);
    return { statusCode: answer.statusCode, ...(JSON.parse(answer.body) as { error: ApiErrorBody }) };
  }
  throw new Error(`listing ${JSON.stringify(query)} was not refused`);
}

/** Every page of a listing; fails on an empty page that offers a cursor. */
async function everyPage(status: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const next = await page(status, limit, cursor);
    const ids = next.transactions.map((t) => t.txnId);
    if (next.nextCursor !== null) expect(ids.length, `page ${pages.length + 1} of ${status} is empty but offers a cursor`).toBeGreaterThan(0);
    for (const t of next.transactions) expect(status === 'OPEN' ? isStuckStatus(t.status) : t.status === status, `${t.txnId} is ${t.status}`).toBe(true);
    pages.push(ids);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

beforeAll(async () => {
  // What is checked is what the listings return, not how fast: a loaded machine must not fail a call or a prepare.
  const before = process.env.PAKKA_SDK_REQUEST_TIMEOUT_MS;
  process.env.PAKKA_SDK_REQUEST_TIMEOUT_MS = '60000';
  w = await LedgerWorld.create({
    endpoint: inject('dynamoEndpoint'),
    config: ledgerConfig(20, 20),
    faults: [
      { fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 'real-preparing' },
      { fault: 'stopCoordinator', at: 'Commit', txnId: 'real-committing' },
    ],
  });
  if (before === undefined) delete process.env.PAKKA_SDK_REQUEST_TIMEOUT_MS;
  else process.env.PAKKA_SDK_REQUEST_TIMEOUT_MS = before;
  const patient = localDynamoClient(inject('dynamoEndpoint'), { connectionTimeoutMs: 10_000, requestTimeoutMs: 60_000, maxAttempts: 3 });
  bulk = documentClient(patient);
  service = localTransactionService(w.pakka, patient);
  const { coordinatorLog, participants } = w.pakka.tables;
  const payer = participants.get('payer-bank') as string;
  const payee = participants.get('payee-bank') as string;

  // Finished transactions, spread over the same hours as the stuck ones, before, between and after them.
  const finished = Array.from({ length: FINISHED }, (_, i) => ({ txnId: `done-${String(i).padStart(5, '0')}`, second: i * 10 }));
  await writeAll(coordinatorLog, [
    ...finished.map((f, i) => logItem(f.txnId, f.second, i % 2 ? 'COMMIT' : 'ABORT')),
    // A one-phase transaction whose outcome its coordinator could not learn: logged without a decision, in the open index (D10a).
    logItem('open-one-phase', 4, undefined, { onePhase: true, openPartition: openPartitionOf(logShardOf('open-one-phase')) }),
  ]);
  const finishedRecord = (f: { txnId: string; second: number }, i: number) =>
    i % 2 ? committedRecord(f.txnId, f.second) : { ...committedRecord(f.txnId, f.second), state: 'ABORTED', abortedAt: at(f.second + 1) };
  await writeAll(payer, finished.map(finishedRecord));
  await writeAll(payee, finished.map(finishedRecord));

  // Stuck ones: decided and undelivered (COMMITTING, ABORTING: a PREPARED record left), and undecided (records only).
  const stuck = Array.from({ length: STUCK_EACH }, (_, i) => i * 1000 + 3);
  await writeAll(coordinatorLog, [
    ...stuck.map((second, i) => logItem(`stuck-c${String(i).padStart(2, '0')}`, second, 'COMMIT')),
    ...stuck.map((second, i) => logItem(`stuck-a${String(i).padStart(2, '0')}`, second + 1, 'ABORT')),
  ]);
  await writeAll(payer, [
    ...stuck.map((second, i) => preparedRecord(`stuck-c${String(i).padStart(2, '0')}`, second)),
    ...stuck.map((second, i) => committedRecord(`stuck-a${String(i).padStart(2, '0')}`, second + 1)),
    ...stuck.map((second, i) => preparedRecord(`stuck-p${String(i).padStart(2, '0')}`, second + 2)),
  ]);
  await writeAll(payee, [
    ...stuck.map((second, i) => committedRecord(`stuck-c${String(i).padStart(2, '0')}`, second)),
    ...stuck.map((second, i) => preparedRecord(`stuck-a${String(i).padStart(2, '0')}`, second + 1)),
    // An undecided transaction held at two participants is listed once, under its oldest record.
    ...stuck.map((second, i) => preparedRecord(`stuck-p${String(i).padStart(2, '0')}`, second + 7)),
  ]);
  expected.COMMITTING = stuck.map((_, i) => `stuck-c${String(i).padStart(2, '0')}`);
  expected.ABORTING = stuck.map((_, i) => `stuck-a${String(i).padStart(2, '0')}`);
  expected.PREPARING = ['open-one-phase', ...stuck.map((_, i) => `stuck-p${String(i).padStart(2, '0')}`)];

  // Two real ones, stopped by the fault seam: the newest of their statuses.
  await w.fund([
    { participant: 'payer-bank', key: 'p1', balance: 100 },
    { participant: 'payer-bank', key: 'c1', balance: 100 },
  ]);
  await w.start('real-preparing', { from: { participant: 'payer-bank', key: 'p1' }, to: { participant: 'payee-bank', key: 'q1' }, amount: 10, fee: 0 }).done;
  await w.start('real-committing', { from: { participant: 'payer-bank', key: 'c1' }, to: { participant: 'payee-bank', key: 'd1' }, amount: 10, fee: 0 }).done;
  await w.injector.settled();
  expected.PREPARING.push('real-preparing');
  expected.COMMITTING.push('real-committing');
}, 600_000);

afterAll(async () => {
  await w?.destroy();
});

describe('the stuck listings beside thousands of finished transactions', () => {
  it.each(['PREPARING', 'COMMITTING', 'ABORTING'] as const)(
    '%s: every one, once, oldest first, no empty page before the end',
    { timeout: 300_000 },
    async (status) => {
      for (const limit of [20, 7, 100]) {
        const pages = await everyPage(status, limit);
        expect(pages.flat(), `limit ${limit}`).toEqual(expected[status]);
        expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      }
    },
  );

  it('OPEN: the three together, each once, oldest first, paged across them', { timeout: 300_000 }, async () => {
    const open = (await everyPage('OPEN', 100)).flat();
    expect([...open].sort()).toEqual(STUCK_STATUSES.flatMap((s) => expected[s]).sort());
    // Oldest first: each status's own order, interleaved by when it began to be held (stuck-cNN, stuck-aNN, stuck-pNN a second apart).
    const i = (txnId: string) => open.indexOf(txnId);
    expect(i('open-one-phase')).toBeLessThan(i('stuck-c01'));
    for (let n = 0; n < STUCK_EACH; n++) {
      const id = String(n).padStart(2, '0');
      expect(i(`stuck-c${id}`)).toBeLessThan(i(`stuck-a${id}`));
      expect(i(`stuck-a${id}`)).toBeLessThan(i(`stuck-p${id}`));
      if (n + 1 < STUCK_EACH) expect(i(`stuck-p${id}`)).toBeLessThan(i(`stuck-c${String(n + 1).padStart(2, '0')}`));
    }
    for (const status of STUCK_STATUSES) expect(open.filter((id) => expected[status].includes(id))).toEqual(expected[status]);
    for (const limit of [7, 20]) {
      const pages = await everyPage('OPEN', limit);
      expect(pages.flat(), `limit ${limit}`).toEqual(open);
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
    }
  });

  it('refuses a cursor of one filter for another, and a bad status, naming the field and the allowed values', async () => {
    const first = await page('OPEN', 3);
    expect(first.nextCursor).not.toBeNull();
    const open = first.nextCursor ?? '';
    const preparing = (await page('PREPARING', 3)).nextCursor ?? '';
    for (const [status, cursor] of [
      ['PREPARING', open],
      ['COMMITTED', open],
      ['OPEN', preparing],
    ]) {
      expect(await refusal({ status: status as string, cursor: cursor as string }), `${status} with another's cursor`).toMatchObject({
        statusCode: 400,
        error: { code: 'INVALID_REQUEST', field: 'cursor' },
      });
    }
    expect(await refusal({ status: 'STUCK' })).toEqual({
      statusCode: 400,
      error: { code: 'INVALID_REQUEST', field: 'status', message: `status must be one of ${LIST_STATUSES.join(', ')}` },
    });
    expect(LIST_STATUSES).toContain('OPEN');
  });

  it('the final statuses: a full first page, read past the stuck ones stored beside them', { timeout: 300_000 }, async () => {
    for (const status of ['COMMITTED', 'ABORTED']) {
      const first = await page(status, 5);
      expect(first.transactions).toHaveLength(5);
      expect(first.nextCursor).not.toBeNull();
    }
  });

  it('a GET of an undecided transaction and its row in the listing agree', async () => {
    const row = (await page('PREPARING', 100)).transactions.find((t) => t.txnId === 'stuck-p03');
    const one = JSON.parse((await getTransaction(service, 'stuck-p03')).body) as TransactionView;
    expect(row).toBeDefined();
    expect({ createdAt: one.createdAt, deadline: one.deadline, participants: one.participants.map((p) => p.name) }).toEqual({
      createdAt: row?.createdAt,
      deadline: row?.deadline,
      participants: row?.participants.map((p) => p.name),
    });
    expect(Date.parse(one.deadline)).toBeGreaterThan(Date.parse(one.createdAt));
  });
});
