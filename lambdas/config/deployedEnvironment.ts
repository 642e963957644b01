/**
 * The environment the CDK stack gives the functions that work on the coordinator log and the
 * participant tables (the API and the recovery sweeper), validated once at cold start. Only values
 * of a fixed size: what grows with the participant list is in the participant directory
 * (participantDirectory.ts), which these name.
 */
import { z } from 'zod';
import { COORDINATOR_VARIANTS } from './coordinatorVariant.js';

export const coordinatorEnvironment = z.object({
  COORDINATOR_LOG_TABLE: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** The table holding the participant directory: who answers for each participant, and its table. */
  PARTICIPANT_DIRECTORY_TABLE: z.string().min(1),
  /** The directory this deployment wrote: an instance never works from another. */
  PARTICIPANT_DIRECTORY_VERSION: z.string().min(1),
  /** Which workflow STATE_MACHINE_ARN is: it decides how executions start and how recovery knows one has stopped. */
  COORDINATOR_VARIANT: z.enum(COORDINATOR_VARIANTS),
});
