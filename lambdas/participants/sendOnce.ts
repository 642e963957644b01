/**
 * A write sent once: the item write of a claimed one-phase commit (docs/design.md, "Claim first"). Its fence can
 * keep out a late landing only if nothing of the write is still travelling, so a send whose outcome is unknown is
 * never sent again, by the SDK's retry strategy or by Pakka: the caller resolves the claim instead.
 *
 * The SDK retries a 5xx and a request with no answer (a timeout, a reset socket) like a throttle, and either may
 * have been applied ("Error retries and exponential backoff in AWS", and DynamoDB's API reference: an
 * InternalServerError "may or may not have succeeded"). There is no per-request `maxAttempts`, so a middleware
 * inside the retry step turns such an error into one the strategy does not retry (UnknownWriteOutcome, ./errors.ts). An answer DynamoDB gave with a 4xx (a throttle, a transaction
 * conflict, a failed condition) was not applied, and stays retried as before.
 */
import type { UpdateItemCommandInput, UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { UpdateCommand, UpdateCommandInput, UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { DeserializeMiddleware, MetadataBearer } from '@smithy/types';
import { UnknownWriteOutcome } from './errors.js';

/** Whether an error leaves open that the request was applied: DynamoDB answered 5xx, or did not answer. */
export function outcomeUnknown(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const status = (error as Partial<MetadataBearer>).$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

/** Inside the retry step, outside the deserializer (so it sees DynamoDB's status). */
function sendOnceMiddleware<Input extends object, Output extends MetadataBearer>(): DeserializeMiddleware<Input, Output> {
  return (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!outcomeUnknown(error)) throw error;
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new UnknownWriteOutcome(`the write's outcome is unknown (${what}); it is not sent again`, error);
    }
  };
}

/** The update, sent at most once whenever its outcome could be unknown. */
export function sentOnce(command: UpdateCommand): UpdateCommand {
  command.middlewareStack.add(sendOnceMiddleware<UpdateItemCommandInput | UpdateCommandInput, UpdateItemCommandOutput | UpdateCommandOutput>(), {
    step: 'deserialize',
    priority: 'high',
    name: 'pakkaSendOnce',
    override: true,
  });
  return command;
}
