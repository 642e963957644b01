/**
 * `pakka/sql`: a SQL database (PostgreSQL, MySQL, MariaDB) as a real two-phase participant. The team
 * writes its operations as parameterized SQL (`defineSqlParticipant`), picks its engine and driver
 * (`postgresEngine` over `pg`, `mysqlEngine` over `mysql2`), and gets a participant handler
 * (`sqlParticipant`, or `sqlLambdaParticipant` in a Lambda entry); recovery asks that handler for what it holds prepared (`inDoubt`, contract 1.3).
 */
export { type SqlParticipantDefinition, type SqlStatement, defineSqlParticipant } from '../lambdas/participants/sql/definition.js';
export {
  type PreparedTransaction,
  RECORD_TABLE,
  type SqlEngine,
  SqlParticipantNotReady,
  type SqlResult,
  type SqlSession,
} from '../lambdas/participants/sql/engine.js';
export { type PostgresClient, type PostgresEngineOptions, postgresEngine } from '../lambdas/participants/sql/postgres.js';
export { type MysqlConnection, type MysqlEngineOptions, mysqlEngine } from '../lambdas/participants/sql/mysql.js';
export { type SqlParticipantHandler, type SqlParticipantOptions, ensureSqlParticipantReady, sqlParticipant } from '../lambdas/participants/sql/runtime.js';
export { type DatabaseSecret, type SqlLambdaParticipantOptions, databaseSecret, sqlLambdaParticipant } from '../lambdas/participants/sql/lambdaEntry.js';
export { MAX_MINOR_UNITS, itemKey, positiveMinorUnits } from '../lambdas/participants/kinds/fields.js';
