/**
 * POST /recovery/run on AWS: the API invokes the recovery function asynchronously (a sweep may take
 * its 55 s, past API Gateway's 29 s) and answers 202 with where to follow it; locally it still
 * sweeps synchronously (test/recovery/recovery-service.test.ts). A resolve stays a synchronous invocation.
 */
import { InvokeCommand, type InvokeCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { runRecovery } from '../../lambdas/api/recoveryRoutes.js';
import { type SweepStarted, invokedRecovery } from '../../lambdas/recovery/recoveryService.js';

function lambda(answer: (input: InvokeCommandInput) => Record<string, unknown>): { client: LambdaClient; calls: InvokeCommandInput[] } {
  const calls: InvokeCommandInput[] = [];
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand)) throw new Error('only Invoke is expected');
    calls.push(command.input);
    return answer(command.input);
  };
  return { client: { send } as unknown as LambdaClient, calls };
}

const payloadOf = (input: InvokeCommandInput | undefined) => JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array)) as unknown;

describe('POST /recovery/run through the recovery function', () => {
  it('queues the sweep (InvocationType Event) and answers 202 with the request id and the log group', async () => {
    const { client, calls } = lambda(() => ({ StatusCode: 202, $metadata: { requestId: 'c0ffee-1' } }));
    const result = await runRecovery(invokedRecovery(client, 'Pakka-recovery', { logGroupName: '/pakka/recovery' }));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ FunctionName: 'Pakka-recovery', InvocationType: 'Event' });
    expect(payloadOf(calls[0])).toEqual({ action: 'sweep' });
    expect(result.statusCode).toBe(202);
    const body = JSON.parse(result.body) as SweepStarted;
    expect(body).toMatchObject({ status: 'STARTED', requestId: 'c0ffee-1', logGroup: '/pakka/recovery' });
    expect(body.follow).toMatch(/"recovery sweep done" in \/pakka\/recovery/);
  });

  it('fails (500 from the router) when Lambda does not accept the invocation', async () => {
    const { client } = lambda(() => ({ StatusCode: 200, $metadata: {} }));
    await expect(runRecovery(invokedRecovery(client, 'Pakka-recovery'))).rejects.toThrow(/did not accept the sweep \(status 200\)/);
  });

  it('keeps a resolve synchronous: it answers with the outcome of one transaction', async () => {
    const refusal = { ok: false, status: 404, code: 'NOT_FOUND', message: 'no transaction t1', field: 'txnId' };
    const { client, calls } = lambda(() => ({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(refusal)), $metadata: {} }));
    const result = await invokedRecovery(client, 'Pakka-recovery').resolve('t1', { decision: 'ABORT' });
    expect(calls[0]?.InvocationType).toBeUndefined();
    expect(payloadOf(calls[0])).toEqual({ action: 'resolve', txnId: 't1', body: { decision: 'ABORT' } });
    expect(result).toEqual(refusal);
  });
});
