/**
 * PostgreSQL as a two-phase participant: `PREPARE TRANSACTION`, then `COMMIT PREPARED` or
 * `ROLLBACK PREPARED` from any connection (PostgreSQL docs, "PREPARE TRANSACTION"). The server must
 * allow prepared transactions: `max_prepared_transactions` is 0 by default, which refuses them.
 */
import { type PreparedId, parsePostgresGid, postgresGid } from './globalId.js';
import { RECORD_TABLE, type SqlEngine, type SqlFailure, SqlParticipantNotReady, type SqlSession } from './engine.js';

/** The part of a `pg` Client the participant uses; pass `() => new pg.Client(config)`. */
export interface PostgresClient {
  connect(): Promise<unknown>;
  query(sql: string, values?: unknown[]): Promise<{ rowCount: number | null; rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

export interface PostgresEngineOptions {
  client: () => PostgresClient;
  /**
   * How long a statement may wait for a row lock before the prepare votes LOCK_CONFLICT. Nothing waits
   * on a lock for long (a prepared transaction holds its locks until the decision); a short wait lets a
   * commit that is finishing release them.
   */
  lockTimeoutMs?: number;
}

/** PostgreSQL's SQLSTATEs (Appendix A, "PostgreSQL Error Codes"). */
const LOCK_CONFLICTS = new Set(['55P03', '40P01', '40001']); // lock_not_available, deadlock_detected, serialization_failure
const UNIQUE_VIOLATION = '23505';
const UNDEFINED_OBJECT = '42704'; // COMMIT/ROLLBACK PREPARED of a gid that is not (or no longer) prepared
// Class 08 (connection exception) and 57P0x (the server shutting down or restarting).
const CONNECTION = /^(08|57P0)/;
const NETWORK = /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)/;

// A gid is a string literal in PREPARE TRANSACTION and friends (no parameters there); postgresGid admits only [A-Za-z0-9_:-].
const gidLiteral = (participant: string, id: PreparedId) => `'${postgresGid(participant, id)}'`;

export function postgresEngine(options: PostgresEngineOptions): SqlEngine {
  const lockTimeoutMs = Math.max(1, Math.trunc(options.lockTimeoutMs ?? 200));
  return {
    name: 'postgresql',
    async connect(): Promise<SqlSession> {
      const client = options.client();
      await client.connect();
      // For every statement of the session, not only the transaction's: a tombstone's insert must not
      // wait for a prepared transaction holding its key, which waits for the decision in turn.
      await client.query(`SET lock_timeout = '${lockTimeoutMs}ms'`);
      return {
        async query(sql, values) {
          const result = await client.query(sql, values ? [...values] : undefined);
          return { rowCount: result.rowCount ?? 0, rows: result.rows };
        },
        close: () => client.end(),
      };
    },
    async begin(session) {
      await session.query('BEGIN');
    },
    async prepare(session, participant, id) {
      await session.query(`PREPARE TRANSACTION ${gidLiteral(participant, id)}`);
    },
    async commitOpen(session) {
      await session.query('COMMIT');
    },
    async rollbackOpen(session) {
      await session.query('ROLLBACK');
    },
    async commitPrepared(session, participant, id) {
      await session.query(`COMMIT PREPARED ${gidLiteral(participant, id)}`);
    },
    async rollbackPrepared(session, participant, id) {
      await session.query(`ROLLBACK PREPARED ${gidLiteral(participant, id)}`);
    },
    async listPrepared(session, participant, txnId) {
      const prefix = txnId === undefined ? `pakka:${participant}:` : `pakka:${participant}:${txnId}:`;
      // Only this database's: pg_prepared_xacts lists every database of the cluster.
      const { rows } = await session.query('SELECT gid, prepared FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)', [
        prefix,
      ]);
      return rows.flatMap((row) => {
        const id = parsePostgresGid(participant, String(row.gid));
        return id ? [{ ...id, preparedAt: row.prepared instanceof Date ? row.prepared : undefined }] : [];
      });
    },
    classify(error): SqlFailure {
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      if (typeof code !== 'string') return error instanceof Error && /Connection terminated|not queryable/i.test(error.message) ? 'connection' : 'other';
      if (LOCK_CONFLICTS.has(code)) return 'lockConflict';
      if (code === UNIQUE_VIOLATION) return 'duplicateKey';
      if (code === UNDEFINED_OBJECT) return 'unknownPrepared';
      return CONNECTION.test(code) || NETWORK.test(code) ? 'connection' : 'other';
    },
    recordTableDdl: `CREATE TABLE IF NOT EXISTS ${RECORD_TABLE} (
  participant text NOT NULL,
  txn_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('COMMITTED', 'ABORTED')),
  digest text,
  vote_reason text,
  one_phase boolean NOT NULL DEFAULT false,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (participant, txn_id)
)`,
    placeholder: (n) => `$${n}`,
    async checkReady(session) {
      const { rows } = await session.query('SHOW max_prepared_transactions');
      const allowed = Number(rows[0]?.max_prepared_transactions ?? 0);
      if (!(allowed > 0)) {
        throw new SqlParticipantNotReady(
          'PostgreSQL refuses PREPARE TRANSACTION: max_prepared_transactions is 0 (its default). Set it to at least the number of transactions this participant may hold prepared at once (for example max_connections) and restart the server; on RDS and Aurora, in the DB parameter group.',
        );
      }
    },
  };
}
