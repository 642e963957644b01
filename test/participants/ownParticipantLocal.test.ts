/**
 * Local mode with a participant on the team's own function: the execution input names every
 * participant's function ARN, the local engine maps each ARN back to its handler (Pakka's runtime for the
 * ledger, the team's barrier code over the fake card gateway), and a decline aborts with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardParticipant } from '../../examples/card-gateway/cardParticipant.js';
import { type CardGateway, startCardGateway } from '../../examples/team-app/cardGateway.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { localFunctionArn } from '../../lambdas/config/participantFunctions.js';
import { barrierParticipant } from '../../lambdas/participants/barrier/index.js';
import type { LocalPakka } from '../../local/pakka.js';
import { testPakka, uniqueId } from '../support/pakka.js';
import { readItem } from '../support/participantTable.js';
import { ownFunctionKinds } from '../support/ownFunctionKinds.js';

const config = parseParticipantConfig(
  { defaults: { prepareTimeoutSeconds: 5, commitTimeoutSeconds: 5 }, participants: { bank: { kind: 'ledger' }, cards: { kind: 'card' } } },
  ownFunctionKinds,
);

let gateway: CardGateway;
let pakka: LocalPakka;
beforeAll(async () => {
  gateway = await startCardGateway();
  pakka = await testPakka({
    config,
    ownParticipants: { cards: ({ name, tableName, client }) => barrierParticipant({ name, definition: cardParticipant(gateway.url), tableName, client }) },
  });
});
afterAll(() => gateway?.close());

async function card(limit: number): Promise<string> {
  const key = uniqueId('card');
  await fetch(`${gateway.url}/cards/${key}`, { method: 'PUT', body: JSON.stringify({ limit }) });
  return key;
}
const cardView = async (key: string) => (await fetch(`${gateway.url}/cards/${key}`)).json();

describe('a participant on the team’s own function, locally', () => {
  it('puts each participant’s function ARN into the execution input, from the map, not from the name', () => {
    const started = pakka.start({ participants: [{ name: 'bank', operations: [{ op: 'credit', key: uniqueId('acct'), amount: 1 }] }], timeoutSeconds: 10 });
    expect(started.input.participants.map((p) => p.functionArn)).toEqual([localFunctionArn('bank')]);
    expect(pakka.functions).toEqual(
      new Map([
        ['bank', localFunctionArn('bank')],
        ['cards', localFunctionArn('cards')],
      ]),
    );
    return started.done;
  });

  it('commits across the ledger and the card gateway, and a decline aborts both with nothing changed', async () => {
    const account = uniqueId('acct');
    const good = await card(10_000);
    const small = await card(100);
    await pakka.runTransaction({ participants: [{ name: 'bank', operations: [{ op: 'credit', key: account, amount: 5_000 }] }] });
    const paid = await pakka.runTransaction({
      participants: [
        { name: 'bank', operations: [{ op: 'debit', key: account, amount: 1_000 }] },
        { name: 'cards', operations: [{ op: 'charge', key: good, amount: 2_000 }] },
      ],
    });
    expect(paid).toMatchObject({ ok: true, value: { status: 'COMMITTED' } });
    const declined = await pakka.runTransaction({
      participants: [
        { name: 'bank', operations: [{ op: 'debit', key: account, amount: 1_000 }] },
        {
          name: 'cards',
          operations: [
            { op: 'charge', key: good, amount: 1_000 },
            { op: 'charge', key: small, amount: 500 },
          ],
        },
      ],
    });
    expect(declined).toMatchObject({ ok: true, value: { status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS' } });
    expect(await readItem(pakka, 'bank', account)).toMatchObject({ balance: 4_000, available: 4_000, reserved: 0 });
    // The good card's authorization of the declined transaction was voided: nothing held.
    expect(await cardView(good)).toMatchObject({ held: 0, captured: 2_000 });
    expect(await cardView(small)).toMatchObject({ held: 0, captured: 0 });
  });

  it('refuses a config whose own-function participant has no handler, and a handler for a participant the config lacks', async () => {
    await expect(testPakka({ config })).rejects.toThrow(
      "participant cards: kind 'card' is answered by the team's own function, so ownParticipants['cards'] must give its handler",
    );
    await expect(testPakka({ config, ownParticipants: { cards: () => async () => ({}) as never, card: () => async () => ({}) as never } })).rejects.toThrow(
      'ownParticipants names participants the config lacks: card',
    );
  });
});
