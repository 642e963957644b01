/** Consistent reads of several items of one table, including the keys DynamoDB left unprocessed. */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const BATCH_GET = 100;
/** DynamoDB hands back unprocessed keys under load; a few more rounds fetch them. */
const ROUNDS = 5;

/**
 * AWS asks for exponential backoff before re-sending unprocessed keys ("Batch operations and error
 * handling", DynamoDB developer guide: "we strongly recommend that you use an exponential backoff
 * algorithm"): a re-sent batch at once meets the same throttled partition. Full jitter keeps readers
 * that were throttled together from coming back together.
 */
export const UNPROCESSED_BACKOFF = { baseMs: 50, capMs: 1_000 };

/** The pause before re-sending round `round` (1, 2, ...): uniform in [0, min(cap, base x 2^round)). */
export const unprocessedKeysPause = (round: number, random: () => number = Math.random): number =>
  random() * Math.min(UNPROCESSED_BACKOFF.capMs, UNPROCESSED_BACKOFF.baseMs * 2 ** round);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function batchReadConsistent(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<Record<string, string>>,
  pause: (round: number) => Promise<void> = (round) => sleep(unprocessedKeysPause(round)),
): Promise<Array<Record<string, unknown>>> {
  const found: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += BATCH_GET) {
    let pending: Array<Record<string, unknown>> = keys.slice(i, i + BATCH_GET);
    for (let round = 0; pending.length > 0; round++) {
      if (round === ROUNDS)
        throw Object.assign(new Error(`${pending.length} items of ${tableName} stayed unprocessed`), { name: 'ProvisionedThroughputExceededException' });
      if (round > 0) await pause(round);
      const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}
