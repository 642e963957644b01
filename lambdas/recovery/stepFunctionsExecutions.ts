/** Whether a transaction's coordinator still runs on AWS: DescribeExecution of the execution named after it. */
import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionPort } from './ports.js';

/** arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> arn:aws:states:REGION:ACCOUNT:execution:NAME:EXECUTION */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  parts[5] = 'execution';
  return [...parts, executionName].join(':');
}

/** A redrivable failed execution may resume, so it counts as running too. */
const ALIVE = new Set(['RUNNING', 'PENDING_REDRIVE']);

export function stepFunctionsExecutions(sfn: SFNClient, stateMachineArn: string): ExecutionPort {
  return {
    async isRunning(item) {
      const executionArn = item.executionArn ?? executionArnOf(stateMachineArn, item.txnId);
      try {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return ALIVE.has(out.status ?? 'RUNNING');
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist) return false;
        throw error; // unknown: the sweep reports it and leaves the transaction alone this time
      }
    },
  };
}
