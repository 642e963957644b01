/**
 * What `GET /transactions?status=` accepts: a status, or OPEN for every status not final at once.
 * The one list the API checks, the client types and the CLI offers, so they cannot drift apart.
 */
import { TXN_STATUSES } from '../coordinatorLog/coordinatorLog.js';

/** The statuses not final: listed oldest (most stuck) first through what is held for them (stuckListing.ts). */
export const STUCK_STATUSES = ['PREPARING', 'COMMITTING', 'ABORTING'] as const;
export type StuckStatus = (typeof STUCK_STATUSES)[number];
export const isStuckStatus = (status: string): status is StuckStatus => (STUCK_STATUSES as readonly string[]).includes(status);

/** Every stuck status in one listing: a live view reads the held indexes once instead of once per status. */
export const OPEN_FILTER = 'OPEN';
export const STUCK_FILTERS = [...STUCK_STATUSES, OPEN_FILTER] as const;
export type StuckFilter = (typeof STUCK_FILTERS)[number];
export const isStuckFilter = (filter: string): filter is StuckFilter => (STUCK_FILTERS as readonly string[]).includes(filter);

export const LIST_STATUSES = [...TXN_STATUSES, OPEN_FILTER] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
export const isListStatus = (status: string): status is ListStatus => (LIST_STATUSES as readonly string[]).includes(status);
