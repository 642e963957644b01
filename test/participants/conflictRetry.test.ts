/**
 * A conflict under AWS's rules is retried inside the participant (jittered exponential backoff) before
 * it can become a vote or a Lambda error. The conflicts are injected into the participant's client as
 * the SDK raises them (the modelled errors of local/conflictRules.ts).
 */
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { barrierParticipant, defineBarrierParticipant } from '../../lambdas/participants/barrier/index.js';
import {
  type ConflictBackoff,
  DEFAULT_CONFLICT_BACKOFF,
  conflictDelayMs,
  isTransactionConflict,
  retryingConflicts,
} from '../../lambdas/participants/conflictRetry.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { participantHandler } from '../../lambdas/participants/runtime.js';
import { transactionCanceled, transactionConflict } from '../../local/conflictRules.js';
import { barrierClient, barrierTable } from '../support/barrierTable.js';
import { uniqueId } from '../support/pakka.js';

const noWait = { sleep: async () => {} };

describe('which errors are conflicts', () => {
  it('TransactionConflictException, and a cancellation whose only reason is TransactionConflict', () => {
    expect(isTransactionConflict(transactionConflict())).toBe(true);
    expect(isTransactionConflict(transactionCanceled([false, true]))).toBe(true);
  });

  it('not a cancellation that also reports a failed condition (that is an answer), nor any other error', () => {
    const mixed = Object.assign(transactionCanceled([false, true]), {
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'TransactionConflict' }],
    });
    expect(isTransactionConflict(mixed)).toBe(false);
    expect(isTransactionConflict(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }))).toBe(false);
    expect(isTransactionConflict(Object.assign(new Error('x'), { name: 'ProvisionedThroughputExceededException' }))).toBe(false);
    expect(isTransactionConflict('TransactionConflictException')).toBe(false);
  });
});

describe('the backoff', () => {
  it('waits a random time below 50, 100, 200, 400, 400 ms before each retry (full jitter, capped)', () => {
    const ceilings = [0, 1, 2, 3, 4].map((retry) => conflictDelayMs(retry, DEFAULT_CONFLICT_BACKOFF, () => 0.999999) + 1);
    expect(ceilings).toEqual([50, 100, 200, 400, 400]);
    expect(conflictDelayMs(3, DEFAULT_CONFLICT_BACKOFF, () => 0)).toBe(0);
    expect(conflictDelayMs(2, DEFAULT_CONFLICT_BACKOFF, () => 0.5)).toBe(100);
  });

  it('retries a conflict until the write goes through', async () => {
    let calls = 0;
    const delays: number[] = [];
    const answer = await retryingConflicts(
      async () => {
        calls += 1;
        if (calls < 3) throw transactionConflict();
        return 'written';
      },
      { ...noWait, random: () => 0.5, onRetry: (_retry, delay) => delays.push(delay) },
    );
    expect(answer).toBe('written');
    expect(delays).toEqual([25, 50]);
  });

  it('gives up after its attempts and rethrows the conflict', async () => {
    const backoff: ConflictBackoff = { attempts: 4, firstDelayMs: 10, maxDelayMs: 40 };
    let calls = 0;
    const error = await retryingConflicts(
      async () => {
        calls += 1;
        throw transactionCanceled([true]);
      },
      { ...noWait, backoff },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(isTransactionConflict(error)).toBe(true);
  });

  it('never retries another error', async () => {
    let calls = 0;
    await expect(
      retryingConflicts(async () => {
        calls += 1;
        throw Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });
      }, noWait),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });
});

