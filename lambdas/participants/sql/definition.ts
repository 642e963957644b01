/**
 * What a team writes to make a SQL database (PostgreSQL, MySQL, MariaDB) a real two-phase participant:
 * the operation schema and, for each operation, the parameterized statements that carry its business
 * rule. Pakka runs a request's statements in one database transaction, prepares it under a global id
 * derived from the txnId, and finishes it with the logged decision from any connection.
 */
import type { z } from 'zod';
import type { AbortReason } from '../../protocol/vote.js';

/** One parameterized statement; values are bound by the driver, never spliced into the text. */
export interface SqlStatement {
  /** The engine's own placeholders: `$1, $2` for PostgreSQL, `?` for MySQL/MariaDB. */
  readonly sql: string;
  readonly values: readonly unknown[];
  /**
   * The business rule in the SQL: when the statement changes no row, the participant votes VOTE_ABORT
   * with this reason and rolls everything back (e.g. `UPDATE … WHERE id = $2 AND balance >= $1` and
   * INSUFFICIENT_FUNDS). Without it, any row count is accepted.
   */
  readonly noRows?: AbortReason;
}

export interface SqlParticipantDefinition<Op extends { op: string; key: string }> {
  /** Validates one operation; `op` names it, `key` names the row it touches (shown by `status`). */
  readonly operation: z.ZodType<Op>;
  /** The statements one operation runs, in order, inside the participant's transaction. */
  statements(operation: Op): readonly SqlStatement[];
}

export function defineSqlParticipant<Op extends { op: string; key: string }>(definition: SqlParticipantDefinition<Op>): SqlParticipantDefinition<Op> {
  return definition;
}
