/**
 * Writes the participant protocol's JSON Schema from its one source (lambdas/contract). Run after changing
 * the contract (`npm run contract`); a test fails while the committed file and the source disagree.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTRACT_VERSION, contractDocument } from '../lambdas/contract/participantProtocol.js';

export const CONTRACT_FILE = fileURLToPath(new URL(`./participant-protocol.v${CONTRACT_VERSION.split('.')[0]}.json`, import.meta.url));

export const renderContract = (): string => `${JSON.stringify(contractDocument(), null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CONTRACT_FILE, renderContract());
  console.log(`wrote ${CONTRACT_FILE}`);
}
