/**
 * The environment the CDK stack gives the functions that work on the coordinator log and the
 * participant tables (the API and the recovery sweeper), validated once at cold start.
 */
import { z } from 'zod';
import { COORDINATOR_VARIANTS } from './coordinatorVariant.js';
import { PARTICIPANT_NAME } from './participantConfig.js';
import { participantFunctionsJson } from './participantFunctions.js';

/** PARTICIPANT_TABLES: JSON, participant name -> its table. */
const participantTables = z.string().transform((text, ctx) => {
  try {
    return new Map(Object.entries(z.record(z.string(), z.string().min(1)).parse(JSON.parse(text))));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object: participant name -> table name' });
    return z.NEVER;
  }
});

export const coordinatorEnvironment = z.object({
  COORDINATOR_LOG_TABLE: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  PARTICIPANT_TABLES: participantTables,
  /** JSON, participant name -> the ARN of its function: the API puts it in each execution input, recovery invokes it. */
  PARTICIPANT_FUNCTIONS: participantFunctionsJson,
  /** Which workflow STATE_MACHINE_ARN is: it decides how executions start and how recovery knows one has stopped. */
  COORDINATOR_VARIANT: z.enum(COORDINATOR_VARIANTS),
  /**
   * Comma-separated: the participants that keep their prepared state in their own store (a SQL
   * participant), which recovery asks for what they hold prepared instead of reading their tables.
   */
  IN_DOUBT_FROM_PARTICIPANTS: z
    .string()
    .optional()
    .transform((text) => (text ? text.split(',') : []))
    .pipe(z.array(z.string().regex(PARTICIPANT_NAME, 'must be participant names separated by commas'))),
});
