/**
 * What the SQL participant needs of a database engine: a session, the transaction control of its
 * two-phase commit, its list of prepared transactions, and how its errors read. One adapter per engine
 * (./postgres.ts, ./mysql.ts); the participant's protocol (./runtime.ts) is written once over this.
 */
import { PAKKA_ERROR } from '../../protocol/errorNames.js';
import type { PreparedId } from './globalId.js';

export interface SqlResult {
  rowCount: number;
  rows: Record<string, unknown>[];
}

/** One connection. The participant opens one per message and always closes it. */
export interface SqlSession {
  query(sql: string, values?: readonly unknown[]): Promise<SqlResult>;
  close(): Promise<void>;
}

/** A prepared transaction of this participant, from the database's own list. */
export interface PreparedTransaction extends PreparedId {
  /** When it was prepared, where the engine says (PostgreSQL does, XA RECOVER does not). */
  preparedAt: Date | undefined;
}

/**
 * How a failed statement reads, for the protocol: a lock another transaction holds, a duplicate key, a
 * prepared transaction that is no longer there (another delivery finished it), a lost connection or a
 * server going away (worth retrying), or anything else.
 */
export type SqlFailure = 'lockConflict' | 'duplicateKey' | 'unknownPrepared' | 'connection' | 'other';

export interface SqlEngine {
  readonly name: 'postgresql' | 'mysql';
  connect(): Promise<SqlSession>;
  /** Opens the participant's transaction (every session waits only briefly for a lock: nothing waits long on one). */
  begin(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  /** Prepares the open transaction: from here it survives a crash and any connection may finish it. */
  prepare(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  /** Commits the open transaction at once (the one-phase commit). */
  commitOpen(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  /** Rolls the open (not prepared) transaction back. */
  rollbackOpen(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  commitPrepared(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  rollbackPrepared(session: SqlSession, participant: string, id: PreparedId): Promise<void>;
  /** This participant's prepared transactions, optionally only the one of a txnId. */
  listPrepared(session: SqlSession, participant: string, txnId?: string): Promise<PreparedTransaction[]>;
  classify(error: unknown): SqlFailure;
  /** The participant's own table, where it keeps COMMITTED records and ABORTED tombstones. */
  readonly recordTableDdl: string;
  /** The placeholder of the n-th (1-based) value in this engine's SQL. */
  placeholder(n: number): string;
  /** Refuses, with the setting to change, a database that cannot prepare transactions. */
  checkReady(session: SqlSession): Promise<void>;
}

/** The table the participant keeps beside the team's own, in the same database. */
export const RECORD_TABLE = 'pakka_participant_records';

/** A database that cannot take part as configured; the message names the setting to change. */
export class SqlParticipantNotReady extends Error {
  override readonly name = PAKKA_ERROR.sqlParticipantNotReady;
}
