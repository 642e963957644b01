/**
 * The one reader of a sharded sparse index (participants/shardedIndexPages.ts), against a fake `send` that pages
 * as DynamoDB does: at most Limit items a page, a LastEvaluatedKey while the shard holds more (also when the page
 * ended exactly at the shard's last item), the next page from the ExclusiveStartKey sent back.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { type IndexPage, type ShardedIndex, firstPage, indexPages, shardPages, shardsToRead } from '../../lambdas/participants/shardedIndexPages.js';

/** A fake index: each shard's items in index order; every Query it is sent, as sent. */
function fakeIndex(shards: Record<string, string[]>, extra: Partial<ShardedIndex> = {}) {
  const sent: QueryCommandInput[] = [];
  const index: ShardedIndex = {
    TableName: 'orders',
    IndexName: 'inDoubt',
    shardKey: 'inDoubtPartition',
    shards: Object.keys(shards),
    async send(input) {
      sent.push(input);
      // As DynamoDB: a Limit below 1 is refused; and no reading here needs a hundred Queries.
      if ((input.Limit ?? 1) < 1) throw Object.assign(new Error('Limit must be at least 1'), { name: 'ValidationException' });
      if (sent.length > 100) throw new Error('runaway reading');
      const shard = input.ExpressionAttributeValues?.[':shard'] as string;
      const from = (input.ExclusiveStartKey?.at as number | undefined) ?? 0;
      const limit = input.Limit ?? Number.POSITIVE_INFINITY;
      const ids = (shards[shard] ?? []).slice(from, from + limit);
      const end = from + ids.length;
      // DynamoDB answers a page cut by its Limit with a LastEvaluatedKey, even when nothing follows.
      return { Items: ids.map((txnId) => ({ txnId })), ...(ids.length === limit ? { LastEvaluatedKey: { at: end } } : {}) };
    },
    ...extra,
  };
  return { index, sent };
}

const ids = (pages: IndexPage[]) => pages.map((p) => `${p.shard}:${p.items.map((i) => i.txnId).join(',')}${p.more ? '+' : ''}`);

