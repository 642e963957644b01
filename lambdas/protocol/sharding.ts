/**
 * Which holds a sharded key can take: only an operation that escrows a quantity (a credit, a debit) can
 * spread over a key's shards; a check or a lock reads or holds one item. The API refuses the others
 * before anything starts, and the participant refuses them the same way, by this one rule.
 */
export const spreadsOverShards = (plan: { hold: string }): boolean => plan.hold === 'escrow';
