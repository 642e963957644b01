/**
 * The sweeper's AWS adapters, without AWS: the coordinator log and the inDoubt indexes on DynamoDB
 * Local, participants reached through a Lambda client that answers as Lambda does (function errors as
 * `FunctionError` + `{errorType, errorMessage}`), executions through a Step Functions client that
 * answers DescribeExecution. The same core, so the same outcomes as locally.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { recoveryRequest } from '../../lambdas/recovery/awsEntry.js';
import { sweepSummary } from '../../lambdas/recovery/recoveryService.js';
import { coordinatorLogTable } from '../../lambdas/recovery/coordinatorLogTable.js';
import { inDoubtIndex } from '../../lambdas/recovery/inDoubtIndex.js';
import { lambdaParticipants } from '../../lambdas/recovery/lambdaParticipants.js';
import type { RecoveryPorts } from '../../lambdas/recovery/ports.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { runSweep } from '../../lambdas/recovery/sweep.js';
import { executionArnOf, stepFunctionsExecutions } from '../../lambdas/recovery/stepFunctionsExecutions.js';
import type { FaultSpec } from '../../local/faults.js';
import { HOUR_MS, LedgerWorld } from '../chaos/ledgerWorld.js';

/** Functions named nothing like their participants, one in another account: recovery must use the map. */
const FUNCTIONS = new Map([
  ['payer-bank', 'arn:aws:lambda:eu-west-1:111111111111:function:bank-of-alice'],
  ['payee-bank', 'arn:aws:lambda:eu-west-1:222222222222:function:bank-of-bob'],
  ['upi-switch', 'arn:aws:lambda:eu-west-1:111111111111:function:switch:live'],
]);
const PARTICIPANT_OF = new Map([...FUNCTIONS].map(([name, arn]) => [arn, name]));
const STATE_MACHINE = 'arn:aws:states:ap-south-1:123456789012:stateMachine:pakka-two-phase-commit';

const worlds: LedgerWorld[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.destroy()));
});

/** A Lambda client that runs the local participant handlers and answers in Lambda's wire format. */
function fakeLambda(w: LedgerWorld, invoked: string[]): LambdaClient {
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand)) throw new Error('only Invoke is expected');
    const name = String(command.input.FunctionName);
    const payload = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) as unknown;
    invoked.push(`${(payload as { action?: string }).action} ${name}`);
    try {
      const participant = PARTICIPANT_OF.get(name);
      if (!participant)
        return {
          StatusCode: 404,
          FunctionError: 'Unhandled',
          Payload: new TextEncoder().encode(JSON.stringify({ errorType: 'ResourceNotFoundException', errorMessage: name })),
        };
      const answer = await w.direct(participant, payload);
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
    } catch (error) {
      const e = error as Error;
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify({ errorType: e.name, errorMessage: e.message })) };
    }
  };
  return { send } as unknown as LambdaClient;
}

/** A Step Functions client whose executions all have this status (or do not exist). */
function fakeSfn(status: string | 'MISSING' | 'BROKEN', asked: string[]): SFNClient {
  const send = async (command: unknown) => {
    if (!(command instanceof DescribeExecutionCommand)) throw new Error('only DescribeExecution is expected');
    asked.push(String(command.input.executionArn));
    if (status === 'MISSING') throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    if (status === 'BROKEN') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    return { status };
  };
  return { send } as unknown as SFNClient;
}

async function stuckWorld(faults: FaultSpec[]) {
  const w = await LedgerWorld.create({ endpoint: inject('dynamoEndpoint'), faults });
  worlds.push(w);
  await w.fund([{ participant: 'payer-bank', key: 'alice', balance: 5000 }]);
  await w.start('t1', { from: { participant: 'payer-bank', key: 'alice' }, to: { participant: 'payee-bank', key: 'bob' }, amount: 1000, fee: 10 }).done;
  await w.injector.settled();
  return w;
}

function awsPorts(w: LedgerWorld, status: string, invoked: string[] = [], asked: string[] = []): RecoveryPorts {
  return {
    log: coordinatorLogTable(w.doc, w.pakka.tables.coordinatorLog),
    inDoubt: inDoubtIndex(w.doc, w.pakka.tables.participants),
    participants: lambdaParticipants(fakeLambda(w, invoked), FUNCTIONS),
    executions: stepFunctionsExecutions(fakeSfn(status, asked), STATE_MACHINE),
    now: () => Date.now() + HOUR_MS,
  };
}

