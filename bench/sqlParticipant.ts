/**
 * What a SQL participant costs in time: an N=2 transfer across a DynamoDB ledger and a PostgreSQL bank
 * through Pakka, beside the same transfer across two DynamoDB ledgers and beside one plain local
 * PostgreSQL transaction doing the same two updates (what a team gives up nothing for, and what
 * atomicity across two stores costs over it). At 1 and 16 in flight; p50 and p99 latency and throughput.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ACCOUNTS_DDL, bankAccounts, sqlBankKind } from '../examples/sql-bank/bankAccounts.js';
import { parseParticipantConfig } from '../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS, kindRegistry } from '../lambdas/participants/kinds/index.js';
import { postgresEngine } from '../lambdas/participants/sql/postgres.js';
import { ensureSqlParticipantReady, sqlParticipant } from '../lambdas/participants/sql/runtime.js';
import { localDynamoClient } from '../local/dynamoLocal.js';
import { LocalPakka } from '../local/pakka.js';
import { POSTGRES_USER, postgresAvailable, startPostgres } from '../local/sqlServers.js';
import { type LatencySummary, summarize } from './timeline.js';

export interface SqlCell {
  system: 'pakka: ledger + postgresql' | 'pakka: ledger + ledger' | 'postgresql transaction';
  inFlight: number;
  committed: number;
  failed: number;
  latencyMs: LatencySummary;
  perSecond: number;
}

export type SqlBenchResults = { ran: true; cells: SqlCell[] } | { ran: false; why: string };

const SQL_BANK = 'payee-sql';

/** Runs `count` transactions `inFlight` at a time, each on its own pair of accounts; returns their latencies. */
async function cell(inFlight: number, count: number, one: (i: number) => Promise<boolean>): Promise<{ latencies: number[]; failed: number; wallMs: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const ok = await one(i);
        if (ok) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  return { latencies, failed, wallMs: performance.now() - start };
}

const asCell = (system: SqlCell['system'], inFlight: number, run: { latencies: number[]; failed: number; wallMs: number }): SqlCell => ({
  system,
  inFlight,
  committed: run.latencies.length,
  failed: run.failed,
  latencyMs: summarize(run.latencies),
  perSecond: run.latencies.length / (run.wallMs / 1000),
});

export async function runSqlBenchmark(options: { endpoint: string; transactions: number; log: (line: string) => void }): Promise<SqlBenchResults> {
  const available = postgresAvailable();
  if (!available.ok) return { ran: false, why: available.why };
  options.log('starting PostgreSQL for the SQL participant benchmark...');
  const server = await startPostgres();
  try {
    const client = () => new pg.Client({ host: '127.0.0.1', port: server.port, user: POSTGRES_USER, database: 'postgres' });
    const engine = postgresEngine({ client });
    await ensureSqlParticipantReady(engine);
    const admin = client();
    await admin.connect();
    await admin.query(ACCOUNTS_DDL);
    const config = parseParticipantConfig(
      {
        defaults: { prepareTimeoutSeconds: 10, commitTimeoutSeconds: 10 },
        participants: { 'payer-bank': { kind: 'ledger' }, 'payee-bank': { kind: 'ledger' }, [SQL_BANK]: { kind: 'sql-bank' } },
      },
      kindRegistry([...BUILT_IN_KINDS.values(), sqlBankKind]),
    );
    const pakka = new LocalPakka({
      dynamo: localDynamoClient(options.endpoint),
      config,
      tablePrefix: `benchsql-${randomUUID().slice(0, 6)}-`,
      ownParticipants: { [SQL_BANK]: () => sqlParticipant({ name: SQL_BANK, definition: bankAccounts('postgresql'), engine }) },
    });
    await pakka.createTables();

    const cells: SqlCell[] = [];
    for (const inFlight of [1, 16]) {
      const n = Math.max(options.transactions, inFlight * 2);
      // Accounts per transaction, funded before the clock starts: no two transactions share a row.
      const pairs = Array.from({ length: n }, (_, i) => ({ from: `bench-a-${inFlight}-${i}`, to: `bench-b-${inFlight}-${i}` }));
      for (const { from, to } of pairs) {
        await pakka.runTransaction({ participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: from, amount: 1_000 }] }] });
        await admin.query('INSERT INTO accounts (id, balance) VALUES ($1, 1000), ($2, 0)', [from, to]);
      }
      const transfer = (i: number, payee: string) => {
        const pair = pairs[i];
        if (!pair) throw new Error(`no accounts for transfer ${i}`);
        return {
          participants: [
            { name: 'payer-bank', operations: [{ op: 'debit', key: pair.from, amount: 1 }] },
            { name: payee, operations: [{ op: 'credit', key: pair.to, amount: 1 }] },
          ],
        };
      };
      const committed = async (body: unknown) => {
        const result = await pakka.runTransaction(body);
        return result.ok && result.value.status === 'COMMITTED';
      };
      options.log(`sql bench: ${n} transfers at ${inFlight} in flight, three systems`);
      cells.push(asCell('pakka: ledger + postgresql', inFlight, await cell(inFlight, n, (i) => committed(transfer(i, SQL_BANK)))));
      cells.push(asCell('pakka: ledger + ledger', inFlight, await cell(inFlight, n, (i) => committed(transfer(i, 'payee-bank')))));
      cells.push(
        asCell(
          'postgresql transaction',
          inFlight,
          await cell(inFlight, n, async (i) => {
            const pair = pairs[i];
            if (!pair) return false;
            // A connection per transaction, as the participant opens one per message.
            const c = client();
            await c.connect();
            try {
              await c.query('BEGIN');
              const debited = await c.query('UPDATE accounts SET balance = balance - 1 WHERE id = $1 AND balance >= 1', [pair.from]);
              await c.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [pair.to]);
              await c.query(debited.rowCount === 1 ? 'COMMIT' : 'ROLLBACK');
              return debited.rowCount === 1;
            } finally {
              await c.end();
            }
          }),
        ),
      );
    }
    await admin.end();
    return { ran: true, cells };
  } finally {
    await server.stop();
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

export function renderSqlReport(results: SqlBenchResults): string {
  if (!results.ran) return `## SQL participant\n\nNot run: ${results.why}.\n`;
  const rows = results.cells.map(
    (c) => `| ${c.system} | ${c.inFlight} | ${c.committed} | ${c.failed} | ${ms(c.latencyMs.p50)} | ${ms(c.latencyMs.p99)} | ${c.perSecond.toFixed(1)} |`,
  );
  return [
    '## SQL participant (N = 2: a DynamoDB ledger and PostgreSQL)',
    '',
    '| system | in flight | committed | failed | p50 ms | p99 ms | per second |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
