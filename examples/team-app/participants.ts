/** The team's kinds and participants, in one place: the CDK app, the API Lambda and the local run read them from here. */
import { BUILT_IN_KINDS, kindRegistry, parseParticipantConfig } from 'pakka/participants';
import configFile from './participants.json' with { type: 'json' };
import { cardKind } from './cardPayments.js';
import { loyaltyPoints } from './loyaltyPoints.js';

export const kinds = kindRegistry([...BUILT_IN_KINDS.values(), loyaltyPoints, cardKind]);
export const participants = parseParticipantConfig(configFile, kinds);
