/**
 * The participant config as a team first writes it: `defaults` may be left out (each timeout then has
 * Pakka's default), and a wrong file is refused with one line per problem naming the field and the rule,
 * never a raw dump of the validator's issues.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { HOLDS_IN_ITEMS_BY_DEFAULT } from '../../lambdas/participants/holdLayout.js';
import { holdsInItemsFromEnvironment } from '../../lambdas/participants/lambdaEntry.js';

describe('the participant config', () => {
  it('needs no defaults: a participant without timeouts of its own gets Pakka’s', () => {
    const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger' }, shop: { kind: 'inventory', prepareTimeoutSeconds: 4 } } });
    expect(config.get('bank')).toMatchObject(DEFAULT_TIMEOUTS);
    expect(config.get('shop')).toMatchObject({ prepareTimeoutSeconds: 4, commitTimeoutSeconds: DEFAULT_TIMEOUTS.commitTimeoutSeconds });
  });

  it('holds one-item escrows in their items as the entry says, the default otherwise; a Lambda reads the same from HOLDS_IN_ITEMS', () => {
    const config = parseParticipantConfig({
      participants: { bank: { kind: 'ledger' }, on: { kind: 'ledger', holdsInItems: true }, off: { kind: 'ledger', holdsInItems: false } },
    });
    expect([config.get('bank'), config.get('on'), config.get('off')].map((spec) => spec?.holdsInItems)).toEqual([HOLDS_IN_ITEMS_BY_DEFAULT, true, false]);
    expect([undefined, 'true', 'false'].map(holdsInItemsFromEnvironment)).toEqual([HOLDS_IN_ITEMS_BY_DEFAULT, true, false]);
    expect(() => holdsInItemsFromEnvironment('no')).toThrow("environment variable HOLDS_IN_ITEMS is 'no'; it must be true or false");
  });

  it('takes one default without the other', () => {
    const config = parseParticipantConfig({ defaults: { commitTimeoutSeconds: 30 }, participants: { bank: { kind: 'ledger' } } });
    expect(config.get('bank')).toMatchObject({ prepareTimeoutSeconds: DEFAULT_TIMEOUTS.prepareTimeoutSeconds, commitTimeoutSeconds: 30 });
  });

  it('refuses a wrong file with a message naming each field and its rule', () => {
    const wrong = { defaults: { prepareTimeoutSeconds: 0 }, participants: { Bank: { kind: 'ledger' }, shop: { kind: 'inventory', colour: 'red' } } };
    const message = (() => {
      try {
        parseParticipantConfig(wrong);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/^the participant config is invalid: /);
    expect(message).toContain('defaults.prepareTimeoutSeconds: ');
    expect(message).toContain('participants.Bank: participant names are lower-case letters, digits and -');
    expect(message).toContain('participants.shop: ');
    expect(message).toContain('colour');
    expect(message.split('\n')).toHaveLength(1);
  });
});
