/**
 * The team's CDK app: Pakka in a stack of its own, with the team's participants, the Lambda entry of
 * its own kind and the API that validates with it. `npx cdk synth` works offline.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { PakkaStack, checkWithCdkNag, deploymentSettings } from 'pakka/cdk';
import { participants } from './participants.js';

const app = new App();
const settings = deploymentSettings((key) => app.node.tryGetContext(key));
new PakkaStack(app, settings.stackName, {
  participants,
  settings,
  participantEntries: { loyalty: fileURLToPath(new URL('./lambdas/loyaltyParticipant.ts', import.meta.url)) },
  apiEntry: fileURLToPath(new URL('./lambdas/api.ts', import.meta.url)),
  description: 'Rewards: purchases paid from the bank ledger and loyalty points, atomically (Pakka)',
});
checkWithCdkNag(app);
app.synth();
