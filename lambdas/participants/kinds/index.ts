/**
 * The kinds a participant config may name. Pakka's own four are registered like any team's kind:
 * `kindRegistry([...BUILT_IN_KINDS.values(), loyaltyPoints])` and pass the registry where the config is
 * parsed; nothing else in Pakka knows a kind by name.
 */
import type { ParticipantKind } from '../kind.js';
import { booking } from './booking.js';
import { inventory } from './inventory.js';
import { ledger } from './ledger.js';
import { outbox } from './outbox.js';

export type KindRegistry = ReadonlyMap<string, ParticipantKind>;

export function kindRegistry(kinds: readonly ParticipantKind[]): KindRegistry {
  const registry = new Map<string, ParticipantKind>();
  for (const kind of kinds) {
    if (!/^[a-z][a-z0-9-]{1,39}$/.test(kind.name)) throw new Error(`kind name '${kind.name}' must be 2-40 lower-case letters, digits and -`);
    if (registry.has(kind.name)) throw new Error(`kind '${kind.name}' is registered twice`);
    registry.set(kind.name, kind);
  }
  return registry;
}

export const BUILT_IN_KINDS: KindRegistry = kindRegistry([ledger, inventory, booking, outbox]);
