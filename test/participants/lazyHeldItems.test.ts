/**
 * Lazy leaving of `heldItems` (docs/design.md, "The sparse index"): commit and abort keep an item's index keys,
 * so an item's next transaction writes no index entry. Counted by AWS's index rule (bench/awsWriteUnits.ts
 * indexWriteUnits) on the item as it was before and after each write, in DynamoDB Local under AWS's conflict rules.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { indexWriteUnits } from '../../bench/awsWriteUnits.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { HELD_ITEMS_INDEX } from '../../lambdas/participants/itemIntents.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { type ParticipantHandler, participantHandler } from '../../lambdas/participants/runtime.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { credit, debit } from '../support/ledgerAccounts.js';
import { readItem } from '../support/participantTable.js';

const config = parseParticipantConfig({ participants: { bank: { kind: 'ledger', holdsInItems: true } } });
const heldItems = PARTICIPANT_TABLE_SCHEMA.indexes.find((index) => index.indexName === HELD_ITEMS_INDEX)!;

let pakka: LocalPakka;
let bank: ParticipantHandler;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  pakka = await testPakka({ config });
  doc = documentClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRulesFromEnv()));
  bank = participantHandler({ name: 'bank', kind: ledger, tableName: pakka.tables.participants.get('bank')!, client: doc, holdsInItems: true });
});

/** The heldItems index units of one participant message, by AWS's rule, from the item before and after it. */
async function indexUnitsOf(key: string, message: Parameters<ParticipantHandler>[0]): Promise<number> {
  const before = await readItem(pakka, 'bank', key);
  await bank(message);
  const after = await readItem(pakka, 'bank', key);
  return indexWriteUnits(
    {
      before: before && marshall(before, { removeUndefinedValues: true }),
      after: after && marshall(after, { removeUndefinedValues: true }),
      transactional: false,
    },
    PARTICIPANT_TABLE_SCHEMA,
    heldItems,
  );
}

describe('an item keeps its heldItems keys after its last hold is finished', () => {
  it('the first hold writes the index once; commit leaves the keys; the next transactions, committed or aborted, write no index entry', async () => {
    const key = uniqueId('acct');
    const open = uniqueId('open');
    // The counter sees an index write where there is one: the item's first hold enters the index.
    expect(await indexUnitsOf(key, { action: 'prepare', txnId: open, operations: credit(key, 100) })).toBe(1);
    // The item's only entry: cold, so its commit takes the keys out (heldItemsHybrid.test.ts).
    expect(await indexUnitsOf(key, { action: 'commit', txnId: open, operations: credit(key, 100) })).toBe(1);
    expect(await readItem(pakka, 'bank', key)).not.toHaveProperty('heldShard');

    // From the next transaction on, inside the horizon, the item is busy: in once, then no index write.
    let kept: Record<string, unknown> | undefined;
    for (const [i, action] of (['commit', 'abort', 'commit'] as const).entries()) {
      const txnId = uniqueId('t');
      expect(await indexUnitsOf(key, { action: 'prepare', txnId, operations: debit(key, 10) })).toBe(i === 0 ? 1 : 0);
      expect(await indexUnitsOf(key, { action, txnId, operations: debit(key, 10) })).toBe(0);
      kept ??= await readItem(pakka, 'bank', key);
    }
    expect(kept).toMatchObject({ prepared: 0, heldShard: expect.stringMatching(/^HELD#\d+$/), heldSince: expect.any(String) });
    const after = await readItem(pakka, 'bank', key);
    expect(after).toMatchObject({ balance: 80, available: 80, reserved: 0, prepared: 0, heldShard: kept?.heldShard, heldSince: kept?.heldSince });
  });

  it('two holds at once, finished in either order: both finish with the one write, and the keys stay', async () => {
    const key = uniqueId('acct');
    const open = uniqueId('open');
    await bank({ action: 'prepare', txnId: open, operations: credit(key, 100) });
    await bank({ action: 'commit', txnId: open, operations: credit(key, 100) });
    const [a, b] = [uniqueId('t'), uniqueId('t')];
    await bank({ action: 'prepare', txnId: a, operations: debit(key, 30) });
    await bank({ action: 'prepare', txnId: b, operations: debit(key, 20) });
    expect(await readItem(pakka, 'bank', key)).toMatchObject({ prepared: 2 });
    expect(await indexUnitsOf(key, { action: 'commit', txnId: b, operations: debit(key, 20) })).toBe(0);
    expect(await indexUnitsOf(key, { action: 'abort', txnId: a, operations: debit(key, 30) })).toBe(0);
    expect(await readItem(pakka, 'bank', key)).toMatchObject({
      balance: 80,
      available: 80,
      reserved: 0,
      prepared: 0,
      heldShard: expect.stringMatching(/^HELD#/),
    });
  });
});
