/**
 * The participant directory: participant name -> the ARN of its function and the name of its table,
 * as the deployed API and recovery sweeper learn them. It grows with the participant list, so it is
 * not in their environment (Lambda allows 4 KB of environment variables in all, "Lambda quotas", and
 * about 20 participants' ARNs and table names filled it): the stack writes it at deploy time as one
 * item of a table of its own (infra/constructs/participantDirectory.ts), and each function reads it
 * once per cold start. A DynamoDB item holds 400 KB; 100 participants take about 30 KB.
 *
 * The item carries a version, the same one the stack puts in the functions' environment: a function
 * only accepts the directory its own deployment wrote, and a new directory changes the environment,
 * so no running instance keeps an older one.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { ParticipantConfig } from './participantConfig.js';
import { FUNCTION_ARN, type ParticipantFunctions, checkParticipantFunctions } from './participantFunctions.js';

/**
 * The directory's table (a TableSchema of lambdas/tableSchemas.ts): a table of its own, not an item of the
 * coordinator log, whose stream feeds the outcome events and whose reads all expect a transaction.
 */
export const PARTICIPANT_DIRECTORY_SCHEMA = { partitionKey: 'directory', indexes: [] };

/** The key of the one directory item. */
export const DIRECTORY_KEY = { [PARTICIPANT_DIRECTORY_SCHEMA.partitionKey]: 'participants' } as const;

export interface ParticipantDirectory {
  /** Participant name -> the function the coordinator and recovery invoke for it. */
  functions: ParticipantFunctions;
  /** Participant name -> its prepared-state table. */
  tables: ReadonlyMap<string, string>;
  /**
   * The participants that keep their prepared state in their own store (a SQL participant): recovery
   * asks them what they hold prepared (`inDoubt`) instead of reading their tables.
   */
  askedForInDoubt: readonly string[];
}

const entry = z.strictObject({
  functionArn: z.string().regex(FUNCTION_ARN, 'must be a Lambda function ARN'),
  table: z.string().min(1, 'must name a table'),
  asksForInDoubt: z.literal(true).optional(),
});

/** The directory as the item's `participantsJson` holds it: JSON, participant name -> { functionArn, table, asksForInDoubt? }. */
export const participantDirectoryJson = z.string().transform((text, ctx): ParticipantDirectory => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object: participant name -> { functionArn, table }' });
    return z.NEVER;
  }
  const parsed = z.record(z.string(), entry).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({
      code: 'custom',
      message: `must be a JSON object: participant name -> { functionArn, table } (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    });
    return z.NEVER;
  }
  const entries = Object.entries(parsed.data);
  return {
    functions: new Map(entries.map(([name, e]) => [name, e.functionArn])),
    tables: new Map(entries.map(([name, e]) => [name, e.table])),
    askedForInDoubt: entries.flatMap(([name, e]) => (e.asksForInDoubt ? [name] : [])),
  };
});

const directoryItem = z.object({ version: z.string(), participantsJson: participantDirectoryJson });

/**
 * Reads the directory (strongly consistent: it was written moments before a first deploy's first call)
 * and refuses one of another deployment than the caller's.
 */
export async function readParticipantDirectory(client: DynamoDBDocumentClient, tableName: string, version: string): Promise<ParticipantDirectory> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: DIRECTORY_KEY, ConsistentRead: true }));
  if (!Item) throw new Error(`the participant directory ${tableName} holds no directory: the stack writes it at deploy time`);
  const item = directoryItem.safeParse(Item);
  if (!item.success) throw new Error(`the participant directory in ${tableName} is invalid: ${item.error.issues[0]?.message ?? 'unreadable'}`);
  if (item.data.version !== version) {
    throw new Error(`the participant directory in ${tableName} is version ${item.data.version}, this function was deployed with ${version}`);
  }
  return item.data.participantsJson;
}

/** The directory answers for exactly the configured participants: each has a table and a function. */
export function checkParticipantDirectory(config: ParticipantConfig, directory: ParticipantDirectory): void {
  const missing = [...config.keys()].filter((name) => !directory.tables.has(name));
  if (missing.length) throw new Error(`the participant directory has no table for: ${missing.join(', ')}`);
  checkParticipantFunctions(config, directory.functions);
}
