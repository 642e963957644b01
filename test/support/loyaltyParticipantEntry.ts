/** A team's participant Lambda entry, as the CDK construct is given it. */
import { lambdaParticipant } from '../../lambdas/participants/lambdaEntry.js';
import { loyalty } from './loyaltyKind.js';

export const handler = lambdaParticipant(loyalty);
