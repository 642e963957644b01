/**
 * `pakka/api`: the HTTP API's Lambda handler for a team's participant config, for the API entry a
 * team with its own kinds gives `PakkaStack` (`apiEntry`):
 * `export const handler = lambdaApi(parseParticipantConfig(configFile, kinds))`.
 * Kept apart from `pakka/cdk` so the Lambda bundle never pulls in the CDK.
 */
export { type LambdaApiHandler, lambdaApi } from '../lambdas/api/lambdaApi.js';
