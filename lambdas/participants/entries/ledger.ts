/** Lambda entry point of a ledger participant. */
import { ledger } from '../kinds/ledger.js';
import { lambdaParticipant } from '../lambdaEntry.js';

export const handler = lambdaParticipant(ledger);
