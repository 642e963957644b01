/**
 * A team's own abort reasons through the real state machine (contract 1.3), on both workflows: a kind's
 * declared reason and a team function's own reason are raised as Pakka.VoteAbort.TEAM, logged, shown by
 * the API and counted by the metrics under their names; a reason reserved for the coordinator or the
 * operator is recorded as INVALID_ANSWER, however it comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionText } from '../../cli/format.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { METRICS } from '../../lambdas/observability/metricNames.js';
import { prometheusName } from '../../lambdas/observability/prometheusNames.js';
import { barrierParticipant } from '../../lambdas/participants/barrier/runtime.js';
import { defineBarrierParticipant } from '../../lambdas/participants/barrier/definition.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import type { OwnParticipantFactory } from '../../local/pakka.js';
import type { LocalService } from '../../local/server.js';
import { cardKind } from '../support/ownFunctionKinds.js';
import { uniqueId } from '../support/pakka.js';
import { call, startTestService } from '../support/service.js';
import { TEST_VARIANT } from '../support/variant.js';
import { voucherKinds } from '../support/voucherKind.js';

interface TransactionView {
  txnId: string;
  status: string;
  reason: string | null;
  participants: Array<{ name: string; vote: string | null; reason: string | null; rule?: string }>;
}

/** A card gateway that declines any charge above 1000 with the team's own reason. */
const cards = defineBarrierParticipant({
  operation: cardKind.operation,
  async prepare({ operations }) {
    return operations.some((op) => op.amount > 1000) ? { vote: 'VOTE_ABORT', reason: 'CARD_DECLINED' } : { vote: 'VOTE_COMMIT' };
  },
  async commit() {},
  async abort() {},
});

/** A team function whose prepare breaks the contract on purpose, as its operation's key says; the rest is the barrier's. */
const rogue: OwnParticipantFactory = (table) => {
  const barrier = barrierParticipant({ ...table, definition: cards });
  return async (event: unknown) => {
    const { action, txnId, operations } = event as { action: string; txnId: string; operations?: Array<{ key: string }> };
    if (action !== 'prepare') return barrier(event);
    const key = operations?.[0]?.key;
    // The operator's reason, raised under the team name: no participant may give it.
    if (key === 'raise-operator') throw Object.assign(new Error('OPERATOR'), { name: PAKKA_ERROR.teamVoteAbort });
    // The coordinator's own reason, answered.
    return { participant: table.name, txnId, vote: 'VOTE_ABORT' as const, reason: 'TIMEOUT' };
  };
};

const raw = {
  participants: {
    bank: { kind: 'ledger' },
    vouchers: { kind: 'voucher' },
    cards: { kind: 'card' },
    rogue: { kind: 'card' },
  },
};

let service: LocalService;
const alice = uniqueId('alice');
const gift = uniqueId('GIFT');

beforeAll(async () => {
  service = await startTestService({
    config: parseParticipantConfig(raw, voucherKinds(cardKind)),
    recovery: { timer: false },
    pakka: {
      variant: TEST_VARIANT,
      ownParticipants: {
        cards: ({ name, tableName, client }) => barrierParticipant({ name, definition: cards, tableName, client }),
        rogue,
      },
    },
  });
  const setup = await transact([
    { name: 'bank', operations: [{ op: 'credit', key: alice, amount: 10_000 }] },
    { name: 'vouchers', operations: [{ op: 'issue', key: gift, amount: 500 }] },
  ]);
  expect(setup.status).toBe('COMMITTED');
});
afterAll(async () => service?.stop());

async function transact(participants: unknown[]): Promise<TransactionView> {
  const answer = await call<TransactionView>(service.url, 'POST', '/transactions?wait=true', { participants });
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
  await service.pakka.drain();
  const view = await call<TransactionView>(service.url, 'GET', `/transactions/${answer.body.txnId}`);
  expect(view.status).toBe(200);
  return view.body;
}

async function metrics(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await (await fetch(`${service.url}/metrics`)).text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const aborted = (reason: string) => `${prometheusName(METRICS.transactionsAborted)}{reason="${reason}"}`;

describe(`a team's own abort reasons (${TEST_VARIANT})`, () => {
  it("a kind's declared reason ends the transaction, and the API and the metrics show it", async () => {
    const purchase = [
      { name: 'bank', operations: [{ op: 'debit', key: alice, amount: 2_000 }] },
      { name: 'vouchers', operations: [{ op: 'redeem', key: gift }] },
    ];
    expect((await transact(purchase)).status).toBe('COMMITTED');
    const again = await transact(purchase);
    expect(again).toMatchObject({ status: 'ABORTED', reason: 'NO_SUCH_VOUCHER' });
    expect(again.participants.find((p) => p.name === 'vouchers')).toMatchObject({ vote: 'VOTE_ABORT', reason: 'NO_SUCH_VOUCHER' });
    // The CLI's `pakka show` prints the view the API gave.
    const shown = transactionText(again as unknown as Parameters<typeof transactionText>[0]);
    expect(shown).toContain(`${again.txnId}  ABORTED (NO_SUCH_VOUCHER)`);
    expect(shown).toMatch(/vouchers\s+VOTE_ABORT\s+NO_SUCH_VOUCHER/);
    // Alice paid once.
    const balance = await call<{ balance: number }>(service.url, 'GET', `/participants/bank/items/${alice}`);
    expect(balance.body).toMatchObject({ balance: 8_000 });
    const s = await metrics();
    expect(s.get(aborted('NO_SUCH_VOUCHER'))).toBe(1);
    // Raised, so counted in the one RaisedNoes total the failure-rate alarm subtracts.
    expect(s.get(`${prometheusName(METRICS.raisedNoes)}{participant="vouchers"}`)).toBe(1);
  });

  it("a team function's own reason is taken as it comes", async () => {
    const view = await transact([
      { name: 'bank', operations: [{ op: 'debit', key: alice, amount: 100 }] },
      { name: 'cards', operations: [{ op: 'charge', key: uniqueId('card'), amount: 5_000 }] },
    ]);
    expect(view).toMatchObject({ status: 'ABORTED', reason: 'CARD_DECLINED' });
    expect((await metrics()).get(aborted('CARD_DECLINED'))).toBe(1);
  });

  it.each([
    ['raised under the team name', 'raise-operator', 'Pakka.VoteAbort.TEAM must carry the reason as its message'],
    ['answered', 'answer-timeout', 'a VOTE_ABORT reason must be a built-in reason or a team'],
  ])('a reason reserved for the coordinator or the operator, %s, is recorded as INVALID_ANSWER', async (_how, key, rule) => {
    const before = (await metrics()).get(aborted('INVALID_ANSWER')) ?? 0;
    const view = await transact([
      { name: 'bank', operations: [{ op: 'debit', key: alice, amount: 100 }] },
      { name: 'rogue', operations: [{ op: 'charge', key, amount: 1 }] },
    ]);
    expect(view).toMatchObject({ status: 'ABORTED', reason: 'INVALID_ANSWER' });
    expect(view.participants.find((p) => p.name === 'rogue')?.rule).toContain(rule);
    expect((await metrics()).get(aborted('INVALID_ANSWER'))).toBe(before + 1);
  });
});
