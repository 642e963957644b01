/** Lambda entry of the rewards participant: Pakka's runtime with the team's kind. */
import { lambdaParticipant } from 'pakka/participants';
import { loyaltyPoints } from '../loyaltyPoints.js';

export const handler = lambdaParticipant(loyaltyPoints);
