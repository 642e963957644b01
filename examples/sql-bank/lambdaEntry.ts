/** The PostgreSQL bank's Lambda entry: the construct SqlParticipantFunction builds it, in the team's VPC, with the database secret. */
import pg from 'pg';
import { postgresEngine, sqlLambdaParticipant } from '../../lib/sql.js';
import { bankAccounts } from './bankAccounts.js';

export const handler = sqlLambdaParticipant({
  definition: bankAccounts('postgresql'),
  engine: (secret) =>
    postgresEngine({
      client: () =>
        new pg.Client({
          host: secret.host,
          port: secret.port,
          user: secret.username,
          password: secret.password,
          database: secret.dbname,
          ssl: { rejectUnauthorized: true },
        }),
    }),
});
