import type { ParticipantKind } from '../kind.js';
import { booking } from './booking.js';
import { inventory } from './inventory.js';
import { ledger } from './ledger.js';
import { outbox } from './outbox.js';

export const KINDS: Readonly<Record<string, ParticipantKind>> = { ledger, inventory, booking, outbox };
export const KIND_NAMES = Object.keys(KINDS);
