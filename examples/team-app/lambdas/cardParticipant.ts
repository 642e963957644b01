/** Lambda entry of the team's own card participant: its barrier code, on the table and gateway its stack gives it. */
import { lambdaBarrierParticipant } from 'pakka/participants';
import { cardPayments } from '../cardPayments.js';

const gatewayUrl = process.env.CARD_GATEWAY_URL;
if (!gatewayUrl) throw new Error('environment variable CARD_GATEWAY_URL is not set');

export const handler = lambdaBarrierParticipant(cardPayments(gatewayUrl));
