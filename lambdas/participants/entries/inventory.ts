/** Lambda entry point of a inventory participant. */
import { inventory } from '../kinds/inventory.js';
import { lambdaParticipant } from '../lambdaEntry.js';

export const handler = lambdaParticipant(inventory);
