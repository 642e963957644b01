/**
 * docs/sql-participants.md's first transfer across a DynamoDB wallet and a PostgreSQL bank, followed
 * literally from an empty folder holding only the run's tarball (packSetup.ts), against a real
 * PostgreSQL the test starts. Part of `npm run test:package`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_USER, type SqlServer, postgresAvailable, startPostgres } from '../../local/sqlServers.js';
import { requireServer } from '../support/tools.js';
import { SQL_FIRST_TRANSFER_HEADING, sqlFirstTransferSteps } from './firstHour.js';
import { followPage } from './packedLibrary.js';

describe.runIf(requireServer(postgresAvailable()))(
  `docs/sql-participants.md, "${SQL_FIRST_TRANSFER_HEADING.slice(3)}", followed literally from an empty folder`,
  () => {
    let database: SqlServer | undefined;
    beforeAll(async () => {
      database = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await database?.stop();
    });
    const steps = sqlFirstTransferSteps();
    const { printed } = followPage('sql-first-transfer', steps, () => ({
      PGHOST: '127.0.0.1',
      PGPORT: String(database?.port),
      PGUSER: POSTGRES_USER,
      PGDATABASE: 'postgres',
    }));

    it('covers init, the install with pg, the bank, the config and the transfer', () => {
      const commands = steps.flatMap((s) => ('command' in s ? [s.command] : []));
      expect(commands[0]).toBe('npm init -y');
      for (const needed of [/^npm install \.\/pakka-\*\.tgz .*\bpg\b/, /transfer\.ts/]) expect(commands.some((c) => needed.test(c))).toBe(true);
    });

    it('committed across the DynamoDB wallet and the PostgreSQL bank, then aborted both, leaving nothing prepared', () => {
      const output = [...printed].find(([command]) => command.includes('transfer.ts'))?.[1] ?? '';
      expect(JSON.parse(output.trim().split('\n').at(-1) ?? '{}')).toEqual({
        setup: { status: 'COMMITTED', reason: null },
        first: { status: 'COMMITTED', reason: null },
        second: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' },
        alice: 7_500,
        bob: 2_500,
        prepared: 0,
      });
    });
  },
);
