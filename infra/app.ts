/**
 * The CDK app (`npx cdk deploy`, run by cdk.json with tsx). The stack is environment-agnostic:
 * it makes no lookups, so it synthesizes offline and deploys to whatever account and region the
 * CLI's credentials name. cdk-nag's AWS Solutions checks run on every synth; an unacknowledged
 * finding fails it.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_PATH, loadParticipantConfig } from '../lambdas/config/participantConfig.js';
import { checkWithCdkNag } from './nag.js';
import { PakkaStack } from './pakkaStack.js';
import { deploymentSettings } from './settings.js';

const app = new App();
const settings = deploymentSettings((key) => app.node.tryGetContext(key));
const participants = loadParticipantConfig(resolve(settings.participantConfig));

// The API Lambda bundles config/participants.json to validate requests; a stack built from another
// file would deploy participants that API refuses, or an API that names participants with no table.
const bundledByApi = loadParticipantConfig(DEFAULT_CONFIG_PATH);
if (JSON.stringify([...bundledByApi.entries()]) !== JSON.stringify([...participants.entries()])) {
  throw new Error(
    `pakka:participantConfig (${settings.participantConfig}) differs from config/participants.json, which the API Lambda bundles; ` +
      'edit config/participants.json instead, so the API and the stack declare the same participants.',
  );
}

new PakkaStack(app, settings.stackName, {
  participants,
  settings,
  description: 'Pakka: serverless two-phase commit coordinator (Step Functions, Lambda participants, DynamoDB)',
});
checkWithCdkNag(app);
