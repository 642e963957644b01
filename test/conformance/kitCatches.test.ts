/**
 * The conformance kit fails participants that break the protocol: each broken variant of the example card
 * participant must fail the rule it breaks (registered with `it.fails`, so this file passes only if it does).
 */
import { describe, it } from 'vitest';
import { cardParticipant } from '../../examples/card-gateway/cardParticipant.js';
import { type AnyParticipantHandler, participantConformance } from '../../testing/conformance.js';
import { cardGatewayFixture } from '../support/cardGatewayFixture.js';

const mustFail = (title: string, body: () => Promise<void>) => it.fails(title, body);
const action = (event: unknown) => (event as { action?: string }).action;

describe('a participant that answers an abort without writing its tombstone', () => {
  const forgetful =
    (h: AnyParticipantHandler): AnyParticipantHandler =>
    async (event) => {
      const { txnId } = event as { txnId: string };
      if (action(event) === 'abort' && ((await h({ action: 'status', txnId })) as { state: string }).state === 'UNKNOWN') {
        return { participant: 'card-payments', txnId, outcome: 'ABORTED', repeated: false };
      }
      return h(event);
    };
  participantConformance(cardGatewayFixture({ wrap: forgetful }), { rules: ['nullAbort'], test: mustFail });
});

describe('a participant that swallows a commit after abort', () => {
  const lenient =
    (h: AnyParticipantHandler): AnyParticipantHandler =>
    async (event) => {
      try {
        return await h(event);
      } catch (error) {
        if (action(event) !== 'commit') throw error;
        return { participant: 'card-payments', txnId: (event as { txnId: string }).txnId, outcome: 'COMMITTED', repeated: true };
      }
    };
  participantConformance(cardGatewayFixture({ wrap: lenient }), { rules: ['violations'], test: mustFail });
});

describe('a team whose authorize is not idempotent per txnId', () => {
  let attempt = 0;
  // Each prepare sends a fresh idempotency key, so a retry after a crash authorizes a second time.
  const careless = (url: string) => {
    const real = cardParticipant(url);
    return { ...real, prepare: (call: Parameters<typeof real.prepare>[0]) => real.prepare({ ...call, txnId: `${call.txnId}-${attempt++}` }) };
  };
  participantConformance(cardGatewayFixture({ definition: careless }), { rules: ['crashPrepareRetry'], test: mustFail });
});

describe('a participant that raises its no under another reason than its answer gives', () => {
  const mislabelled =
    (h: AnyParticipantHandler): AnyParticipantHandler =>
    async (event) => {
      const answer = (await h(event)) as { vote?: string };
      if (action(event) === 'prepare' && answer.vote === 'VOTE_ABORT')
        throw Object.assign(new Error(JSON.stringify(answer)), { name: 'Pakka.VoteAbort.OUT_OF_STOCK' });
      return answer;
    };
  participantConformance(cardGatewayFixture({ wrap: mislabelled }), { rules: ['no'], test: mustFail });
});
