/** The coordinator variant this test run exercises (vitest.config.ts runs the coordinator tests once per variant). */
import { type CoordinatorVariant, DEFAULT_COORDINATOR_VARIANT, isCoordinatorVariant } from '../../lambdas/config/coordinatorVariant.js';

const chosen = process.env.PAKKA_TEST_COORDINATOR;
export const TEST_VARIANT: CoordinatorVariant = isCoordinatorVariant(chosen) ? chosen : DEFAULT_COORDINATOR_VARIANT;
