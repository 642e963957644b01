/**
 * The two coordinator workflows Pakka deploys, chosen at deploy time. Both run the same protocol
 * from one definition (statemachines/source/); they differ in what AWS bills and guarantees:
 * Standard runs up to a year, exactly once per name, billed per state transition; Express runs at
 * most five minutes, at least once when started asynchronously, billed per request and duration.
 */
export const COORDINATOR_VARIANTS = ['standard', 'express'] as const;
export type CoordinatorVariant = (typeof COORDINATOR_VARIANTS)[number];

export const DEFAULT_COORDINATOR_VARIANT: CoordinatorVariant = 'express';

/** The ASL `TimeoutSeconds` of each variant: the longest one execution may run (Express allows at most 300). */
export const EXECUTION_TIMEOUT_SECONDS: Record<CoordinatorVariant, number> = { standard: 900, express: 300 };

/**
 * The longest `timeoutSeconds` (the prepare deadline) a request may ask for on each variant. On
 * Express, two minutes stay for the decision and phase 2 inside the five-minute limit; a longer
 * transaction is refused (400) and belongs on a Standard deployment.
 */
export const MAX_TRANSACTION_TIMEOUT_SECONDS: Record<CoordinatorVariant, number> = { standard: 300, express: 180 };

export const aslFileName = (variant: CoordinatorVariant) => `two-phase-commit.${variant}.asl.json`;

export const isCoordinatorVariant = (value: unknown): value is CoordinatorVariant =>
  typeof value === 'string' && (COORDINATOR_VARIANTS as readonly string[]).includes(value);
