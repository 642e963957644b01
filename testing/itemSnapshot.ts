/** The business state of the items some operations touch, in a form that does not depend on the txnId. */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, itemKeyOf } from '../lambdas/participants/table.js';

/** Attributes that name a transaction: the snapshot keeps only whether they are there. */
const TXN_VALUED = new Set(['lockedBy', 'createdBy']);

/**
 * The `heldItems` index's keys: an item that holds nothing keeps or drops them by how recently it was used (a cold
 * item's last release removes them, a busy one's keeps them for recovery's tidy), so they are not business state;
 * `intents` below says whether the item holds.
 */
const INDEX_KEYS = new Set(['heldShard', 'heldSince']);

/**
 * When a commit or abort last finished a hold in the item (`lastFinishedAt`): the protocol's own clock for telling a
 * busy item from a cold one, as the index keys are, not business state. `intents` and the sums say what the finish did.
 */
const PROTOCOL_TIMES = new Set(['lastFinishedAt']);

/**
 * The entries of holds that live in the item, keyed by txnId: the snapshot keeps how many still hold (`P`).
 * A finished entry is the protocol's memory of a transaction (a no, a tombstone), not business state.
 */
const heldCount = (intents: unknown): number => Object.values((intents ?? {}) as Record<string, { s?: unknown }>).filter((entry) => entry?.s === 'P').length;

export async function itemSnapshot(client: DynamoDBDocumentClient, tableName: string, operations: ReadonlyArray<Record<string, unknown>>): Promise<unknown[]> {
  return Promise.all(
    operations.map(async (op) => {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: itemKeyOf(String(op.key)), ConsistentRead: true }));
      if (!out.Item) return null;
      return Object.fromEntries(
        Object.entries(out.Item)
          .filter(([name]) => name !== PARTITION_KEY && !INDEX_KEYS.has(name) && !PROTOCOL_TIMES.has(name))
          .map(([name, value]) => (TXN_VALUED.has(name) ? [name, true] : name === 'intents' ? [name, heldCount(value)] : [name, value]))
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
    }),
  );
}
