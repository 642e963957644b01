/** `pakka/testing`: the conformance kit that runs every rule of the participant protocol against a handler (needs vitest). */
export * from '../testing/conformance.js';
export { type KindParticipantUnderTest, kindParticipantUnderTest } from '../testing/kindParticipant.js';
