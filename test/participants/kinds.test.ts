/**
 * A team's own kind goes through the same `defineKind` and registry as Pakka's four: validated by the
 * API's request rules, held by the runtime as its plan says, shown by the item view.
 */
import { describe, expect, it } from 'vitest';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { kindRegistry } from '../../lambdas/participants/kinds/index.js';
import { loyalty, teamKinds as kinds } from '../support/loyaltyKind.js';
import { readItem } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

const raw = {
  defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 },
  participants: { 'payer-bank': { kind: 'ledger' }, rewards: { kind: 'loyalty', shardedKeys: { 'promo-pool': 4 } } },
};

describe('a team-defined kind', () => {
  it('is refused by a config that does not register it, naming the participant and the known kinds', () => {
    expect(() => parseParticipantConfig(raw)).toThrow("participant rewards: kind 'loyalty' is not registered; known: ledger, inventory, booking, outbox");
    expect(() => kindRegistry([loyalty, loyalty])).toThrow("kind 'loyalty' is registered twice");
  });

  it('takes part in a transaction beside a built-in kind: validated, reserved, committed, refused when short', async () => {
    const pakka = await testPakka({ config: parseParticipantConfig(raw, kinds) });
    const member = uniqueId('m');
    const payer = uniqueId('p');
    const fund = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 500 }] },
        { name: 'rewards', operations: [{ op: 'earn', key: member, points: 50 }] },
      ],
    });
    expect(fund.ok && fund.value.status).toBe('COMMITTED');
    const spend = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
        { name: 'rewards', operations: [{ op: 'redeem', key: member, points: 80 }] },
      ],
    });
    expect(spend.ok && spend.value).toMatchObject({ status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' });
    expect(await readItem(pakka, 'rewards', member)).toMatchObject({ points: 50, available: 50, reserved: 0 });
    expect(await readItem(pakka, 'payer-bank', payer)).toMatchObject({ balance: 500, available: 500, reserved: 0 });

    const wrong = pakka.validate({ participants: [{ name: 'rewards', operations: [{ op: 'debit', key: member, amount: 1 }] }] });
    expect(wrong.ok ? null : wrong.error).toMatchObject({
      field: 'participants[0].operations[0].op',
      message: expect.stringContaining('allowed: earn, redeem'),
    });
    const negative = pakka.validate({ participants: [{ name: 'rewards', operations: [{ op: 'earn', key: member, points: -3 }] }] });
    expect(negative.ok ? null : negative.error).toMatchObject({ field: 'participants[0].operations[0].points' });
  });
});
