/** Ledger operations and accounts opened through the protocol itself, for tests that call a participant directly. */
import type { ParticipantHandler } from '../../lambdas/participants/runtime.js';
import { uniqueId } from './pakka.js';

export const debit = (key: string, amount: number) => [{ op: 'debit', key, amount }];
export const credit = (key: string, amount: number) => [{ op: 'credit', key, amount }];

/** A new account with a committed balance: a credit prepared and committed by `handler`. */
export async function openAccount(handler: ParticipantHandler, balance: number): Promise<string> {
  const key = uniqueId('acct');
  const txnId = uniqueId('open');
  await handler({ action: 'prepare', txnId, operations: credit(key, balance) });
  await handler({ action: 'commit', txnId, operations: credit(key, balance) });
  return key;
}
