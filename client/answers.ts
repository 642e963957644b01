/**
 * What the API answers, route by route: the API's own types, named here once so that a client
 * imports them from one place. None is redefined; each is declared beside the route that builds it.
 */
export type { ApiErrorBody } from '../lambdas/api/http.js';
export type { TransactionList } from '../lambdas/api/listing.js';
export type { ListStatus } from '../lambdas/api/listStatuses.js';
export type { EventList } from '../lambdas/api/observabilityRoutes.js';
export type { ItemView, ParticipantInfo } from '../lambdas/api/participantRoutes.js';
export type { Health } from '../lambdas/api/router.js';
export type { Accepted, InspectedItem, InspectedParticipant, Inspection, ParticipantStatus, TransactionStatus } from '../lambdas/api/transactionRoutes.js';
export type { TransactionView, TxnStatus } from '../lambdas/coordinatorLog/coordinatorLog.js';
export type { TransactionRequestBody } from '../lambdas/request/transactionRequest.js';
export type { OutcomeEvent } from '../lambdas/observability/transactionOutcome.js';
export type { TransactionTimeline } from '../lambdas/observability/transactionTimeline.js';
export type { ResolveRefused, Resolved } from '../lambdas/api/recoveryRoutes.js';
export type { SweepRun, SweepStarted, SweepSummary } from '../lambdas/recovery/recoveryService.js';
export type { ResolveRequest } from '../lambdas/recovery/resolve.js';