/** The participant's client, whose first `times` commands of a class fail with `conflict()` before reaching DynamoDB. */
function conflicting(real: DynamoDBDocumentClient, kind: new (...args: never[]) => object, times: number, conflict: () => Error) {
  const seen = { conflicts: 0, sent: 0 };
  const client = {
    send: (command: object) => {
      if (command instanceof kind) {
        seen.sent += 1;
        if (seen.conflicts < times) {
          seen.conflicts += 1;
          return Promise.reject(conflict());
        }
      }
      return real.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, seen };
}

describe('the built-in participant runtime', () => {
  let tableName: string;
  beforeAll(async () => {
    tableName = await barrierTable('payee-bank');
  });

  it('a prepare cancelled by a conflict twice is retried and votes VOTE_COMMIT, not Pakka.Transient (the record layout)', async () => {
    const { client, seen } = conflicting(barrierClient(), TransactWriteCommand, 2, () => transactionCanceled([false, true]));
    // The record layout's TransactWriteItems is what AWS cancels; holds in the item write no transaction.
    const handler = participantHandler({ name: 'payee-bank', kind: ledger, tableName, client, holdsInItems: false });
    const txnId = uniqueId('conflict');
    const operations = [{ op: 'credit', key: uniqueId('acct'), amount: 500 }];
    const answer = await handler({ action: 'prepare', txnId, operations });
    expect(answer).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(seen).toEqual({ conflicts: 2, sent: 3 });
    expect(await handler({ action: 'commit', txnId, operations })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
  });

  it('a hold in the item whose single-item write meets a conflict twice is retried and votes VOTE_COMMIT', async () => {
    const { client, seen } = conflicting(barrierClient(), UpdateCommand, 2, () => transactionConflict());
    const handler = participantHandler({ name: 'payee-bank', kind: ledger, tableName, client, holdsInItems: true });
    const txnId = uniqueId('conflict');
    const operations = [{ op: 'credit', key: uniqueId('acct'), amount: 500 }];
    expect(await handler({ action: 'prepare', txnId, operations })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(seen.conflicts).toBe(2);
    // Two refused sends, then the prepare's own writes (the item gains its intents map, then its entry).
    expect(seen.sent).toBeGreaterThanOrEqual(3);
    expect(await handler({ action: 'commit', txnId, operations })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
  });

  it('a conflict that outlasts every attempt is Pakka.Transient (the coordinator retries it), never a vote', async () => {
    const { client, seen } = conflicting(barrierClient(), TransactWriteCommand, 1000, () => transactionCanceled([false, true]));
    const handler = participantHandler({ name: 'payee-bank', kind: ledger, tableName, client, holdsInItems: false });
    const error = await handler({ action: 'prepare', txnId: uniqueId('conflict'), operations: [{ op: 'credit', key: uniqueId('acct'), amount: 1 }] }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('Pakka.Transient');
    // Each of the runtime's own race attempts tried its transaction DEFAULT_CONFLICT_BACKOFF.attempts times.
    expect(seen.sent % DEFAULT_CONFLICT_BACKOFF.attempts).toBe(0);
    expect(seen.sent).toBeGreaterThanOrEqual(DEFAULT_CONFLICT_BACKOFF.attempts);
  });
});

describe('the barrier runtime', () => {
  let tableName: string;
  beforeAll(async () => {
    tableName = await barrierTable('gateway');
  });

  it('a record write rejected by a conflict is retried, and the team code runs once', async () => {
    const calls = { prepare: 0, commit: 0 };
    const definition = defineBarrierParticipant({
      operation: z.strictObject({ op: z.literal('hold'), key: z.string() }),
      async prepare() {
        calls.prepare += 1;
        return { vote: 'VOTE_COMMIT' };
      },
      async commit() {
        calls.commit += 1;
      },
      async abort() {},
    });
    const puts = conflicting(barrierClient(), PutCommand, 2, transactionConflict);
    const updates = conflicting(puts.client, UpdateCommand, 2, transactionConflict);
    const handler = barrierParticipant({ name: 'gateway', definition, tableName, client: updates.client });
    const txnId = uniqueId('conflict');
    const operations = [{ op: 'hold', key: 'card-1' }];
    expect(await handler({ action: 'prepare', txnId, operations })).toMatchObject({ vote: 'VOTE_COMMIT' });
    expect(await handler({ action: 'commit', txnId, operations })).toMatchObject({ outcome: 'COMMITTED' });
    expect(puts.seen.conflicts).toBe(2);
    expect(updates.seen.conflicts).toBe(2);
    expect(calls).toEqual({ prepare: 1, commit: 1 });
  });
});
