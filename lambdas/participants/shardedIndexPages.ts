/**
 * Reading a sharded sparse index: the participants' `inDoubt` and `heldItems`, the coordinator log's `open`. Each
 * shard (`PREPARED#3`, `HELD#3`, `OPEN#3`) is one partition of the index, queried page by page: DynamoDB stops a
 * Query at its Limit (or 1 MB) and returns a LastEvaluatedKey, to be sent back as ExclusiveStartKey, while the
 * partition holds more ("Paginating table query results", DynamoDB developer guide). That loop is this module's
 * alone; a ShardedIndex says what differs between the readers.
 *
 * The caller's `send` builds the QueryCommand, in the caller's own file: the IAM check (test/support/bundleCalls.ts)
 * reads which index a Lambda bundle queries from the file that builds the command and names the IndexName, so each
 * bundle stays granted the indexes it reads and no other.
 */
import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';

/** Sends one Query: `(input) => client.send(new QueryCommand(input))`. */
export type IndexQuery = (input: QueryCommandInput) => Promise<Pick<QueryCommandOutput, 'Items' | 'LastEvaluatedKey'>>;

export interface ShardedIndex {
  send: IndexQuery;
  TableName: string;
  IndexName: string;
  /** The index's partition key attribute; `shards` its values, in the order they are read. */
  shardKey: string;
  shards: readonly string[];
  ProjectionExpression?: string;
  /** The names the projection or the sort key condition use; `#shard` is the shard key's. */
  ExpressionAttributeNames?: Record<string, string>;
  /** A condition on the index's sort key, ANDed to the shard's (`:shard` is taken), with the values it names. */
  sortKey?: { condition: string; values: Record<string, string> };
  /** Asked once before any shard is queried: false (the index holds nothing) and none is (recovery's indexProbe.ts). */
  holdsAny?: () => Promise<boolean>;
}

/** One Query's answer in one shard. */
export interface IndexPage {
  shard: string;
  items: Array<Record<string, unknown>>;
  /** The shard holds more beyond this page (the Query returned a LastEvaluatedKey). */
  more: boolean;
}

export interface PageRead {
  /** The Limit of the next Query, asked right before it is sent: it may shrink with what the caller has taken. */
  limit: () => number;
  /** Only each shard's first page; `more` then says whether the shard held more. */
  firstPageOnly?: boolean;
}

/** One page of one shard, from `start` (a LastEvaluatedKey) on. */
async function queryPage(index: ShardedIndex, shard: string, limit: number, start?: Record<string, unknown>) {
  const out = await index.send({
    TableName: index.TableName,
    IndexName: index.IndexName,
    KeyConditionExpression: index.sortKey ? `#shard = :shard AND ${index.sortKey.condition}` : '#shard = :shard',
    ExpressionAttributeNames: { '#shard': index.shardKey, ...index.ExpressionAttributeNames },
    ExpressionAttributeValues: { ':shard': shard, ...index.sortKey?.values },
    ...(index.ProjectionExpression ? { ProjectionExpression: index.ProjectionExpression } : {}),
    Limit: limit,
    ...(start ? { ExclusiveStartKey: start } : {}),
  });
  return { page: { shard, items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined }, next: out.LastEvaluatedKey };
}

/** A shard's first page: the listings read every shard from some instant on, one page each. */
export async function firstPage(index: ShardedIndex, shard: string, limit: number): Promise<IndexPage> {
  return (await queryPage(index, shard, limit)).page;
}

/** The shards a reading visits: none when the probe finds the index empty, else all of them, in order. */
export async function shardsToRead(index: ShardedIndex): Promise<readonly string[]> {
  return index.holdsAny && !(await index.holdsAny()) ? [] : index.shards;
}

/**
 * The pages of one shard, from its first: the next is queried only once the caller has taken a page and asks on, and
 * only while the shard holds more, so a caller that stops (break, return) sends nothing further.
 */
export async function* shardPages(index: ShardedIndex, shard: string, read: PageRead): AsyncGenerator<IndexPage> {
  let start: Record<string, unknown> | undefined;
  do {
    const { page, next } = await queryPage(index, shard, read.limit(), start);
    yield page;
    start = read.firstPageOnly ? undefined : next;
  } while (start);
}

/** Every page of every shard that shardsToRead gives, one shard after another. */
export async function* indexPages(index: ShardedIndex, read: PageRead): AsyncGenerator<IndexPage> {
  for (const shard of await shardsToRead(index)) yield* shardPages(index, shard, read);
}
