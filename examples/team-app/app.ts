/**
 * The team's CDK app: Pakka in a stack of its own, with the team's participants (the built-in ledger,
 * its loyalty kind from its own entry, and its card participant on its own function and table from
 * CardsStack) and the API that validates with the team's kinds. `npx cdk synth` works offline.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { PakkaStack, checkWithCdkNag, deploymentSettings } from 'pakka/cdk';
import { CardsStack } from './cardsStack.js';
import { participants } from './participants.js';

const app = new App();
const settings = deploymentSettings((key) => app.node.tryGetContext(key));
const gatewayUrl = String(app.node.tryGetContext('team:cardGatewayUrl') ?? 'https://cards.example.com');
const cards = new CardsStack(app, `${settings.stackName}Cards`, {
  participant: 'cards',
  gatewayUrl,
  description: 'The team card participant (its own function and table)',
});
new PakkaStack(app, settings.stackName, {
  participants,
  settings,
  kindEntries: { loyalty: fileURLToPath(new URL('./lambdas/loyaltyParticipant.ts', import.meta.url)) },
  participantFunctions: { cards: cards.function },
  participantTables: { cards: cards.table },
  apiEntry: fileURLToPath(new URL('./lambdas/api.ts', import.meta.url)),
  description: 'Rewards: purchases paid from the bank ledger, the card gateway and loyalty points, atomically (Pakka)',
});
checkWithCdkNag(app);
app.synth();
