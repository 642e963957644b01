/**
 * A write sent once: the item write of a claimed one-phase commit (docs/design.md, "Claim first"). Its fence can
 * keep out a late landing only if nothing of the write is still travelling, so a send whose outcome is unknown is
 * never sent again, by the SDK's retry strategy or by Pakka: the caller resolves the claim instead.
 *
 * The SDK retries a 5xx and a request with no answer (a timeout, a reset socket) like a throttle, and either may
 * have been applied ("Error retries and exponential backoff in AWS", and DynamoDB's API reference: an
 * InternalServerError "may or may not have succeeded"). There is no per-request `maxAttempts`, so a middleware
 * inside the retry step turns such an error into one the strategy does not retry (UnknownWriteOutcome, ./errors.ts).
 * Only a modelled 4xx answer says the write was not applied (a throttle, a transaction conflict, a failed condition),
 * and stays retried as before.
 */
import type { UpdateItemCommandInput, UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { UpdateCommand, UpdateCommandInput, UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { DeserializeMiddleware, MetadataBearer } from '@smithy/types';
import { SendWindowPassed, UnknownWriteOutcome } from './errors.js';

/**
 * Whether DynamoDB's answer says the write was not applied: a modelled 4xx service error (`$fault: 'client'`: a
 * failed condition, a throttle, a transaction conflict, a validation error). Anything else leaves the outcome open:
 * a 5xx; no answer (a timeout, a reset socket); and an answer cut off after its status line, which the SDK stamps
 * with the 2xx status it read before the body broke (and would re-send, for an ECONNRESET), though the write was
 * applied.
 */
export function knownNotApplied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { $metadata, $fault } = error as Partial<MetadataBearer> & { $fault?: unknown };
  const status = $metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 && $fault === 'client';
}

/**
 * Inside the retry step, outside the deserializer (so it sees DynamoDB's answer as the SDK reads it), around every
 * attempt: each attempt is first checked against `mayStillSend` (the SDK's own retries of a throttle, and a
 * conflict's retries, included), and an attempt whose outcome is unknown ends the retries.
 */
function sendOnceMiddleware<Input extends object, Output extends MetadataBearer>(mayStillSend: () => boolean): DeserializeMiddleware<Input, Output> {
  return (next) => async (args) => {
    if (!mayStillSend()) throw new SendWindowPassed('the write may no longer be sent');
    try {
      return await next(args);
    } catch (error) {
      if (knownNotApplied(error)) throw error;
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new UnknownWriteOutcome(`the write's outcome is unknown (${what}); it is not sent again`, error);
    }
  };
}

/** The update, sent at most once whenever its outcome could be unknown, and never once `mayStillSend` says no. */
export function sentOnce(command: UpdateCommand, mayStillSend: () => boolean = () => true): UpdateCommand {
  command.middlewareStack.add(sendOnceMiddleware<UpdateItemCommandInput | UpdateCommandInput, UpdateItemCommandOutput | UpdateCommandOutput>(mayStillSend), {
    step: 'deserialize',
    priority: 'high',
    name: 'pakkaSendOnce',
    override: true,
  });
  return command;
}
