/**
 * How an escrowed item reads: its committed quantity, and what prepared transactions hold on it. An item
 * written without the sums (by hand, or by Pakka 0.1) reads its quantity as available; a prepare still
 * refuses it, since its conditions need the sums.
 */
/** A stored quantity as DynamoDB hands it back: a number, or a BigInt past 2^53 - 1 (only data older than that limit). */
type Quantity = number | bigint;
const numberOr = (value: unknown, fallback: Quantity): Quantity => (typeof value === 'number' || typeof value === 'bigint' ? value : fallback);

export function escrowView(item: Record<string, unknown>, quantity: string): Record<string, Quantity> {
  const committed = numberOr(item[quantity], 0);
  return {
    [quantity]: committed,
    available: numberOr(item.available, committed),
    reserved: numberOr(item.reserved, 0),
    incoming: numberOr(item.incoming, 0),
  };
}
