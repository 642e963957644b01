/**
 * Recovery as the HTTP API sees it: run a sweep now, or log an operator's decision. Locally it is the
 * LocalRecovery in the server's process; on AWS the API invokes the recovery function, so that only
 * that function holds the rights to invoke participants.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { statusAnswer } from '../contract/participantProtocol.js';
import type { ParticipantQuestions } from './participantInDoubt.js';
import type { ResolveResult } from './resolve.js';
import type { SweepReport } from './sweep.js';

/** The sweep's counts, without the per-transaction detail (that goes to the log). */
export type SweepSummary = Omit<SweepReport, 'transactions' | 'errors'> & { errors: number };

export const sweepSummary = ({ transactions: _detail, errors, ...counts }: SweepReport): SweepSummary => ({ ...counts, errors: errors.length });

/** What POST /recovery/run answers (202) when the sweep runs in the background: where to follow it. */
export interface SweepStarted {
  status: 'STARTED';
  /** The recovery function's request id for this sweep; the function's log lines of that invocation carry it. */
  requestId: string | null;
  /** The recovery function's log group: each transaction it recovers, and the counts ("recovery sweep done"). */
  logGroup: string | null;
  /** In words, for people. */
  follow: string;
}

/** A sweep that ran to its end (its counts), or one started in the background. */
export type SweepRun = { kind: 'finished'; summary: SweepSummary } | { kind: 'started'; started: SweepStarted };

export interface RecoveryService {
  sweep(): Promise<SweepRun>;
  resolve(txnId: string, body: unknown): Promise<ResolveResult>;
}

export interface InvokedRecoveryOptions {
  /** Shown to the caller of a background sweep, so it knows where the sweep logs. */
  logGroupName?: string;
}

/**
 * The API's RecoveryService on AWS. A sweep may take the recovery function's whole timeout (55 s),
 * longer than API Gateway lets a request run (29 s), so it is an asynchronous invocation: Lambda
 * queues it and answers at once, and the caller follows the sweep in its log. A resolve concerns one
 * transaction and answers with its outcome, so it stays synchronous.
 */
const payload = (request: unknown) => new TextEncoder().encode(JSON.stringify(request));

/** A synchronous invocation of the recovery function; its answer is parsed by the caller's own schema where it matters. */
async function invokeRecovery(lambda: LambdaClient, functionName: string, request: unknown): Promise<unknown> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: payload(request) }));
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) throw new Error(`the recovery function failed (${out.FunctionError}): ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

export function invokedRecovery(lambda: LambdaClient, functionName: string, options: InvokedRecoveryOptions = {}): RecoveryService {
  const invoke = async <T>(request: unknown): Promise<T> => (await invokeRecovery(lambda, functionName, request)) as T;
  return {
    sweep: async () => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: payload({ action: 'sweep' }) }));
      if (out.StatusCode !== 202) throw new Error(`the recovery function did not accept the sweep (status ${String(out.StatusCode)})`);
      const logGroup = options.logGroupName ?? null;
      return {
        kind: 'started',
        started: {
          status: 'STARTED',
          requestId: out.$metadata.requestId ?? null,
          logGroup,
          follow:
            `the sweep runs in the recovery function for up to its timeout; its counts are logged as "recovery sweep done"${logGroup ? ` in ${logGroup}` : ''}. ` +
            'GET /transactions?status=PREPARING (and COMMITTING, ABORTING) shows what is still open.',
        },
      };
    },
    resolve: (txnId, body) => invoke<ResolveResult>({ action: 'resolve', txnId, body }),
  };
}

/**
 * The API's questions to a participant that keeps its prepared state in its own store, on AWS: relayed
 * by the recovery function (`{action: 'ask'}`), which alone may invoke participants; it passes on only
 * `status` and `inDoubt`, to the participants the directory marks `asksForInDoubt`.
 */
export function questionsThroughRecovery(lambda: LambdaClient, functionName: string): ParticipantQuestions {
  const ask = (participant: string, message: unknown) => invokeRecovery(lambda, functionName, { action: 'ask', participant, message });
  return {
    status: async (participant, txnId) => statusAnswer.parse(await ask(participant, { action: 'status', txnId })),
    inDoubt: (participant, request) => ask(participant, request),
  };
}
