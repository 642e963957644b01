/**
 * A Lambda client that runs local participant handlers and answers as Lambda's Invoke does: the
 * handler's answer as the payload; a thrown error as `FunctionError` with `{errorType, errorMessage}`;
 * a function it does not know as Lambda's ResourceNotFoundException. Recovery's AWS adapters are tested
 * through it, without AWS.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export type InvokedHandler = (payload: unknown) => Promise<unknown>;

/** `handlerOf` finds the handler behind a FunctionName; each call is recorded in `invoked` as "<action> <FunctionName>". */
export function lambdaStandIn(handlerOf: (functionName: string) => InvokedHandler | undefined, invoked: string[] = []): LambdaClient {
  const failed = (StatusCode: number, errorType: string, errorMessage: string) => ({
    StatusCode,
    FunctionError: 'Unhandled',
    Payload: new TextEncoder().encode(JSON.stringify({ errorType, errorMessage })),
  });
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand)) throw new Error('only Invoke is expected');
    const name = String(command.input.FunctionName);
    const payload = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)) as unknown;
    invoked.push(`${(payload as { action?: string }).action} ${name}`);
    const handler = handlerOf(name);
    if (!handler) return failed(404, 'ResourceNotFoundException', name);
    try {
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(await handler(payload))) };
    } catch (error) {
      const e = error as Error;
      return failed(200, e.name, e.message);
    }
  };
  return { send } as unknown as LambdaClient;
}
