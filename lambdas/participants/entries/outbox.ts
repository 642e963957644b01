/** Lambda entry point of a outbox participant. */
import { outbox } from '../kinds/outbox.js';
import { lambdaParticipant } from '../lambdaEntry.js';

export const handler = lambdaParticipant(outbox);
