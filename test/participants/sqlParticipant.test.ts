/**
 * The SQL participant against real servers: PostgreSQL (PREPARE TRANSACTION) and MariaDB (XA), each
 * started by the test in a temporary folder and stopped by PID. The conformance kit holds both to every
 * rule of the participant protocol; the tests below it inject what the kit cannot: a database killed
 * with SIGKILL between prepare and commit, a lock held by a prepared transaction, a null abort racing
 * a prepare, and a server that refuses prepared transactions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BankOperation, bankAccounts } from '../../examples/sql-bank/bankAccounts.js';
import { inDoubtAnswer } from '../../lambdas/contract/participantProtocol.js';
import { RECORD_TABLE, SqlParticipantNotReady } from '../../lambdas/participants/sql/engine.js';
import { type SqlParticipantHandler, ensureSqlParticipantReady, sqlParticipant } from '../../lambdas/participants/sql/runtime.js';
import { participantConformance } from '../../testing/conformance.js';
import { postgresAvailable, startPostgres } from '../../local/sqlServers.js';
import { requireServer } from '../support/tools.js';
import { SQL_ENGINES, type SqlDatabase, type SqlEngineKind, engineFor, startSqlDatabase } from '../support/sqlDatabase.js';

interface World extends SqlDatabase {
  handler: SqlParticipantHandler;
}

const PARTICIPANT = 'payee-bank';

async function world(kind: SqlEngineKind): Promise<World> {
  const db = await startSqlDatabase(kind);
  return { ...db, handler: sqlParticipant({ name: PARTICIPANT, definition: bankAccounts(kind), engine: db.engine }) };
}

for (const { kind, label, available } of SQL_ENGINES) {
  describe.runIf(requireServer(available()))(`the SQL participant on ${label}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await world(kind);
    }, 120_000);
    afterAll(async () => {
      await w?.server.stop();
    });

    const p = (n: number) => w.p(n);
    const account = async (balance: number) => {
      const id = `acct-${randomUUID().slice(0, 12)}`;
      await w.query(`INSERT INTO accounts (id, balance) VALUES (${p(1)}, ${p(2)})`, [id, balance]);
      return id;
    };
    const balanceOf = async (id: string) => Number((await w.query(`SELECT balance FROM accounts WHERE id = ${p(1)}`, [id]))[0]?.balance);
    const txn = () => `sql-${randomUUID().slice(0, 12)}`;
    const prepared = () => w.prepared(PARTICIPANT);

    participantConformance<Record<string, number>>({
      name: `SQL bank (${kind})`,
      participant: PARTICIPANT,
      handler: () => w.handler,
      yes: async () => [{ op: 'debit', key: await account(1_000), amount: 300 }],
      no: { reason: 'INSUFFICIENT_FUNDS', setup: async () => [{ op: 'debit', key: await account(100), amount: 300 }] },
      allOrNothing: {
        reason: 'INSUFFICIENT_FUNDS',
        setup: async () => [
          { op: 'credit', key: await account(0), amount: 50 },
          { op: 'debit', key: await account(10), amount: 300 },
        ],
      },
      snapshot: async (ops) => Object.fromEntries(await Promise.all(ops.map(async (o) => [String(o.key), await balanceOf(String(o.key))] as const))),
    });

    it('keeps a prepared transaction through a SIGKILL of the database, and commits it from a new connection after the restart', async () => {
      const [from, to] = [await account(500), await account(0)];
      const t = txn();
      const ops: BankOperation[] = [
        { op: 'debit', key: from, amount: 200 },
        { op: 'credit', key: to, amount: 200 },
      ];
      expect(await w.handler({ action: 'prepare', txnId: t, operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
      await w.server.kill();
      // The database is gone: the coordinator's commit is refused as transient, and retried.
      await expect(w.handler({ action: 'commit', txnId: t, operations: ops })).rejects.toMatchObject({ name: 'Pakka.Transient' });
      await w.server.restart();
      expect(await w.handler({ action: 'status', txnId: t })).toMatchObject({ state: 'PREPARED' });
      expect(await balanceOf(from)).toBe(500);
      expect(await w.handler({ action: 'commit', txnId: t, operations: ops })).toMatchObject({ outcome: 'COMMITTED', repeated: false });
      expect([await balanceOf(from), await balanceOf(to)]).toEqual([300, 200]);
      expect(await w.handler({ action: 'commit', txnId: t })).toMatchObject({ outcome: 'COMMITTED', repeated: true });
      expect(await prepared()).not.toContain(t);
    }, 120_000);

    it('answers inDoubt (contract 1.3) from the database’s own list: a prepared transaction is there until its decision, a finished one is not', async () => {
      const t = txn();
      const ops = [{ op: 'debit', key: await account(500), amount: 100 }];
      expect(await w.handler({ action: 'prepare', txnId: t, operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT' });
      const asked = inDoubtAnswer.parse(await w.handler({ action: 'inDoubt', limit: 1000 }));
      expect(asked.participant).toBe(PARTICIPANT);
      expect(asked.inDoubt.map((h) => h.txnId)).toContain(t);
      const since = asked.inDoubt.find((h) => h.txnId === t)?.inDoubtSince ?? '';
      expect(Date.now() - Date.parse(since)).toBeLessThan(10 * 60_000);
      expect(await w.handler({ action: 'commit', txnId: t, operations: ops })).toMatchObject({ outcome: 'COMMITTED' });
      expect(inDoubtAnswer.parse(await w.handler({ action: 'inDoubt', limit: 1000 })).inDoubt.map((h) => h.txnId)).not.toContain(t);
    }, 60_000);

    it('votes LOCK_CONFLICT, holding nothing, while a prepared transaction holds the row, and the retry after the decision votes yes', async () => {
      const acct = await account(1_000);
      const first = txn();
      const second = txn();
      const debit = (amount: number): BankOperation[] => [{ op: 'debit', key: acct, amount }];
      expect(await w.handler({ action: 'prepare', txnId: first, operations: debit(100) })).toMatchObject({ vote: 'VOTE_COMMIT' });
      expect(await w.handler({ action: 'prepare', txnId: second, operations: debit(100) })).toMatchObject({ vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT' });
      // A lock conflict leaves no tombstone: the coordinator may retry the prepare.
      expect(await w.handler({ action: 'status', txnId: second })).toMatchObject({ state: 'UNKNOWN' });
      await w.handler({ action: 'commit', txnId: first });
      expect(await w.handler({ action: 'prepare', txnId: second, operations: debit(100) })).toMatchObject({ vote: 'VOTE_COMMIT' });
      await w.handler({ action: 'abort', txnId: second });
      expect(await balanceOf(acct)).toBe(900);
    });

    it('never leaves a transaction both aborted and prepared when a null abort races its prepare', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const acct = await account(1_000);
          const t = txn();
          const ops: BankOperation[] = [{ op: 'debit', key: acct, amount: 10 }];
          const send = async (action: 'prepare' | 'abort') => {
            // The coordinator retries Pakka.Transient; so does this race.
            for (;;) {
              try {
                return await w.handler({ action, txnId: t, operations: ops });
              } catch (error) {
                if ((error as Error).name !== 'Pakka.Transient') throw error;
              }
            }
          };
          const [vote] = await Promise.all([send('prepare'), send('abort')]);
          // Whatever the order, the abort has the last word: nothing stays prepared, nothing moved.
          await send('abort');
          return { t, vote, balance: await balanceOf(acct), status: await w.handler({ action: 'status', txnId: t }) };
        }),
      );
      for (const o of outcomes) {
        expect(o.balance).toBe(1_000);
        expect(o.status).toMatchObject({ state: 'ABORTED' });
      }
      const left = new Set(await prepared());
      expect(outcomes.filter((o) => left.has(o.t))).toEqual([]);
    }, 60_000);

    it('commits in one phase: the record and the work in one transaction, learnt by a later abort', async () => {
      const acct = await account(100);
      const t = txn();
      const ops: BankOperation[] = [{ op: 'credit', key: acct, amount: 40 }];
      expect(await w.handler({ action: 'commitOnePhase', txnId: t, operations: ops })).toMatchObject({ vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' });
      expect(await balanceOf(acct)).toBe(140);
      await expect(w.handler({ action: 'abort', txnId: t, operations: ops })).rejects.toMatchObject({ name: 'Pakka.CommittedInOnePhase' });
      expect(await balanceOf(acct)).toBe(140);
      expect(await w.query(`SELECT state FROM ${RECORD_TABLE} WHERE txn_id = ${p(1)}`, [t])).toEqual([{ state: 'COMMITTED' }]);
    });
  });
}

describe.runIf(requireServer(postgresAvailable()))('a PostgreSQL server that refuses prepared transactions', () => {
  it('is refused at start-up with the setting to change', async () => {
    const server = await startPostgres({ maxPreparedTransactions: 0 });
    try {
      const engine = engineFor('postgresql', server.port);
      await expect(ensureSqlParticipantReady(engine)).rejects.toBeInstanceOf(SqlParticipantNotReady);
      await expect(ensureSqlParticipantReady(engine)).rejects.toThrow(/max_prepared_transactions is 0/);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
