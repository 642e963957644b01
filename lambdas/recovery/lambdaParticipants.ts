/**
 * Recovery reaches participants on AWS by invoking their Lambda functions synchronously, each found in
 * the same participant -> function map the API builds execution inputs from. A function error comes back as an Error named as the participant named it
 * (`Pakka.ProtocolViolation`, `Pakka.Transient`, ...), as Step Functions names it for the coordinator.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ParticipantFunctions } from '../config/participantFunctions.js';
import type { ParticipantAnswer } from '../participants/message.js';
import { PAKKA_ERROR } from '../protocol/errorNames.js';
import type { ParticipantPort } from './ports.js';

export class ParticipantFunctionError extends Error {
  /** The protocol violation's code, when the participant refused (`COMMIT_AFTER_ABORT: ...`). */
  readonly code: string | undefined;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
    this.code = /^([A-Z][A-Z_]+):/.exec(message)?.[1];
  }
}

export function lambdaParticipants(lambda: LambdaClient, functions: ParticipantFunctions): ParticipantPort {
  return {
    async send(participant, message) {
      const functionName = functions.get(participant);
      // A log item naming a participant the deployment no longer has: recovery reports it and retries later.
      if (!functionName)
        throw new ParticipantFunctionError(PAKKA_ERROR.unknownParticipant, `participant ${participant} has no function in the participant directory`);
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(message)) }),
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError) {
        let body: { errorType?: unknown; errorMessage?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // A crashed runtime may answer with no JSON at all.
        }
        throw new ParticipantFunctionError(
          typeof body.errorType === 'string' ? body.errorType : `Lambda.${out.FunctionError}`,
          typeof body.errorMessage === 'string' ? body.errorMessage : text || out.FunctionError,
        );
      }
      return JSON.parse(text) as ParticipantAnswer;
    },
  };
}
