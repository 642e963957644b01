/** The participant SDK for business state outside DynamoDB: define prepare, commit and abort; Pakka keeps the barrier. */
export {
  defineBarrierParticipant,
  type BarrierCall,
  type BarrierParticipantDefinition,
  type Hold,
  type PhaseTwoCall,
  type TeamPrepareAnswer,
} from './definition.js';
export { barrierParticipant, type BarrierHandler, type BarrierParticipantOptions } from './runtime.js';
export { TransientFailure } from '../../protocol/participantState.js';
export { lambdaBarrierParticipant } from './lambdaEntry.js';
export { type OwnFunctionKindOptions, isOwnFunctionKind, ownFunctionKind } from './kind.js';
