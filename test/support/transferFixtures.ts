/** The UPI transfer that the fault, recovery and resolve tests all break in different places. */
import { afterEach, inject } from 'vitest';
import type { FaultSpec } from '../../local/faults.js';
import { type Account, LedgerWorld, type Transfer } from '../chaos/ledgerWorld.js';

export const alice: Account = { participant: 'payer-bank', key: 'alice' };
export const bob: Account = { participant: 'payee-bank', key: 'bob' };
export const fees: Account = { participant: 'upi-switch', key: 'fees' };
export const transfer: Transfer = { from: alice, to: bob, amount: 1000, fee: 10 };
/** More than alice has: payer-bank votes VOTE_ABORT (INSUFFICIENT_FUNDS). */
export const overdraft: Transfer = { from: alice, to: bob, amount: 9000, fee: 10 };
export const LEDGERS = ['payer-bank', 'payee-bank', 'upi-switch'];
export const COMMITTED_BALANCES = { alice: 4000, bob: 990, fees: 10 };
export const UNTOUCHED_BALANCES = { alice: 5000, bob: undefined, fees: undefined };

/**
 * The funds of the transfer's three accounts, compared with COMMITTED_BALANCES or UNTOUCHED_BALANCES: an
 * account without funds reads undefined whether its item exists or not, since a released hold that lived in
 * the item leaves the item it created at balance 0 (the record layout deletes it). Nothing held is I5's part
 * (LedgerWorld.invariantViolations).
 */
export async function transferBalances(w: LedgerWorld): Promise<Record<'alice' | 'bob' | 'fees', number | undefined>> {
  const funds = async (account: Account) => (await w.balance(account)) || undefined;
  return { alice: await funds(alice), bob: await funds(bob), fees: await funds(fees) };
}

/** A factory of worlds with alice funded, each destroyed after its test. Call once per test file. */
export function fundedWorlds(): (faults?: FaultSpec[], balance?: number) => Promise<LedgerWorld> {
  const worlds: LedgerWorld[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => w.destroy()));
  });
  return async (faults = [], balance = 5000) => {
    const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults });
    worlds.push(w);
    await w.fund([{ ...alice, balance }]);
    return w;
  };
}