describe('recovery through the AWS adapters', () => {
  it.each(['FAILED', 'TIMED_OUT', 'ABORTED', 'MISSING'])(
    'aborts a transaction whose execution is %s, invoking each participant function from the map',
    async (status) => {
      const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
      const invoked: string[] = [];
      const asked: string[] = [];
      const report = await runSweep(awsPorts(w, status, invoked, asked), DEFAULT_RECOVERY_CONFIG);
      expect(report).toMatchObject({ decided: 1, finalized: 1, errors: [] });
      // Nothing was logged before the decision: the execution asked about is the one named after the transaction.
      expect(asked).toEqual([executionArnOf(STATE_MACHINE, 't1')]);
      // Each record's holder is asked what it holds now (the index lags), then sent the abort.
      expect(invoked.sort()).toEqual([...FUNCTIONS.values()].flatMap((arn) => [`abort ${arn}`, `status ${arn}`]).sort());
      expect(await w.logItem('t1')).toMatchObject({ status: 'ABORTED', decidedBy: 'recovery' });
      expect(await w.invariantViolations()).toEqual([]);
    },
  );

  it.each(['RUNNING', 'PENDING_REDRIVE'])('leaves a transaction alone while its execution is %s', async (status) => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const report = await runSweep(awsPorts(w, status), DEFAULT_RECOVERY_CONFIG);
    expect(report.transactions).toContainEqual({ kind: 'running', txnId: 't1' });
    expect((await w.logItem('t1'))?.decision).toBeUndefined();
  });

  it('reports an execution check that fails and changes nothing', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const report = await runSweep(awsPorts(w, 'BROKEN'), DEFAULT_RECOVERY_CONFIG);
    expect(report.errors).toEqual([{ txnId: 't1', error: 'ThrottlingException: Rate exceeded' }]);
    expect(report.quiet).toBe(false);
    expect((await w.logItem('t1'))?.decision).toBeUndefined();
  });

  it('takes up no transaction once its time is up, and says how many it left for the next sweep', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'LogCommitDecision', txnId: 't1' }]);
    const report = await runSweep(awsPorts(w, 'FAILED'), DEFAULT_RECOVERY_CONFIG, { stopTakingAt: Date.now() - 1 });
    expect(report).toMatchObject({ examined: 1, deferred: 1, finalized: 0, quiet: false });
    expect((await w.logItem('t1'))?.decision).toBeUndefined();
  });

  it('reads a protocol violation out of a Lambda function error and records the hazard', async () => {
    const w = await stuckWorld([{ fault: 'stopCoordinator', at: 'Commit', txnId: 't1' }]);
    await w.direct('payee-bank', { action: 'abort', txnId: 't1' });
    const report = await runSweep(awsPorts(w, 'FAILED'), DEFAULT_RECOVERY_CONFIG);
    expect(report).toMatchObject({ finalized: 1, hazards: 1 });
    expect(await w.pakka.getTransaction('t1')).toMatchObject({ status: 'COMMITTED', heuristicHazard: true, violations: ['payee-bank:COMMIT_AFTER_ABORT'] });
  });
});

describe("the recovery function's requests", () => {
  it('sweeps on a scheduled event, and takes explicit sweep and resolve requests', () => {
    expect(recoveryRequest({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toEqual({ action: 'sweep' });
    expect(recoveryRequest({ action: 'sweep' })).toEqual({ action: 'sweep' });
    expect(recoveryRequest({ action: 'resolve', txnId: 't1', body: { decision: 'ABORT' } })).toEqual({
      action: 'resolve',
      txnId: 't1',
      body: { decision: 'ABORT' },
    });
  });

  it('refuses a malformed explicit request instead of sweeping', () => {
    expect(() => recoveryRequest({ action: 'resolve', body: {} })).toThrow();
    expect(() => recoveryRequest({ action: 'reboot' })).toThrow();
  });

  it('answers counts, not the per-transaction detail', () => {
    const counts = sweepSummary({
      startedAt: 'x',
      examined: 2,
      transactions: [{ kind: 'running', txnId: 'a' }],
      finalized: 1,
      decided: 1,
      pending: 0,
      orphansAborted: 0,
      hazards: 0,
      errors: [{ txnId: 'b', error: 'e' }],
      deferred: 0,
      quiet: false,
    });
    expect(counts).toEqual({
      startedAt: 'x',
      examined: 2,
      finalized: 1,
      decided: 1,
      pending: 0,
      orphansAborted: 0,
      hazards: 0,
      errors: 1,
      deferred: 0,
      quiet: false,
    });
  });
});
