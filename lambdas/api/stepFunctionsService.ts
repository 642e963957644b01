/**
 * The transaction service on AWS: executions on the Step Functions state machine, named after
 * the transaction, and the tables read with DynamoDB.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ParticipantConfig } from '../config/participantConfig.js';
import type { ParticipantFunctions } from '../config/participantFunctions.js';
import type { CoordinatorVariant } from '../config/coordinatorVariant.js';
import type { ExecutionInput } from '../request/executionInput.js';
import { claimTransaction } from './claimWrite.js';
import { type TableNamesForReads, tableReads } from './tableReads.js';
import type { ParticipantQuestions } from '../recovery/participantInDoubt.js';
import type { TransactionService } from './transactionService.js';

export interface StepFunctionsServiceOptions {
  sfn: SFNClient;
  /** For `StartSyncExecution` only: one attempt, longer than the wait (syncStartClientConfig). */
  syncStartSfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
  stateMachineArn: string;
  variant: CoordinatorVariant;
  tables: TableNamesForReads;
  config: ParticipantConfig;
  functions: ParticipantFunctions;
  /** How the API asks a participant that keeps its prepared state in its own store (through the recovery function on AWS). */
  questions?: ParticipantQuestions;
}

/** arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  parts[5] = 'execution';
  return [...parts, executionName].join(':');
}

export function stepFunctionsService(options: StepFunctionsServiceOptions): TransactionService {
  const { sfn, syncStartSfn, stateMachineArn, variant } = options;
  return {
    config: options.config,
    functions: options.functions,
    variant,
    ...tableReads(options.dynamo, options.tables, options.config, options.questions),
    claim: (input) => claimTransaction(options.dynamo, options.tables.coordinatorLog, input, new Date().toISOString()),
    async startExecution(input, start = {}) {
      if (variant === 'express' && start.waitMs !== undefined) {
        // One call that returns when the execution ends: no polling, and a synchronous Express
        // start runs at most once (its client never retries). Past the wait the call is dropped and
        // the caller reads the log.
        const signal = AbortSignal.timeout(start.waitMs);
        try {
          await syncStartSfn.send(new StartSyncExecutionCommand({ stateMachineArn, name: input.txnId, input: JSON.stringify(input) }), { abortSignal: signal });
        } catch (error) {
          if (!signal.aborted) throw error;
        }
        return 'started';
      }
      try {
        // The same name with the same input is idempotent while the execution runs.
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name: input.txnId, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        // Another input, or a closed execution of that name: the caller reads the log to tell which.
        if (error instanceof ExecutionAlreadyExists) return 'conflict';
        throw error;
      }
    },
    async runningExecution(txnId) {
      // Express executions cannot be described; until BeginTransaction writes the log item (a few
      // milliseconds after the start) the transaction is not visible.
      if (variant === 'express') return undefined;
      try {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, txnId) }));
        if (out.status !== 'RUNNING') return undefined;
        return {
          startedAt: (out.startDate ?? new Date()).toISOString(),
          ...(out.input ? { input: JSON.parse(out.input) as ExecutionInput } : {}),
        };
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist) return undefined;
        throw error;
      }
    },
  };
}
