/**
 * The API's transaction service backed by LocalPakka: executions on the local engine, tables on
 * DynamoDB Local. Starting behaves as Step Functions' StartExecution does, so the routes cannot
 * tell the difference: the same name with the same input is a no-op, with another input a conflict
 * on Standard, and a second execution on Express.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tableReads } from '../lambdas/api/tableReads.js';
import type { RunningExecution, TransactionService } from '../lambdas/api/transactionService.js';
import type { ExecutionInput } from '../lambdas/request/executionInput.js';
import { documentClient } from '../lambdas/participants/lambdaEntry.js';
import type { ExecutionOutcome, LocalPakka } from './pakka.js';

export interface LocalTransactionServiceOptions {
  /** Told when an execution fails (it is then left to recovery), so the operator sees it. */
  onExecutionFailed?: (txnId: string, outcome: Extract<ExecutionOutcome, { ok: false }>) => void;
}

export function localTransactionService(pakka: LocalPakka, dynamo: DynamoDBClient, options: LocalTransactionServiceOptions = {}): TransactionService {
  // Executions started here and still running: the window before BeginTransaction writes the log item.
  const running = new Map<string, Required<RunningExecution>>();
  return {
    config: pakka.config,
    functions: pakka.functions,
    variant: pakka.variant,
    ...tableReads(documentClient(dynamo), pakka.tables, pakka.config, pakka.questions),
    claim: (input) => pakka.claim(input),
    async startExecution(input: ExecutionInput) {
      const current = running.get(input.txnId);
      // A twin of the same request would be harmless; none is started here.
      if (current?.input.requestDigest === input.requestDigest) return 'duplicate';
      // Express never refuses a second execution of one name (only the API's claim keeps a txnId to
      // one request), so another request's execution starts beside the first, as on AWS.
      if (pakka.variant === 'standard') {
        if (current) return 'conflict';
        // Started in this process by someone else (a script using LocalPakka directly): its input is unknown here.
        if (pakka.isRunning(input.txnId)) return 'conflict';
      }
      const request = {
        txnId: input.txnId,
        participants: input.participants.map((p) => ({ name: p.name, operations: p.operations })),
        timeoutSeconds: input.timeoutSeconds,
      };
      const started = pakka.start(request, input.idempotencyKey, input.fault);
      running.set(input.txnId, { input, startedAt: new Date().toISOString() });
      void started.done.then((outcome) => {
        running.delete(input.txnId);
        if (!outcome.ok) options.onExecutionFailed?.(input.txnId, outcome);
      });
      return 'started';
    },
    async runningExecution(txnId) {
      const current = running.get(txnId);
      if (current) return current;
      // Started in this process by someone else: neither its input nor its start is known here.
      return pakka.isRunning(txnId) ? {} : undefined;
    },
  };
}
