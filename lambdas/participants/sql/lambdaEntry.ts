/**
 * The Lambda wiring of a team's SQL participant: `export const handler = sqlLambdaParticipant({...})`.
 * The database's address and credentials come from the Secrets Manager secret the CDK construct names
 * (`PAKKA_DATABASE_SECRET_ARN`, the JSON shape RDS and Aurora write), read at cold start and again when
 * it may have rotated; the participant's record table is created and the engine checked once per cold
 * start, so a server that refuses prepared transactions fails loudly before any vote.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import { raisingVoteAbort } from '../voteAbortRaised.js';
import type { SqlParticipantDefinition } from './definition.js';
import type { SqlEngine } from './engine.js';
import { type SqlParticipantHandler, ensureSqlParticipantReady, sqlParticipant } from './runtime.js';

/** The fields of an RDS/Aurora database secret the participant uses (its `engine` and others may be there too). */
export const databaseSecret = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().positive(),
  username: z.string().min(1),
  password: z.string(),
  dbname: z.string().min(1).optional(),
});
export type DatabaseSecret = z.infer<typeof databaseSecret>;

export interface SqlLambdaParticipantOptions<Op extends { op: string; key: string }> {
  definition: SqlParticipantDefinition<Op>;
  /** The engine over the team's driver, from the secret: e.g. `(s) => postgresEngine({ client: () => new pg.Client({ host: s.host, ... }) })`. */
  engine(secret: DatabaseSecret): SqlEngine;
  /** Defaults to the environment the construct sets. */
  participant?: string;
  secretArn?: string;
  /** How long a read secret is used before it is read again (seconds): a rotated password reaches the function within this. */
  secretMaxAgeSeconds?: number;
}

export function sqlLambdaParticipant<Op extends { op: string; key: string }>(options: SqlLambdaParticipantOptions<Op>): SqlParticipantHandler {
  const participant = options.participant ?? process.env.PARTICIPANT_NAME;
  const secretArn = options.secretArn ?? process.env.PAKKA_DATABASE_SECRET_ARN;
  if (!participant) throw new Error('sqlLambdaParticipant: PARTICIPANT_NAME is not set (the SqlParticipantFunction construct sets it)');
  if (!secretArn) throw new Error('sqlLambdaParticipant: PAKKA_DATABASE_SECRET_ARN is not set (the SqlParticipantFunction construct sets it)');
  let ready: { password: string; handler: SqlParticipantHandler } | undefined;
  const current = async (): Promise<SqlParticipantHandler> => {
    const raw = await getSecret(secretArn, { transform: 'json', maxAge: options.secretMaxAgeSeconds ?? 300 });
    const parsed = databaseSecret.safeParse(raw);
    if (!parsed.success) throw new Error(`the database secret ${secretArn} lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    if (ready?.password === parsed.data.password) return ready.handler;
    const engine = options.engine(parsed.data);
    await ensureSqlParticipantReady(engine);
    ready = { password: parsed.data.password, handler: sqlParticipant({ name: participant, definition: options.definition, engine }) };
    return ready.handler;
  };
  return raisingVoteAbort(async (event: unknown) => (await current())(event));
}
