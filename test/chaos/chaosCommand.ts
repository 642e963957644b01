/**
 * What the long chaos commands (`npm run chaos`, `npm run chaos:kill`) share: quiet SDK and logger output,
 * integer settings from the environment, and a DynamoDB Local of their own that Ctrl-C does not leave behind.
 */
import { type DynamoLocal, startDynamoLocal } from '../../local/dynamoLocal.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

/** The integer in environment variable `name`, at least `min`, or `fallback` when it is unset or empty. */
export function intFromEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, not '${raw}'`);
  return value;
}

/** Starts DynamoDB Local, killed by its PID if the command is interrupted. */
export async function ownDynamoLocal(): Promise<DynamoLocal> {
  const dynamo = await startDynamoLocal();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.kill(dynamo.pid, 'SIGKILL');
      process.exit(130);
    });
  }
  return dynamo;
}
