/**
 * Assembles Pakka in a CDK app from the app's context: the settings, the participant config, the
 * stack, and the cdk-nag checks. `app.ts` runs it for the CLI; tests run it in-process.
 */
import { resolve } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_PATH, loadParticipantConfig } from '../lambdas/config/participantConfig.js';
import { checkParticipantAttempts } from '../lambdas/config/participantAttempts.js';
import { checkWithCdkNag } from './nag.js';
import { PakkaStack } from './pakkaStack.js';
import { deploymentSettings } from './settings.js';

export function buildPakkaApp(app: App): PakkaStack {
  const settings = deploymentSettings((key) => app.node.tryGetContext(key));
  const participants = loadParticipantConfig(resolve(settings.participantConfig));
  checkParticipantAttempts(participants, settings.coordinator);

  // The API Lambda bundles config/participants.json to validate requests; a stack built from another
  // file would deploy participants that API refuses, or an API that names participants with no table.
  const bundledByApi = loadParticipantConfig(DEFAULT_CONFIG_PATH);
  if (JSON.stringify([...bundledByApi.entries()]) !== JSON.stringify([...participants.entries()])) {
    throw new Error(
      `pakka:participantConfig (${settings.participantConfig}) differs from config/participants.json, which the API Lambda bundles; ` +
        'edit config/participants.json instead, so the API and the stack declare the same participants.',
    );
  }

  const stack = new PakkaStack(app, settings.stackName, {
    participants,
    settings,
    description: 'Pakka: serverless two-phase commit coordinator (Step Functions, Lambda participants, DynamoDB)',
  });
  checkWithCdkNag(app);
  return stack;
}
