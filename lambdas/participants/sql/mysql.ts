/**
 * MySQL and MariaDB as two-phase participants through XA: `XA START`, `XA END`, `XA PREPARE`, then
 * `XA COMMIT` or `XA ROLLBACK` from any connection (MySQL reference manual, "XA Transaction SQL
 * Statements"; MariaDB keeps a prepared XA transaction after its connection ends from 10.5 on, MySQL
 * from 5.7.7). XA statements go through the text protocol: they cannot be server-side prepared.
 */
import { type MysqlXid, type PreparedId, mysqlFormatId, mysqlXid, parseMysqlXid, xidLiteral } from './globalId.js';
import { RECORD_TABLE, type SqlEngine, type SqlFailure, SqlParticipantNotReady, type SqlSession } from './engine.js';

/** The part of a `mysql2/promise` Connection the participant uses; pass `() => mysql.createConnection(config)`. */
export interface MysqlConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

export interface MysqlEngineOptions {
  connection: () => Promise<MysqlConnection>;
  /** How long a statement may wait for a row lock, in whole seconds (InnoDB's minimum is 1). */
  lockWaitSeconds?: number;
}

/** MySQL's server error numbers ("Server Error Message Reference"). */
const LOCK_CONFLICTS = new Set([1205, 1213]); // ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK
const DUPLICATE_ENTRY = 1062;
const XAER_NOTA = 1397; // XA COMMIT/ROLLBACK of an XID that is not (or no longer) prepared
const NETWORK = /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|PROTOCOL_CONNECTION_LOST)/;

const xid = (participant: string, id: PreparedId) => xidLiteral(mysqlXid(participant, id));

export function mysqlEngine(options: MysqlEngineOptions): SqlEngine {
  const lockWaitSeconds = Math.max(1, Math.trunc(options.lockWaitSeconds ?? 1));
  return {
    name: 'mysql',
    async connect(): Promise<SqlSession> {
      const connection = await options.connection();
      // For every statement of the session: a tombstone's insert must not wait for a prepared
      // transaction holding its key, which waits for the decision in turn.
      await connection.query(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}`);
      return {
        async query(sql, values) {
          const [result] = await connection.query(sql, values ? [...values] : undefined);
          if (Array.isArray(result)) return { rowCount: result.length, rows: result as Record<string, unknown>[] };
          return { rowCount: Number((result as { affectedRows?: unknown }).affectedRows ?? 0), rows: [] };
        },
        close: () => connection.end(),
      };
    },
    async begin(session, participant, id) {
      await session.query(`XA START ${xid(participant, id)}`);
    },
    async prepare(session, participant, id) {
      await session.query(`XA END ${xid(participant, id)}`);
      await session.query(`XA PREPARE ${xid(participant, id)}`);
    },
    async commitOpen(session, participant, id) {
      await session.query(`XA END ${xid(participant, id)}`);
      await session.query(`XA COMMIT ${xid(participant, id)} ONE PHASE`);
    },
    async rollbackOpen(session, participant, id) {
      // A statement error may have ended the XA branch already; XA ROLLBACK works in either state.
      await session.query(`XA END ${xid(participant, id)}`).catch(() => undefined);
      await session.query(`XA ROLLBACK ${xid(participant, id)}`);
    },
    async commitPrepared(session, participant, id) {
      await session.query(`XA COMMIT ${xid(participant, id)}`);
    },
    async rollbackPrepared(session, participant, id) {
      await session.query(`XA ROLLBACK ${xid(participant, id)}`);
    },
    async listPrepared(session, participant, txnId) {
      const formatId = mysqlFormatId(participant);
      return (await recovered(session))
        .filter((x) => x.formatId === formatId)
        .flatMap((x) => {
          const id = parseMysqlXid(participant, x);
          return id && (txnId === undefined || id.txnId === txnId) ? [{ ...id, preparedAt: id.begunAt }] : [];
        });
    },
    classify(error): SqlFailure {
      const { errno, code } = typeof error === 'object' && error !== null ? (error as { errno?: unknown; code?: unknown }) : {};
      if (typeof code === 'string' && NETWORK.test(code)) return 'connection';
      if (typeof errno !== 'number') return 'other';
      if (LOCK_CONFLICTS.has(errno)) return 'lockConflict';
      if (errno === DUPLICATE_ENTRY) return 'duplicateKey';
      return errno === XAER_NOTA ? 'unknownPrepared' : 'other';
    },
    recordTableDdl: `CREATE TABLE IF NOT EXISTS ${RECORD_TABLE} (
  participant VARCHAR(40) NOT NULL,
  txn_id VARCHAR(80) NOT NULL,
  state VARCHAR(9) NOT NULL,
  digest VARCHAR(64),
  vote_reason VARCHAR(40),
  one_phase BOOLEAN NOT NULL DEFAULT FALSE,
  recorded_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (participant, txn_id),
  CHECK (state IN ('COMMITTED', 'ABORTED'))
) ENGINE=InnoDB`,
    placeholder: () => '?',
    async checkReady(session) {
      const { rows } = await session.query("SELECT ENGINE, XA FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB'");
      if (String(rows[0]?.XA ?? '').toUpperCase() !== 'YES') {
        throw new SqlParticipantNotReady('this MySQL/MariaDB server has no InnoDB with XA support: the participant needs XA transactions (InnoDB).');
      }
    },
  };
}

/** `XA RECOVER` rows: data is gtrid followed by bqual. */
async function recovered(session: SqlSession): Promise<MysqlXid[]> {
  const { rows } = await session.query('XA RECOVER');
  return rows.map((row) => {
    const data = String(row.data);
    const gtridLength = Number(row.gtrid_length);
    return { formatId: Number(row.formatID), gtrid: data.slice(0, gtridLength), bqual: data.slice(gtridLength, gtridLength + Number(row.bqual_length)) };
  });
}
