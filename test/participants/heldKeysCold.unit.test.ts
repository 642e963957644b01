/**
 * The hybrid leaving of `heldItems`, pure (itemIntents.ts HeldKeys): which variant a commit or abort guesses from
 * the item as last seen, and the cold variant's expression, whose condition is what keeps a held item indexed.
 */
import { describe, expect, it } from 'vitest';
import { decideHold, heldKeysGuess } from '../../lambdas/participants/itemIntents.js';
import type { EscrowPlan } from '../../lambdas/participants/kind.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { strayAfterOf } from '../../lambdas/protocol/heldIntent.js';

const at = '2026-01-01T00:00:00.000Z';
const debit = ledger.plan({ op: 'debit', key: 'alice', amount: 5 } as never) as EscrowPlan;

describe('the guess', () => {
  it('cold only when the entry is the only P and every other entry is forgotten by this write', () => {
    expect(heldKeysGuess({ entries: ['tx'], prepared: 1 }, 'tx', [])).toBe('cold');
    expect(heldKeysGuess({ entries: ['old', 'tx'], prepared: 1 }, 'tx', ['old'])).toBe('cold');
    // A finished entry inside the horizon (not forgotten), another P, or no view: busy.
    expect(heldKeysGuess({ entries: ['recent', 'tx'], prepared: 1 }, 'tx', [])).toBe('keep');
    expect(heldKeysGuess({ entries: ['other', 'tx'], prepared: 2 }, 'tx', [])).toBe('keep');
    expect(heldKeysGuess(undefined, 'tx', [])).toBe('keep');
    // A view that does not show the entry (written before the prepare) is no ground for cold.
    expect(heldKeysGuess({ entries: [], prepared: 1 }, 'tx', [])).toBe('keep');
  });
});

describe('the cold variant', () => {
  it("removes the keys on the item's last P and a map holding nothing else once the forgotten entries are gone", () => {
    const cold = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'COMMITTED', at, strayAfterOf(at), ['old1'], at, 'cold');
    expect(cold.UpdateExpression).toMatch(/#prep = #prep - :inc REMOVE #in\.#t\.#op, #in\.#t\.#d, #in\.#o0, #heldShard, #heldSince$/);
    expect(cold.ConditionExpression).toContain('#prep = :inc AND size(#in) = :entries');
    // Each forgotten entry must be there (else the size would count another, unknown one), finished and past the horizon.
    expect(cold.ConditionExpression).toContain('(attribute_exists(#in.#o0) AND #in.#o0.#s <> :p AND #in.#o0.#at < :horizon)');
    expect(cold.ExpressionAttributeValues).toMatchObject({ ':entries': 2, ':inc': 1 });
    expect(cold.ExpressionAttributeNames).toMatchObject({ '#heldShard': 'heldShard', '#heldSince': 'heldSince', '#prep': 'prepared' });
  });

  it('the busy variant names neither the keys nor the size', () => {
    const busy = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'ABORTED', at, strayAfterOf(at), [], '', 'keep');
    expect(busy.UpdateExpression).not.toContain('held');
    expect(busy.ConditionExpression).not.toContain('size(');
    expect(busy.ExpressionAttributeNames).not.toHaveProperty('#heldShard');
  });
});
