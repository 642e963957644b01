/** The global transaction ids of the SQL participant: what recovery reads back must be what prepare wrote. */
import { describe, expect, it } from 'vitest';
import { mysqlFormatId, mysqlXid, parseMysqlXid, parsePostgresGid, postgresGid, sameDigest, xidLiteral } from '../../lambdas/participants/sql/globalId.js';

const digest = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'; // 32 characters of base64url, as digestOf gives
const longTxnId = `t-${'x'.repeat(78)}`; // the contract's longest: 80 characters

describe('the SQL participant global ids', () => {
  it('PostgreSQL: txnId and digest round-trip, within the 200-byte gid, and another participant’s gid is not ours', () => {
    const gid = postgresGid('payee-bank', { txnId: longTxnId, digest });
    expect(gid.length).toBeLessThanOrEqual(200);
    expect(parsePostgresGid('payee-bank', gid)).toEqual({ txnId: longTxnId, digest });
    expect(parsePostgresGid('payer-bank', gid)).toBeUndefined();
    expect(parsePostgresGid('payee-bank', 'some-other-app-gid')).toBeUndefined();
  });

  it('MySQL/MariaDB: an 80-character txnId, the digest prefix and the begin time fit 64 + 64 bytes and round-trip', () => {
    const begunAt = new Date('2026-12-07T08:00:00Z');
    const xid = mysqlXid('payee-bank', { txnId: longTxnId, digest, begunAt });
    expect(xid.gtrid.length).toBeLessThanOrEqual(64);
    expect(xid.bqual.length).toBeLessThanOrEqual(64);
    const parsed = parseMysqlXid('payee-bank', xid);
    expect(parsed).toMatchObject({ txnId: longTxnId, begunAt });
    expect(sameDigest(parsed?.digest ?? '', digest)).toBe(true);
    expect(sameDigest(parsed?.digest ?? '', `Z${digest.slice(1)}`)).toBe(false);
    expect(parseMysqlXid('payer-bank', { ...xid, formatId: mysqlFormatId('payer-bank') })?.txnId).toBe(longTxnId);
    expect(parseMysqlXid('payee-bank', { ...xid, formatId: xid.formatId + 1 })).toBeUndefined();
  });

  it('MySQL/MariaDB: the formatID is a positive 31-bit number for any participant name (the XA grammar takes no sign)', () => {
    const names = ['payee-sql', 'payee-bank', 'payer-bank', ...Array.from({ length: 500 }, (_, i) => `bank-${i}`)];
    for (const name of names) {
      const formatId = mysqlFormatId(name);
      expect(Number.isInteger(formatId) && formatId >= 2 && formatId <= 2 ** 31 - 1, `${name}: ${formatId}`).toBe(true);
      expect(xidLiteral(mysqlXid(name, { txnId: 'upi-1', digest }))).toMatch(/^'upi-1','[A-Za-z0-9_.-]*',\d+$/);
    }
  });

  it('refuses anything that could escape the SQL literal a gid or XID is written in', () => {
    expect(() => postgresGid('payee-bank', { txnId: "x'; DROP TABLE accounts; --", digest })).toThrow(/not \[A-Za-z0-9_-\]/);
    expect(() => xidLiteral({ formatId: 1, gtrid: 'ok', bqual: "a'b" })).toThrow(/cannot be part of an XID literal/);
  });
});
