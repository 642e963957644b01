/**
 * `pakka/cdk`: Pakka in a team's own CDK app. `PakkaStack` deploys the whole coordinator for a
 * participant config (parsed with the team's kind registry); a kind Pakka does not know brings its
 * participant Lambda entry (`kindEntries`) or the team's own function (`participantFunctions`,
 * an IFunction or an ARN) and an API entry that validates with it (`apiEntry`); an existing table comes
 * in `participantTables`. The single constructs are exported for an app that assembles Pakka itself.
 */
export { type KindName, PakkaStack, type PakkaStackProps } from '../infra/pakkaStack.js';
export { CONTEXT, type DeploymentSettings, deploymentSettings, removalPolicyOf } from '../infra/settings.js';
export { checkWithCdkNag } from '../infra/nag.js';
export { PARTICIPANT_TABLE_ACTIONS, Participant, type ParticipantProps, type ParticipantTable } from '../infra/constructs/participant.js';
export { SqlParticipantFunction, type SqlParticipantFunctionProps } from '../infra/constructs/sqlParticipantFunction.js';
// The schema an existing participant table must have (ParticipantProps.table), to build one with PakkaTable.
export { PARTICIPANT_TABLE_SCHEMA, type TableSchema } from '../lambdas/tableSchemas.js';
export { Coordinator, type CoordinatorProps } from '../infra/constructs/coordinator.js';
export { Api, type ApiProps, API_ROUTES } from '../infra/constructs/api.js';
export { Recovery, type RecoveryProps } from '../infra/constructs/recovery.js';
export { Observability, type ObservabilityProps, type PakkaAlarms } from '../infra/constructs/observability.js';
export { PAKKA_ARCHITECTURE, PAKKA_BUNDLING, PAKKA_RUNTIME, PakkaFunction, type PakkaFunctionProps } from '../infra/constructs/pakkaFunction.js';
export { PakkaTable, type PakkaTableProps } from '../infra/constructs/pakkaTable.js';
