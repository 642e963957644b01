/**
 * Many random transfers in flight at once over a handful of accounts, then the invariants:
 * I1 atomicity, I3 validity, I4 conservation with no negative balance, and nothing left reserved or locked.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { TransactionView } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { seededRandom } from '../../bench/drive.js';
import { readRecord } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { testSeed } from '../support/seed.js';

/**
 * Four rounds of IN_FLIGHT: the contention (24 transfers at once over 6 accounts, holds that exceed a balance,
 * write conflicts) is there from the first round; more rounds only repeat it, each one a CPU-bound run of the
 * state machine that a loaded CI machine stretches.
 */
const TRANSFERS = 96;
const IN_FLIGHT = 24;
const BANKS = ['payer-bank', 'payee-bank', 'upi-switch'] as const;
const ACCOUNTS_PER_BANK = 2;
const OPENING_BALANCE = 1_000;

describe('concurrent transfers', () => {
  it(`keeps I1, I3 and I4 over ${TRANSFERS} random transfers, ${IN_FLIGHT} in flight`, async () => {
    const seed = testSeed('concurrent transfers');
    const next = seededRandom(seed);
    const pakka = await testPakka();
    const prefix = uniqueId('c');
    const accounts = BANKS.flatMap((bank) => Array.from({ length: ACCOUNTS_PER_BANK }, (_, i) => ({ bank, key: `${prefix}-${i}` })));
    for (const { bank, key } of accounts) {
      const opened = await pakka.runTransaction({ participants: [{ name: bank, operations: [{ op: 'credit', key, amount: OPENING_BALANCE }] }] });
      expect(opened.ok && opened.value.status).toBe('COMMITTED');
    }

    const pick = () => accounts[Math.floor(next() * accounts.length)] ?? accounts[0]!;
    const requests = Array.from({ length: TRANSFERS }, () => {
      const from = pick();
      let to = pick();
      while (to === from) to = pick();
      const amount = 1 + Math.floor(next() * 400);
      const participants =
        from.bank === to.bank
          ? [
              {
                name: from.bank,
                operations: [
                  { op: 'debit', key: from.key, amount },
                  { op: 'credit', key: to.key, amount },
                ],
              },
            ]
          : [
              { name: from.bank, operations: [{ op: 'debit', key: from.key, amount }] },
              { name: to.bank, operations: [{ op: 'credit', key: to.key, amount }] },
            ];
      return { participants };
    });

    const results: TransactionView[] = [];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < requests.length) {
          const request = requests[cursor++];
          const result = await pakka.runTransaction(request);
          if (!result.ok) throw new Error(result.error.message);
          results.push(result.value);
        }
      }),
    );

    const context = `seed ${seed} (replay with PAKKA_TEST_SEED=${seed})`;
    expect(results, context).toHaveLength(TRANSFERS);
    const committed = results.filter((t) => t.status === 'COMMITTED');
    expect(committed.length, context).toBeGreaterThan(0);
    for (const txn of results) {
      expect(['COMMITTED', 'ABORTED'], context).toContain(txn.status); // every transaction final
      if (txn.decision === 'COMMIT')
        expect(
          txn.participants.every((p) => p.vote === 'VOTE_COMMIT'),
          context,
        ).toBe(true); // I3
      const states = await Promise.all(txn.participants.map(async (p) => (await readRecord(pakka, p.name, txn.txnId))?.state));
      if (txn.status === 'COMMITTED')
        expect(
          states.every((s) => s === 'COMMITTED'),
          `${context} ${txn.txnId}`,
        ).toBe(true); // I1
      else expect(states.includes('COMMITTED'), `${context} ${txn.txnId}`).toBe(false); // I1
    }

    const client = documentClient(localDynamoClient(inject('dynamoEndpoint')));
    let total = 0;
    for (const bank of BANKS) {
      const table = pakka.tables.participants.get(bank);
      const items = (await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
      for (const item of items) {
        expect(item.lockedBy, `${context} lock left on ${String(item.pk)}`).toBeUndefined();
        expect(item.state, `${context} ${String(item.pk)}`).not.toBe('PREPARED');
        // A hold that lived in its item: no entry still prepared.
        const prepared = Object.entries((item.intents ?? {}) as Record<string, { s?: unknown }>).filter(([, entry]) => entry.s === 'P');
        expect(
          prepared.map(([txnId]) => txnId),
          `${context} ${String(item.pk)}`,
        ).toEqual([]);
        if (typeof item.balance === 'number') {
          expect(item.balance, context).toBeGreaterThanOrEqual(0); // I4: none negative
          // Quiet: nothing reserved or promised, and the escrow sums agree with the balance again.
          expect({ available: item.available, reserved: item.reserved, incoming: item.incoming }, `${context} ${String(item.pk)}`).toEqual({
            available: item.balance,
            reserved: 0,
            incoming: 0,
          });
          total += item.balance;
        }
      }
    }
    expect(total, context).toBe(accounts.length * OPENING_BALANCE); // I4: money is conserved
  });
});
