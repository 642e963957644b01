/** What a business item's stored attributes say about it, for readers. Pure. */

/**
 * Every commit that reaches an item bumps its `version`; an item without one exists only because a
 * prepared transaction created it (a credit to a new account, a first hold of a slot), and it is
 * removed again if that transaction aborts.
 */
export const isCommitted = (item: Record<string, unknown>): boolean => typeof item.version === 'number' && item.version > 0;
