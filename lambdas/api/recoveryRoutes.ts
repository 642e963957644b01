/**
 * POST /recovery/run (a sweep now) and POST /transactions/{txnId}/resolve (an operator's decision).
 * A refused resolve answers 4xx with the usual error body, and, when a decision is already logged,
 * that decision beside it.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, type ApiErrorBody, jsonResponse } from './http.js';
import { jsonBody } from './request.js';
import type { TransactionService } from './transactionService.js';
import { type PhaseTwoOutcome, type TransactionView, transactionView } from '../coordinatorLog/coordinatorLog.js';
import type { RecoveryService } from '../recovery/recoveryService.js';
import type { ResolveRefusal } from '../recovery/resolve.js';
import type { Decision } from '../protocol/vote.js';

function available(recovery: RecoveryService | undefined): RecoveryService {
  if (!recovery) throw new ApiError(503, 'RECOVERY_UNAVAILABLE', 'recovery is not configured for this API (RECOVERY_FUNCTION_NAME is not set)');
  return recovery;
}

/** 200 and the sweep's counts when it ran to its end; 202 and where to follow it when it runs in the background. */
export async function runRecovery(recovery: RecoveryService | undefined): Promise<APIGatewayProxyResult> {
  const run = await available(recovery).sweep();
  return run.kind === 'finished' ? jsonResponse(200, run.summary) : jsonResponse(202, run.started);
}

/** What POST /transactions/{txnId}/resolve answers once the operator's decision is logged. */
export interface Resolved {
  txnId: string;
  decision: Decision;
  /** Every participant answered; otherwise recovery keeps delivering the decision. */
  final: boolean;
  phaseTwo?: PhaseTwoOutcome[];
  violations?: string[];
  errors?: string[];
  transaction?: TransactionView;
}

/** A refused resolve: the usual error body, and the decision already logged when that is why. */
export interface ResolveRefused {
  error: ApiErrorBody;
  logged?: ResolveRefusal['logged'];
}

export async function resolveTransactionRoute(
  recovery: RecoveryService | undefined,
  service: TransactionService,
  event: APIGatewayProxyEvent,
  txnId: string,
): Promise<APIGatewayProxyResult> {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new ApiError(400, 'INVALID_REQUEST', 'body is required: {"decision": "COMMIT" | "ABORT", "operator": "...", "reason": "..."}', 'body');
  }
  const result = await available(recovery).resolve(txnId, jsonBody(event));
  if (!result.ok) {
    const error: ApiErrorBody = { code: result.code, message: result.message, field: result.field };
    return jsonResponse(result.status, { error, ...(result.logged ? { logged: result.logged } : {}) } satisfies ResolveRefused);
  }
  const item = await service.readTransaction(txnId);
  const outcome = result.outcome;
  const resolved: Resolved = {
    txnId,
    decision: result.decision,
    // Final when every participant has answered; otherwise recovery keeps delivering the decision.
    final: outcome.kind === 'driven' && outcome.final,
    ...(outcome.kind === 'driven' ? { phaseTwo: outcome.outcomes, violations: outcome.violations, errors: outcome.errors } : {}),
    ...(item ? { transaction: transactionView(item) } : {}),
  };
  return jsonResponse(200, resolved);
}
