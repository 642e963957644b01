/**
 * A bank whose accounts live in a SQL database, as a real two-phase participant: the team's whole
 * contribution is the operation schema and the SQL, with the business rule in the WHERE clause.
 * The same participant for PostgreSQL (`$1` placeholders) and MySQL/MariaDB (`?`).
 */
import { z } from 'zod';
import { ownFunctionKind } from '../../lib/participants.js';
import { MAX_MINOR_UNITS, defineSqlParticipant, itemKey, positiveMinorUnits } from '../../lib/sql.js';

export const bankOperation = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('debit'), key: itemKey, amount: positiveMinorUnits }),
  z.strictObject({ op: z.literal('credit'), key: itemKey, amount: positiveMinorUnits }),
]);
export type BankOperation = z.infer<typeof bankOperation>;

/**
 * The kind the participant config names (`"kind": "sql-bank"`): the API validates the bank's operations
 * with it, and asks the participant for its status, since its prepared state lives in the database.
 */
export const sqlBankKind = ownFunctionKind({
  name: 'sql-bank',
  description: 'a bank in a SQL database',
  operation: bankOperation,
  operationNames: ['debit', 'credit'],
  preparedStateIn: 'participant',
});

/** The team's table. BIGINT holds every amount Pakka accepts exactly (at most 10^15 minor units). */
export const ACCOUNTS_DDL = 'CREATE TABLE IF NOT EXISTS accounts (id VARCHAR(128) PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0))';

export function bankAccounts(placeholders: 'postgresql' | 'mysql') {
  const pg = placeholders === 'postgresql';
  return defineSqlParticipant({
    operation: bankOperation,
    statements: (o) =>
      o.op === 'debit'
        ? [
            {
              // No row changed: the account lacks the money (or does not exist): the participant votes no.
              sql: pg
                ? 'UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1'
                : 'UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?',
              values: pg ? [o.amount, o.key] : [o.amount, o.key, o.amount],
              noRows: 'INSUFFICIENT_FUNDS',
            },
          ]
        : [
            {
              // No row changed: the credit would take the balance past what Pakka holds exactly (or no such account).
              sql: pg
                ? 'UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND balance <= $3'
                : 'UPDATE accounts SET balance = balance + ? WHERE id = ? AND balance <= ?',
              values: [o.amount, o.key, MAX_MINOR_UNITS - o.amount],
              noRows: 'LIMIT_EXCEEDED',
            },
          ],
  });
}
