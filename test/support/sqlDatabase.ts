/**
 * A real SQL database for a test: PostgreSQL or MariaDB started in a temporary folder on a free port
 * (local/sqlServers.ts), the SQL participant's engine over it, the sample bank's accounts table, and a
 * plain query on a fresh connection, as the team's own code or an operator would run one.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ACCOUNTS_DDL } from '../../examples/sql-bank/bankAccounts.js';
import type { SqlEngine } from '../../lambdas/participants/sql/engine.js';
import { mysqlEngine } from '../../lambdas/participants/sql/mysql.js';
import { postgresEngine } from '../../lambdas/participants/sql/postgres.js';
import { ensureSqlParticipantReady } from '../../lambdas/participants/sql/runtime.js';
import { POSTGRES_USER, type SqlServer, mariadbAvailable, postgresAvailable, startMariadb, startPostgres } from '../../local/sqlServers.js';

export type SqlEngineKind = 'postgresql' | 'mysql';

export const SQL_ENGINES: ReadonlyArray<{ kind: SqlEngineKind; label: string; available: typeof postgresAvailable }> = [
  { kind: 'postgresql', label: 'PostgreSQL', available: postgresAvailable },
  { kind: 'mysql', label: 'MariaDB', available: mariadbAvailable },
];

export interface SqlDatabase {
  kind: SqlEngineKind;
  server: SqlServer;
  engine: SqlEngine;
  query(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The n-th (1-based) placeholder of this engine's SQL. */
  p(n: number): string;
  /** The txnIds a participant holds prepared, from the database's own list. */
  prepared(participant: string): Promise<string[]>;
}

export function engineFor(kind: SqlEngineKind, port: number): SqlEngine {
  return kind === 'postgresql'
    ? postgresEngine({ client: () => new pg.Client({ host: '127.0.0.1', port, user: POSTGRES_USER, database: 'postgres' }), lockTimeoutMs: 100 })
    : mysqlEngine({ connection: () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database: 'bank' }) });
}

export async function startSqlDatabase(kind: SqlEngineKind): Promise<SqlDatabase> {
  const server = kind === 'postgresql' ? await startPostgres() : await startMariadb();
  if (kind === 'mysql') {
    const admin = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    await admin.query('CREATE DATABASE bank');
    await admin.end();
  }
  const engine = engineFor(kind, server.port);
  await ensureSqlParticipantReady(engine);
  const onSession = async <T>(work: (session: Awaited<ReturnType<SqlEngine['connect']>>) => Promise<T>): Promise<T> => {
    const session = await engine.connect();
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  };
  const query = (sql: string, values?: unknown[]) => onSession(async (session) => (await session.query(sql, values)).rows);
  await query(ACCOUNTS_DDL);
  return {
    kind,
    server,
    engine,
    query,
    p: (n) => engine.placeholder(n),
    prepared: (participant) => onSession(async (session) => (await engine.listPrepared(session, participant)).map((t) => t.txnId)),
  };
}
