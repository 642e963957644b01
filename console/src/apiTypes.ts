/**
 * The shapes the console reads from Pakka's HTTP API, imported from the API's own modules (type
 * only: nothing of the server is bundled), so a change of an answer breaks the console's build
 * instead of drifting from it.
 */
import type { ApiErrorBody as ApiError } from '../../lambdas/api/http.js';
import type { TxnStatus } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import type { ResolveRefused } from '../../lambdas/api/recoveryRoutes.js';

export type { ParticipantView, TransactionView, TxnStatus } from '../../lambdas/coordinatorLog/coordinatorLog.js';
export type { TransactionList } from '../../lambdas/api/listing.js';
export type { ListStatus } from '../../lambdas/api/listStatuses.js';
export type { InspectedItem, InspectedParticipant, Inspection, ParticipantStatus, TransactionStatus } from '../../lambdas/api/transactionRoutes.js';
export type { TimeSpan, TransactionTimeline as Timeline } from '../../lambdas/observability/transactionTimeline.js';
export type { ItemView, ParticipantInfo } from '../../lambdas/api/participantRoutes.js';
export type { ItemHold } from '../../lambdas/api/itemReads.js';
export type { Resolved, ResolveRefused } from '../../lambdas/api/recoveryRoutes.js';

/** Every 4xx and 5xx body: the API's error (and, for a refused resolve, the decision already logged). */
export type ApiErrorBody = { error: ApiError } & Partial<Pick<ResolveRefused, 'logged'>>;

// A record over every status: a status the API adds and the console does not list fails this build.
const STATUS_ORDER: Record<TxnStatus, number> = { PREPARING: 0, COMMITTING: 1, ABORTING: 2, COMMITTED: 3, ABORTED: 4 };
export const TXN_STATUSES = (Object.keys(STATUS_ORDER) as TxnStatus[]).sort((a, b) => STATUS_ORDER[a] - STATUS_ORDER[b]);
