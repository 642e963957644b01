/**
 * How an escrowed item reads: its committed quantity, and what prepared transactions hold on it.
 * A 0.1 item, not yet upgraded, has nothing reserved or promised: its quantity is all available.
 */
const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

export function escrowView(item: Record<string, unknown>, quantity: string): Record<string, number> {
  const committed = numberOr(item[quantity], 0);
  return {
    [quantity]: committed,
    available: numberOr(item.available, committed),
    reserved: numberOr(item.reserved, 0),
    incoming: numberOr(item.incoming, 0),
  };
}
