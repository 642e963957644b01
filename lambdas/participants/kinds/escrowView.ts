/**
 * How an escrowed item reads: its committed quantity, and what prepared transactions hold on it. An item
 * without the sums (one that holds only a hold-in-the-item entry, no account) reads as all zero.
 */
/** A stored quantity as DynamoDB hands it back: a number, or a BigInt past 2^53 - 1 (only data older than that limit). */
type Quantity = number | bigint;
const numberOr = (value: unknown, fallback: Quantity): Quantity => (typeof value === 'number' || typeof value === 'bigint' ? value : fallback);

export function escrowView(item: Record<string, unknown>, quantity: string): Record<string, Quantity> {
  const committed = numberOr(item[quantity], 0);
  return {
    [quantity]: committed,
    available: numberOr(item.available, 0),
    reserved: numberOr(item.reserved, 0),
    incoming: numberOr(item.incoming, 0),
  };
}
