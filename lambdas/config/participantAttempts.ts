/**
 * How many times the state machine calls one participant in each phase (its Retry lists in
 * statemachines/source/twoPhaseCommit.ts are built from these), and the check that those calls, each
 * up to the participant's timeout, fit in one execution of the workflow. Express executions end at
 * 300 s ("Quotas related to state machine executions", Step Functions developer guide): a config whose
 * participant cannot be asked its attempts in that time is refused when it is read, not found out
 * when an execution is cut off mid-phase-two.
 */
import type { ParticipantConfig } from '../config/participantConfig.js';
import { type CoordinatorVariant, EXECUTION_TIMEOUT_SECONDS } from './coordinatorVariant.js';

/** Prepare: the first call and 3 retries of a transient failure. */
export const PREPARE_ATTEMPTS = 4;
/** Commit or abort: the first call and 6 retries (then recovery takes over). */
export const PHASE_TWO_ATTEMPTS = 7;

/** The longest one participant's calls can take, backoff between them not counted. */
export const participantCallSeconds = (spec: { prepareTimeoutSeconds: number; commitTimeoutSeconds: number }): number =>
  spec.prepareTimeoutSeconds * PREPARE_ATTEMPTS + spec.commitTimeoutSeconds * PHASE_TWO_ATTEMPTS;

/** Throws, naming the participants and the rule, if any participant's attempts exceed the variant's execution time. */
export function checkParticipantAttempts(config: ParticipantConfig, variant: CoordinatorVariant): void {
  const limit = EXECUTION_TIMEOUT_SECONDS[variant];
  const over = [...config.values()].filter((spec) => participantCallSeconds(spec) > limit);
  if (over.length === 0) return;
  const named = over.map((spec) => `${spec.name} (${participantCallSeconds(spec)} s)`).join(', ');
  throw new Error(
    `participant timeouts too long for the ${variant} workflow: prepareTimeoutSeconds x ${PREPARE_ATTEMPTS} + commitTimeoutSeconds x ${PHASE_TWO_ATTEMPTS} ` +
      `must be at most its ${limit} s execution limit, and is not for ${named}`,
  );
}