async function all(pages: AsyncIterable<IndexPage>): Promise<IndexPage[]> {
  const out: IndexPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const SHARDS = { 'P#0': ['a', 'b', 'c', 'd', 'e'], 'P#1': [], 'P#2': ['f', 'g'] };

describe('every page of every shard', () => {
  it('reads the shards in their order, each page after page, an empty shard with one Query', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const pages = await all(indexPages(index, { limit: () => 2 }));
    expect(ids(pages)).toEqual(['P#0:a,b+', 'P#0:c,d+', 'P#0:e', 'P#1:', 'P#2:f,g+', 'P#2:']);
    expect(sent.map((q) => [q.ExpressionAttributeValues?.[':shard'], q.ExclusiveStartKey?.at ?? null])).toEqual([
      ['P#0', null],
      ['P#0', 2],
      ['P#0', 4],
      ['P#1', null],
      ['P#2', null],
      ['P#2', 2],
    ]);
  });

  it('sends the Query the index describes: its shard, the sort key condition, the projection and the names', async () => {
    const { index, sent } = fakeIndex(
      { 'P#0': ['a'] },
      {
        ProjectionExpression: 'txnId, #since',
        ExpressionAttributeNames: { '#since': 'inDoubtSince' },
        sortKey: { condition: '#since >= :from', values: { ':from': '2026-01-01' } },
      },
    );
    await all(indexPages(index, { limit: () => 10 }));
    expect(sent).toEqual([
      {
        TableName: 'orders',
        IndexName: 'inDoubt',
        KeyConditionExpression: '#shard = :shard AND #since >= :from',
        ExpressionAttributeNames: { '#shard': 'inDoubtPartition', '#since': 'inDoubtSince' },
        ExpressionAttributeValues: { ':shard': 'P#0', ':from': '2026-01-01' },
        ProjectionExpression: 'txnId, #since',
        Limit: 10,
      },
    ]);
    const plain = fakeIndex({ 'P#0': [] });
    await all(indexPages(plain.index, { limit: () => 1 }));
    expect(plain.sent[0]).toEqual({
      TableName: 'orders',
      IndexName: 'inDoubt',
      KeyConditionExpression: '#shard = :shard',
      ExpressionAttributeNames: { '#shard': 'inDoubtPartition' },
      ExpressionAttributeValues: { ':shard': 'P#0' },
      Limit: 1,
    });
  });

  it('asks for the Limit right before each Query, once the caller has taken the page before', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const taken: string[] = [];
    for await (const page of indexPages(index, { limit: () => 6 - taken.length })) {
      taken.push(...page.items.map((i) => String(i.txnId)));
      if (taken.length >= 6) break;
    }
    expect(sent.map((q) => q.Limit)).toEqual([6, 1, 1]);
    expect(taken).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('where a reading stops', () => {
  it('at the first page of each shard, saying which shard held more', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const pages = await all(indexPages(index, { limit: () => 2, firstPageOnly: true }));
    expect(ids(pages)).toEqual(['P#0:a,b+', 'P#1:', 'P#2:f,g+']);
    expect(sent).toHaveLength(3);
  });

  it('where the caller stops: nothing more is sent', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const seen: IndexPage[] = [];
    for await (const page of indexPages(index, { limit: () => 2 })) {
      seen.push(page);
      if (page.items.some((i) => i.txnId === 'c')) break;
    }
    expect(ids(seen)).toEqual(['P#0:a,b+', 'P#0:c,d+']);
    expect(sent).toHaveLength(2);
  });

  it('at a shard the caller is done with, its next shard read from its start', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const perShard: string[][] = [];
    for (const shard of index.shards) {
      const found: string[] = [];
      for await (const page of shardPages(index, shard, { limit: () => 2 })) {
        found.push(...page.items.map((i) => String(i.txnId)));
        if (found.length >= 3) break;
      }
      perShard.push(found);
    }
    expect(perShard).toEqual([['a', 'b', 'c', 'd'], [], ['f', 'g']]);
    expect(sent.map((q) => q.ExpressionAttributeValues?.[':shard'])).toEqual(['P#0', 'P#0', 'P#1', 'P#2', 'P#2']);
  });

  it('before any Query when the probe finds the index empty; the probe is asked once', async () => {
    let probes = 0;
    const empty = fakeIndex(SHARDS, {
      holdsAny: async () => {
        probes++;
        return false;
      },
    });
    expect(await all(indexPages(empty.index, { limit: () => 2 }))).toEqual([]);
    expect(await shardsToRead(empty.index)).toEqual([]);
    expect(empty.sent).toHaveLength(0);
    expect(probes).toBe(2);

    const holding = fakeIndex(SHARDS, {
      holdsAny: async () => {
        probes++;
        return true;
      },
    });
    expect(ids(await all(indexPages(holding.index, { limit: () => 5 })))).toEqual(['P#0:a,b,c,d,e+', 'P#0:', 'P#1:', 'P#2:f,g']);
    expect(probes).toBe(3);
  });

  it("at one Query for a shard's first page", async () => {
    const { index, sent } = fakeIndex(SHARDS);
    expect(ids([await firstPage(index, 'P#0', 3)])).toEqual(['P#0:a,b,c+']);
    expect(ids([await firstPage(index, 'P#2', 3)])).toEqual(['P#2:f,g']);
    expect(sent).toHaveLength(2);
  });

  it('where a Query fails: the error reaches the caller and nothing more is sent', async () => {
    const { index, sent } = fakeIndex(SHARDS);
    const send = index.send;
    const failing: ShardedIndex = {
      ...index,
      send: async (input) => {
        if (input.ExpressionAttributeValues?.[':shard'] === 'P#1')
          throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
        return send(input);
      },
    };
    await expect(all(indexPages(failing, { limit: () => 5 }))).rejects.toThrow('throttled');
    expect(sent.map((q) => q.ExpressionAttributeValues?.[':shard'])).toEqual(['P#0', 'P#0']);
  });
});
