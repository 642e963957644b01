/**
 * A UPI transfer across a DynamoDB ledger (Pakka's runtime) and a PostgreSQL bank (the SQL participant),
 * through the real state machine in local mode: it commits and aborts as one, and when the coordinator
 * stops and the database is killed with SIGKILL between prepare and commit, recovery finds the prepared
 * transaction in PostgreSQL's own list and finishes it by the log's decision (presumed abort when none
 * was logged). A randomized run then checks that money is conserved across both stores.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACCOUNTS_DDL, bankAccounts, sqlBankKind } from '../../examples/sql-bank/bankAccounts.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS, kindRegistry } from '../../lambdas/participants/kinds/index.js';
import type { SqlEngine } from '../../lambdas/participants/sql/engine.js';
import { sqlInDoubt } from '../../lambdas/recovery/sqlInDoubt.js';
import { postgresEngine } from '../../lambdas/participants/sql/postgres.js';
import { ensureSqlParticipantReady, sqlParticipant } from '../../lambdas/participants/sql/runtime.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { LocalRecovery } from '../../local/recovery.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { readItem } from '../support/participantTable.js';
import { POSTGRES_USER, type SqlServer, postgresAvailable, requireServer, startPostgres } from '../../local/sqlServers.js';

const SQL_BANK = 'payee-sql';
const config = parseParticipantConfig(
  {
    defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
    participants: { 'payer-bank': { kind: 'ledger' }, [SQL_BANK]: { kind: 'sql-bank' } },
  },
  kindRegistry([...BUILT_IN_KINDS.values(), sqlBankKind]),
);

describe.runIf(requireServer(postgresAvailable()))('a transfer across a DynamoDB ledger and a PostgreSQL bank', () => {
  let server: SqlServer;
  let engine: SqlEngine;
  let pakka: LocalPakka;
  let stopAt: string | undefined;

  const sql = async (text: string, values?: unknown[]) => {
    const session = await engine.connect();
    try {
      return (await session.query(text, values)).rows;
    } finally {
      await session.close();
    }
  };
  const sqlBalance = async (id: string) => Number((await sql('SELECT balance FROM accounts WHERE id = $1', [id]))[0]?.balance);
  const ledgerBalance = async (key: string) => Number((await readItem(pakka, 'payer-bank', key))?.balance ?? 0);

  beforeAll(async () => {
    server = await startPostgres();
    engine = postgresEngine({
      client: () => new pg.Client({ host: '127.0.0.1', port: server.port, user: POSTGRES_USER, database: 'postgres' }),
      lockTimeoutMs: 100,
    });
    await ensureSqlParticipantReady(engine);
    await sql(ACCOUNTS_DDL);
    pakka = await testPakka({
      config,
      ownParticipants: { [SQL_BANK]: () => sqlParticipant({ name: SQL_BANK, definition: bankAccounts('postgresql'), engine }) },
      // As a crashed coordinator stops: the execution is aborted where it is.
      beforeTask: async (name, input) => {
        const txnId = (input as { txnId?: string } | undefined)?.txnId;
        if (stopAt === undefined || name !== stopAt) return;
        if (txnId) pakka.execution(txnId)?.abort();
        throw Object.assign(new Error('the coordinator stopped'), { name: 'Pakka.CoordinatorStopped' });
      },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  async function accounts(payer: number, payee: number) {
    const from = uniqueId('alice');
    const to = `bob-${randomUUID().slice(0, 12)}`;
    if (payer > 0) await pakka.runTransaction({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: from, amount: payer }] }] });
    await sql('INSERT INTO accounts (id, balance) VALUES ($1, $2)', [to, payee]);
    return { from, to };
  }
  const transfer = (from: string, to: string, amount: number, txnId = uniqueId('upi')) => ({
    txnId,
    timeoutSeconds: 10,
    participants: [
      { name: 'payer-bank', operations: [{ op: 'debit', key: from, amount }] },
      { name: SQL_BANK, operations: [{ op: 'credit', key: to, amount }] },
    ],
  });
  const recoveryAfterDeadline = () => {
    const later =
      Date.now() +
      (10 + DEFAULT_RECOVERY_CONFIG.deadlineGraceSeconds + EXECUTION_TIMEOUT_SECONDS.express + DEFAULT_RECOVERY_CONFIG.preparedRecordAgeSeconds + 60) * 1000;
    return new LocalRecovery(pakka, { dynamo: localDynamoClient(inject('dynamoEndpoint')), now: () => later, inDoubt: [sqlInDoubt(engine, SQL_BANK)] });
  };

  it('commits in both stores, and a no from the ledger aborts the PostgreSQL side with nothing changed', async () => {
    const { from, to } = await accounts(5_000, 0);
    expect(await pakka.runTransaction(transfer(from, to, 1_000))).toMatchObject({ ok: true, value: { status: 'COMMITTED' } });
    expect([await ledgerBalance(from), await sqlBalance(to)]).toEqual([4_000, 1_000]);
    expect(await pakka.runTransaction(transfer(from, to, 9_000))).toMatchObject({ ok: true, value: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' } });
    expect([await ledgerBalance(from), await sqlBalance(to)]).toEqual([4_000, 1_000]);
    expect(await sql('SELECT gid FROM pg_prepared_xacts')).toEqual([]);
  });

  it('a no from PostgreSQL (its rule in the SQL) aborts the ledger side', async () => {
    const { from, to } = await accounts(5_000, 0);
    const debitBob = {
      timeoutSeconds: 10,
      participants: [
        { name: 'payer-bank', operations: [{ op: 'credit', key: from, amount: 100 }] },
        { name: SQL_BANK, operations: [{ op: 'debit', key: to, amount: 100 }] },
      ],
    };
    expect(await pakka.runTransaction(debitBob)).toMatchObject({ ok: true, value: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' } });
    expect([await ledgerBalance(from), await sqlBalance(to)]).toEqual([5_000, 0]);
  });

  it('after COMMIT is logged, a stopped coordinator and a SIGKILLed database: recovery commits the prepared transaction after the restart', async () => {
    const { from, to } = await accounts(5_000, 0);
    const request = transfer(from, to, 700);
    stopAt = 'Commit';
    await pakka.start(request).done;
    stopAt = undefined;
    expect(await pakka.readLogItem(request.txnId)).toMatchObject({ decision: 'COMMIT' });
    expect((await sqlInDoubt(engine, SQL_BANK).preparedBefore(new Date().toISOString(), 100)).refs.map((r) => r.txnId)).toContain(request.txnId);
    await server.kill();
    const failed = await recoveryAfterDeadline().sweep();
    expect(failed.errors.length + failed.pending).toBeGreaterThan(0);
    await server.restart();
    const reports = await recoveryAfterDeadline().sweepUntilQuiet();
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(await pakka.getTransaction(request.txnId)).toMatchObject({ status: 'COMMITTED' });
    expect([await ledgerBalance(from), await sqlBalance(to)]).toEqual([4_300, 700]);
    expect(await sql('SELECT gid FROM pg_prepared_xacts')).toEqual([]);
  }, 120_000);

  it('before any decision, a stopped coordinator: recovery presumes abort and rolls back the prepared transaction', async () => {
    const { from, to } = await accounts(5_000, 0);
    const request = transfer(from, to, 300);
    stopAt = 'LogCommitDecision';
    await pakka.start(request).done;
    stopAt = undefined;
    expect(await pakka.readLogItem(request.txnId)).toBeUndefined();
    expect(await sql('SELECT count(*)::int AS n FROM pg_prepared_xacts')).toEqual([{ n: 1 }]);
    const reports = await recoveryAfterDeadline().sweepUntilQuiet();
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(await pakka.readLogItem(request.txnId)).toMatchObject({ decision: 'ABORT', decidedBy: 'recovery' });
    expect([await ledgerBalance(from), await sqlBalance(to)]).toEqual([5_000, 0]);
    expect(await sql('SELECT gid FROM pg_prepared_xacts')).toEqual([]);
    // A late prepare of the same transaction finds the tombstone and holds nothing.
    const late = await pakka.participants.get(SQL_BANK)?.({ action: 'prepare', txnId: request.txnId, operations: request.participants[1]?.operations });
    expect(late).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
  }, 120_000);

  it('conserves money across both stores through random transfers, stops and recovery', async () => {
    const seed = Number(process.env.PAKKA_TEST_SEED ?? Date.now() % 1_000_000);
    console.info(`sqlRecovery conservation seed: ${seed} (PAKKA_TEST_SEED=${seed} repeats it)`);
    let state = seed;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const payers = await Promise.all([0, 1, 2].map(() => accounts(2_000, 0)));
    const total = async () => {
      let sum = 0;
      for (const { from, to } of payers) sum += (await ledgerBalance(from)) + (await sqlBalance(to));
      return sum;
    };
    const before = await total();
    const stops = [undefined, undefined, 'LogCommitDecision', 'Commit', 'Abort'];
    const started: string[] = [];
    for (let i = 0; i < 24; i++) {
      const pair = payers[Math.floor(random() * payers.length)];
      if (!pair) continue;
      const amount = 1 + Math.floor(random() * 900);
      const request = transfer(pair.from, pair.to, amount);
      started.push(request.txnId);
      stopAt = stops[Math.floor(random() * stops.length)];
      await pakka.start(request).done;
      stopAt = undefined;
    }
    const reports = await recoveryAfterDeadline().sweepUntilQuiet();
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(await total()).toBe(before);
    for (const txnId of started) expect((await pakka.getTransaction(txnId))?.status).toMatch(/^(COMMITTED|ABORTED)$/);
    expect(await sql('SELECT gid FROM pg_prepared_xacts')).toEqual([]);
  }, 180_000);
});
