/** Lambda entry point of a booking participant. */
import { booking } from '../kinds/booking.js';
import { lambdaParticipant } from '../lambdaEntry.js';

export const handler = lambdaParticipant(booking);
