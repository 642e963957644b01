/** An API entry that validates with the card kind of the construct tests. */
import { lambdaApi } from '../../lambdas/api/lambdaApi.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { ownFunctionKinds } from './ownFunctionKinds.js';

export const handler = lambdaApi(
  parseParticipantConfig(
    { defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 }, participants: { bank: { kind: 'ledger' }, cards: { kind: 'card' } } },
    ownFunctionKinds,
  ),
);
