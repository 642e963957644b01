/**
 * BatchGetItem's UnprocessedKeys are re-sent after an exponential backoff with jitter, as AWS asks
 * ("Batch operations and error handling", DynamoDB developer guide), not at once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { UNPROCESSED_BACKOFF, batchReadConsistent, unprocessedKeysPause } from '../../lambdas/participants/batchRead.js';

/** A client whose BatchGetItem leaves every key unprocessed for the first `throttled` calls. */
function throttledClient(throttled: number): { client: DynamoDBDocumentClient; calls: () => number } {
  let calls = 0;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  client.middlewareStack.add(
    () => async (args) => {
      calls++;
      const input = args.input as { RequestItems: Record<string, { Keys: Array<Record<string, unknown>> }> };
      const [[table, request]] = Object.entries(input.RequestItems) as [[string, { Keys: Array<Record<string, unknown>> }]];
      const output =
        calls <= throttled
          ? { Responses: { [table]: [] }, UnprocessedKeys: { [table]: { Keys: request.Keys } } }
          : { Responses: { [table]: request.Keys.map((key) => ({ ...key, found: true })) }, UnprocessedKeys: {} };
      return { output: { ...output, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'throttledBatchGet' },
  );
  return { client, calls: () => calls };
}

describe('unprocessed keys', () => {
  it('are re-sent after a pause that grows with each round, and all found in the end', async () => {
    const { client, calls } = throttledClient(3);
    const pauses: number[] = [];
    const found = await batchReadConsistent(client, 'records', [{ pk: 'a' }, { pk: 'b' }], async (round) => {
      pauses.push(round);
    });
    expect(found).toHaveLength(2);
    expect(calls()).toBe(4);
    // A pause before each re-send, none before the first call.
    expect(pauses).toEqual([1, 2, 3]);
  });

  it('wait an exponential, capped, fully jittered time', () => {
    expect(unprocessedKeysPause(1, () => 0.999)).toBeCloseTo(UNPROCESSED_BACKOFF.baseMs * 2 * 0.999);
    expect(unprocessedKeysPause(3, () => 0.999)).toBeCloseTo(UNPROCESSED_BACKOFF.baseMs * 8 * 0.999);
    expect(unprocessedKeysPause(20, () => 0.999)).toBeCloseTo(UNPROCESSED_BACKOFF.capMs * 0.999);
    expect(unprocessedKeysPause(3, () => 0)).toBe(0);
  });

  it('that stay unprocessed after the rounds fail the read as throttled', async () => {
    const { client } = throttledClient(100);
    await expect(batchReadConsistent(client, 'records', [{ pk: 'a' }], async () => {})).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
  });
});
