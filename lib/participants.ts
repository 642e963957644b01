/**
 * `pakka/participants`: what a participant is made of. The runtime that keeps the prepared-state
 * records (`participantHandler`), the way a kind is declared (`defineKind`) and registered
 * (`kindRegistry`), Pakka's own four kinds, the participant config, and the Lambda wiring a team's
 * own participant entry file calls (`export const handler = lambdaParticipant(myKind)`).
 */
export { type ParticipantHandler, type ParticipantRuntimeOptions, participantHandler } from '../lambdas/participants/runtime.js';
export {
  type AttributeValueMap,
  type CheckPlan,
  type EscrowPlan,
  type ExclusivePlan,
  type OperationPlan,
  type ParticipantKind,
  defineKind,
} from '../lambdas/participants/kind.js';
export { BUILT_IN_KINDS, type KindRegistry, kindRegistry } from '../lambdas/participants/kinds/index.js';
export { ledger } from '../lambdas/participants/kinds/ledger.js';
export { inventory } from '../lambdas/participants/kinds/inventory.js';
export { booking } from '../lambdas/participants/kinds/booking.js';
export { outbox } from '../lambdas/participants/kinds/outbox.js';
export { escrowView } from '../lambdas/participants/kinds/escrowView.js';
export { MAX_MINOR_UNITS, holder, itemKey, message, positiveMinorUnits } from '../lambdas/participants/kinds/fields.js';
export {
  PARTICIPANT_NAME,
  type ParticipantConfig,
  type ParticipantSpec,
  loadParticipantConfig,
  parseParticipantConfig,
} from '../lambdas/config/participantConfig.js';
export { documentClient, lambdaParticipant } from '../lambdas/participants/lambdaEntry.js';

// Participants whose state lives outside DynamoDB: the team's prepare, commit and abort behind Pakka's barrier.
export * from '../lambdas/participants/barrier/index.js';
