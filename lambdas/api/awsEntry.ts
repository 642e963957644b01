/**
 * Lambda entry point of Pakka's own HTTP API behind API Gateway (REST, proxy integration), for the
 * participants of config/participants.json (bundled) and Pakka's built-in kinds. A team with its own
 * kinds writes the same two lines with its config and registry (see lambdaApi.ts).
 */
import participantsFile from '../../config/participants.json' with { type: 'json' };
import { parseParticipantConfig } from '../config/participantConfig.js';
import { lambdaApi } from './lambdaApi.js';

export const handler = lambdaApi(parseParticipantConfig(participantsFile));
