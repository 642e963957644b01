/** The UPI transfer that the fault, recovery and resolve tests all break in different places. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, inject } from 'vitest';
import { type ParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { type IntentEntry, intentEntryOf } from '../../lambdas/protocol/heldIntent.js';
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
 * The three ledgers holding in their items whatever the default, with short prepare and commit timeouts, for
 * the recovery tests whose subject is holds that live in the item.
 */
export const HOLDING_IN_ITEMS: ParticipantConfig = parseParticipantConfig({
  defaults: { prepareTimeoutSeconds: 1, commitTimeoutSeconds: 2 },
  participants: Object.fromEntries(LEDGERS.map((name) => [name, { kind: 'ledger', holdsInItems: true }])),
});

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

/**
 * A factory of worlds with alice funded, each destroyed after its test. Call once per test file. `config`
 * replaces the three ledgers' default config (ledgerWorld.ts), e.g. to have one opt out of holds in items.
 */
export function fundedWorlds(): (faults?: FaultSpec[], balance?: number, config?: ParticipantConfig) => Promise<LedgerWorld> {
  const worlds: LedgerWorld[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => w.destroy()));
  });
  return async (faults = [], balance = 5000, config?: ParticipantConfig) => {
    const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults, ...(config ? { config } : {}) });
    worlds.push(w);
    await w.fund([{ ...alice, balance }]);
    return w;
  };
}

/** Each participant's intent entry of txnId in the items it holds (a hold that lives in its item), by participant. */
export async function intentEntries(w: LedgerWorld, txnId: string): Promise<Record<string, IntentEntry>> {
  const items = await w.scanParticipants();
  return Object.fromEntries(
    items
      .filter(({ item }) => String(item.pk).startsWith('ITEM#'))
      .flatMap(({ participant, item }) => {
        const entry = intentEntryOf((item.intents as Record<string, unknown> | undefined)?.[txnId]);
        return entry ? [[participant, entry]] : [];
      }),
  );
}

/**
 * The state of each participant's entry of txnId ('P', or an 'A'/'C' that answers alone: a tombstone, a recorded no,
 * a one-phase 'C'), by participant. Commit and abort remove their entry at once: `{}` after them, with recordStates
 * saying the outcome.
 */
export async function entryStates(w: LedgerWorld, txnId: string): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await intentEntries(w, txnId)).map(([participant, entry]) => [participant, entry.s]));
}

/** The state of each of the three ledgers' records of txnId (undefined where there is none), by participant. */
export async function recordStates(w: LedgerWorld, txnId: string): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(LEDGERS.map(async (p) => [p, await w.recordState(p, txnId)] as const)));
}

/**
 * Which of the transfer's three accounts had a hold finished in their item (a commit or abort: its entry goes at
 * once, and the item keeps the time as `lastFinishedAt`) at or after `since`, an ISO time.
 */
export async function finishedSince(w: LedgerWorld, since: string): Promise<Array<'alice' | 'bob' | 'fees'>> {
  const finished: Array<'alice' | 'bob' | 'fees'> = [];
  for (const [name, account] of [
    ['alice', alice],
    ['bob', bob],
    ['fees', fees],
  ] as const) {
    const table = w.pakka.tables.participants.get(account.participant);
    const out = await w.doc.send(new GetCommand({ TableName: table, Key: { pk: `ITEM#${account.key}` }, ConsistentRead: true }));
    const at = out.Item?.lastFinishedAt;
    if (typeof at === 'string' && at >= since) finished.push(name);
  }
  return finished;
}
