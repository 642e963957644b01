/**
 * The participants of the kill-cycle chaos run, the same in the run and in every life of the service:
 * the payer's bank keeps its holds in records (TransactWriteItems), the payee's bank and the switch keep
 * one-item holds in the item, so a SIGKILL lands on both layouts and on the shared fee account. The payee's bank
 * also takes the run's deposits and withdrawals alone, which it commits in one phase, claim first.
 */
import { type ParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';

export function killCyclesConfig(): ParticipantConfig {
  return parseParticipantConfig({
    defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
    participants: {
      'payer-bank': { kind: 'ledger', holdsInItems: false },
      'payee-bank': { kind: 'ledger', holdsInItems: true },
      'upi-switch': { kind: 'ledger', holdsInItems: true },
    },
  });
}
