/** Lambda entry of the HTTP API: Pakka's API, validating requests with the team's kinds. */
import { lambdaApi } from 'pakka/api';
import { participants } from '../participants.js';

export const handler = lambdaApi(participants);
