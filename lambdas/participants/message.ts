/** What a participant Lambda is asked and what it answers: defined once, in the versioned contract. */
export {
  participantRequest,
  type ParticipantRequest,
  type PrepareAnswer,
  type PhaseTwoAnswer,
  type StatusAnswer,
  type ParticipantAnswer,
} from '../contract/participantProtocol.js';
