/**
 * Recovery as the HTTP API sees it: run a sweep now, or log an operator's decision. Locally it is the
 * LocalRecovery in the server's process; on AWS the API invokes the recovery function, so that only
 * that function holds the rights to invoke participants.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ResolveResult } from './resolve.js';
import type { SweepReport } from './sweep.js';

/** The sweep's counts, without the per-transaction detail (that goes to the log). */
export type SweepSummary = Omit<SweepReport, 'transactions' | 'errors'> & { errors: number };

export const sweepSummary = ({ transactions: _detail, errors, ...counts }: SweepReport): SweepSummary => ({ ...counts, errors: errors.length });

export interface RecoveryService {
  sweep(): Promise<SweepSummary>;
  resolve(txnId: string, body: unknown): Promise<ResolveResult>;
}

/** The API's RecoveryService on AWS: a synchronous invocation of the recovery function (awsEntry.ts). */
export function invokedRecovery(lambda: LambdaClient, functionName: string): RecoveryService {
  async function invoke<T>(request: unknown): Promise<T> {
    const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(request)) }));
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) throw new Error(`the recovery function failed (${out.FunctionError}): ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
  return {
    sweep: () => invoke<SweepSummary>({ action: 'sweep' }),
    resolve: (txnId, body) => invoke<ResolveResult>({ action: 'resolve', txnId, body }),
  };
}
