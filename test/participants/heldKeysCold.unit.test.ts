/**
 * The hybrid leaving of `heldItems`, pure (itemIntents.ts HeldKeys): which variant a commit or abort guesses from
 * the item as last seen, and the cold variant's expression, whose condition is what keeps a held item indexed.
 */
import { describe, expect, it } from 'vitest';
import { decideHold, heldKeysGuess } from '../../lambdas/participants/itemIntents.js';
import type { EscrowPlan } from '../../lambdas/participants/kind.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';

const at = '2026-01-01T00:00:00.000Z';
const debit = ledger.plan({ op: 'debit', key: 'alice', amount: 5 } as never) as EscrowPlan;

describe('the guess', () => {
  const horizon = at;
  const before = '2025-12-31T23:59:59.000Z';
  it('cold only when the entry is the only P, every other entry is forgotten by this write, and no hold finished here inside the horizon', () => {
    const view = (entries: string[], prepared: number, lastFinishedAt?: string) => ({ entries, prepared, lastFinishedAt });
    expect(heldKeysGuess(view(['tx'], 1), 'tx', [], horizon)).toBe('cold');
    expect(heldKeysGuess(view(['tx'], 1, before), 'tx', [], horizon)).toBe('cold');
    expect(heldKeysGuess(view(['old', 'tx'], 1), 'tx', ['old'], horizon)).toBe('cold');
    // A hold finished here inside the horizon (its entry gone at once), an entry not forgotten, another P, or no view: busy.
    expect(heldKeysGuess(view(['tx'], 1, at), 'tx', [], horizon)).toBe('keep');
    expect(heldKeysGuess(view(['recent', 'tx'], 1), 'tx', [], horizon)).toBe('keep');
    expect(heldKeysGuess(view(['other', 'tx'], 2), 'tx', [], horizon)).toBe('keep');
    expect(heldKeysGuess(undefined, 'tx', [], horizon)).toBe('keep');
    // A view that does not show the entry (written before the prepare) is no ground for cold.
    expect(heldKeysGuess(view([], 1), 'tx', [], horizon)).toBe('keep');
  });
});

describe('the cold variant', () => {
  it("removes the keys on the item's last P and a map holding nothing else once the forgotten entries are gone, no other finish inside the horizon", () => {
    const cold = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'COMMITTED', at, { holdId: 'n' }, ['old1'], at, 'cold');
    expect(cold.UpdateExpression).toMatch(/#prep = #prep - :inc, #lastFin = :at REMOVE #in\.#t, #in\.#o0, #heldShard, #heldSince$/);
    expect(cold.ConditionExpression).toContain('#prep = :inc AND size(#in) = :entries AND (attribute_not_exists(#lastFin) OR #lastFin < :coldSince)');
    expect(cold.ExpressionAttributeValues).toMatchObject({ ':coldSince': at });
    // Each forgotten entry must be there (else the size would count another, unknown one), finished and past the horizon.
    expect(cold.ConditionExpression).toContain('(attribute_exists(#in.#o0) AND #in.#o0.#s <> :p AND #in.#o0.#at < :horizon)');
    expect(cold.ExpressionAttributeValues).toMatchObject({ ':entries': 2, ':inc': 1 });
    expect(cold.ExpressionAttributeNames).toMatchObject({ '#heldShard': 'heldShard', '#heldSince': 'heldSince', '#prep': 'prepared' });
  });

  it('the busy variant names neither the keys nor the size', () => {
    const busy = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'ABORTED', at, { holdId: 'n' }, [], '', 'keep');
    expect(busy.UpdateExpression).not.toContain('held');
    expect(busy.ConditionExpression).not.toContain('size(');
    expect(busy.ExpressionAttributeNames).not.toHaveProperty('#heldShard');
  });
});
