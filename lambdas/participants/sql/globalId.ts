/**
 * The global transaction id a participant prepares under, and its reading back from the database's own
 * list of prepared transactions (`pg_prepared_xacts`, `XA RECOVER`). The id carries the txnId and the
 * operations' digest, so recovery finds every in-doubt transaction and a repeat with other operations
 * is refused, with nothing else to read: a prepared transaction's own rows are invisible until it ends.
 */
import { createHash } from 'node:crypto';

/** What a prepared transaction's id says about it. */
export interface PreparedId {
  txnId: string;
  digest: string;
  /**
   * When its transaction began, where the engine's own list does not say (XA RECOVER does not): an XID
   * carries it, so recovery can tell an old prepared transaction from one its coordinator still drives.
   */
  begunAt?: Date;
}

// txnIds are [A-Za-z0-9_-] (the contract) and digests base64url, so neither holds the separators below.
const SAFE = /^[A-Za-z0-9_-]+$/;
const safe = (value: string, what: string) => {
  if (!SAFE.test(value)) throw new Error(`${what} ${JSON.stringify(value)} is not [A-Za-z0-9_-]: it cannot be part of a global transaction id`);
  return value;
};

/**
 * PostgreSQL: `pakka:<participant>:<txnId>:<digest>`, under PostgreSQL's 200-byte limit for a gid
 * (participant names are at most 40 characters, txnIds 80, digests 32).
 */
export const postgresGid = (participant: string, id: PreparedId) =>
  `pakka:${safe(participant, 'participant')}:${safe(id.txnId, 'txnId')}:${safe(id.digest, 'digest')}`;

export function parsePostgresGid(participant: string, gid: string): PreparedId | undefined {
  const parts = gid.split(':');
  if (parts.length !== 4 || parts[0] !== 'pakka' || parts[1] !== participant) return undefined;
  const [, , txnId, digest] = parts as [string, string, string, string];
  return SAFE.test(txnId) && SAFE.test(digest) ? { txnId, digest } : undefined;
}

/**
 * A MySQL/MariaDB XID: gtrid and bqual are at most 64 bytes each; formatID is a number the XA statements'
 * grammar takes without a sign ("formatID is an unsigned integer", MySQL reference manual, "XA
 * Transaction SQL Statements"), so a negative one is a syntax error.
 */
export interface MysqlXid {
  formatId: number;
  gtrid: string;
  bqual: string;
}

const GTRID_BYTES = 64;
/** The XID keeps a 22-character digest prefix (132 bits): enough to tell two requests apart, and it fits. */
const XID_DIGEST = 22;

/**
 * The formatID names the participant, so one database can hold several participants' transactions apart:
 * 31 bits of a hash, never negative (see MysqlXid) and never 0 or 1, which other software uses (1 is
 * MySQL's default, 0 the OSI CCR format).
 */
export const mysqlFormatId = (participant: string) => Math.max(2, createHash('sha256').update(`pakka:${participant}`).digest().readUInt32BE(0) & 0x7fff_ffff);

/**
 * gtrid is the txnId's first 64 characters; bqual is the digest prefix, the second the transaction
 * began at in base 36, and the rest of the txnId, joined by `.` (at most 22 + 1 + 7 + 1 + 16 = 47 bytes).
 */
export function mysqlXid(participant: string, id: PreparedId): MysqlXid {
  const txnId = safe(id.txnId, 'txnId');
  const begun = Math.floor((id.begunAt?.getTime() ?? 0) / 1000).toString(36);
  return {
    formatId: mysqlFormatId(safe(participant, 'participant')),
    gtrid: txnId.slice(0, GTRID_BYTES),
    bqual: `${safe(id.digest, 'digest').slice(0, XID_DIGEST)}.${begun}.${txnId.slice(GTRID_BYTES)}`,
  };
}

export function parseMysqlXid(participant: string, xid: MysqlXid): PreparedId | undefined {
  if (xid.formatId !== mysqlFormatId(participant)) return undefined;
  const [digest, begun, rest, ...more] = xid.bqual.split('.');
  if (digest === undefined || begun === undefined || rest === undefined || more.length) return undefined;
  const txnId = xid.gtrid + rest;
  const seconds = Number.parseInt(begun, 36);
  if (!SAFE.test(txnId) || !SAFE.test(digest) || !Number.isSafeInteger(seconds)) return undefined;
  return { txnId, digest, ...(seconds > 0 ? { begunAt: new Date(seconds * 1000) } : {}) };
}

/** Two digests name the same operations when the shorter (an XID's prefix) starts the longer. */
export const sameDigest = (stored: string, offered: string) => (stored.length <= offered.length ? offered.startsWith(stored) : stored.startsWith(offered));

/** The SQL literal form of an XID part; its characters were checked, so quoting cannot be escaped. */
export function xidLiteral(xid: MysqlXid): string {
  if (!/^[A-Za-z0-9_.-]*$/.test(xid.bqual)) throw new Error(`bqual ${JSON.stringify(xid.bqual)} cannot be part of an XID literal`);
  return `'${safe(xid.gtrid, 'gtrid')}','${xid.bqual}',${xid.formatId | 0}`;
}
