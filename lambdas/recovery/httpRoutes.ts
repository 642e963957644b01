/**
 * POST /recovery/run (a sweep now) and POST /transactions/{txnId}/resolve (an operator's decision).
 * A refused resolve answers 4xx with the usual error body, and, when a decision is already logged,
 * that decision beside it.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, type ApiErrorBody, jsonResponse } from '../api/http.js';
import { jsonBody } from '../api/request.js';
import type { TransactionService } from '../api/transactionService.js';
import { transactionView } from '../coordinator/coordinatorLog.js';
import type { RecoveryService } from './recoveryService.js';

function available(recovery: RecoveryService | undefined): RecoveryService {
  if (!recovery) throw new ApiError(503, 'RECOVERY_UNAVAILABLE', 'recovery is not configured for this API (RECOVERY_FUNCTION_NAME is not set)');
  return recovery;
}

export async function runRecovery(recovery: RecoveryService | undefined): Promise<APIGatewayProxyResult> {
  return jsonResponse(200, await available(recovery).sweep());
}

export async function resolveTransactionRoute(recovery: RecoveryService | undefined, service: TransactionService, event: APIGatewayProxyEvent, txnId: string): Promise<APIGatewayProxyResult> {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new ApiError(400, 'INVALID_REQUEST', 'body is required: {"decision": "COMMIT" | "ABORT", "operator": "...", "reason": "...", "force"?: true}', 'body');
  }
  const result = await available(recovery).resolve(txnId, jsonBody(event));
  if (!result.ok) {
    const error: ApiErrorBody = { code: result.code, message: result.message, field: result.field };
    return jsonResponse(result.status, { error, ...(result.logged ? { logged: result.logged } : {}) });
  }
  const item = await service.readLog(txnId);
  const outcome = result.outcome;
  return jsonResponse(200, {
    txnId,
    decision: result.decision,
    // Final when every participant has answered; otherwise recovery keeps delivering the decision.
    final: outcome.kind === 'driven' && outcome.final,
    ...(outcome.kind === 'driven' ? { phaseTwo: outcome.outcomes, violations: outcome.violations, errors: outcome.errors } : {}),
    ...(item ? { transaction: transactionView(item) } : {}),
  });
}
