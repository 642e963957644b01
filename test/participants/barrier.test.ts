/** Races and failures of the barrier participant that the conformance kit cannot stage: deliveries that overlap. */
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import { barrierParticipant, defineBarrierParticipant, lambdaBarrierParticipant } from '../../lambdas/participants/barrier/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamoLocal.js';
import { barrierClient, barrierTable } from '../support/barrierTable.js';
import { uniqueId } from '../support/pakka.js';

const client = barrierClient();
let tableName: string;
beforeAll(async () => {
  tableName = await barrierTable('reservations');
});

const reserve = z.strictObject({ op: z.literal('reserve'), key: z.string(), seats: z.number().int().positive() });

/**
 * A REST-like service with reserve / confirm / cancel, idempotent per key, that (unlike the card gateway)
 * does not remember a cancel it got before the reserve: the hanging case the barrier itself must undo.
 */
function reservationService() {
  const held = new Map<string, number>();
  const confirmed = new Map<string, number>();
  const calls = { prepare: 0, commit: 0, abort: 0 };
  let gate: Promise<void> = Promise.resolve();
  let started: () => void = () => {};
  let failNextPrepare = false;
  const definition = defineBarrierParticipant({
    operation: reserve,
    async prepare({ txnId, operations }) {
      calls.prepare++;
      started();
      await gate;
      for (const op of operations) held.set(`${txnId}:${op.key}`, op.seats);
      if (failNextPrepare) {
        failNextPrepare = false;
        throw new Error('service timed out after taking the reservation');
      }
      return { vote: 'VOTE_COMMIT', hold: { reservation: `r-${txnId}` } };
    },
    async commit({ txnId, operations }) {
      calls.commit++;
      for (const op of operations) {
        const id = `${txnId}:${op.key}`;
        const seats = held.get(id);
        if (seats !== undefined) confirmed.set(id, seats);
        held.delete(id);
      }
    },
    async abort({ txnId, operations }) {
      calls.abort++;
      for (const op of operations) held.delete(`${txnId}:${op.key}`);
    },
  });
  return {
    definition,
    held,
    confirmed,
    calls,
    /** The next prepare signals `started` and then waits until `release` is called. */
    pausePrepare(): { started: Promise<void>; release: () => void } {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      const begun = new Promise<void>((r) => (started = r));
      return { started: begun, release };
    },
    failPrepareAfterHolding() {
      failNextPrepare = true;
    },
  };
}

describe('barrier participant races', () => {
  it('an abort that overtakes a running prepare cancels, and the hold that prepare makes afterwards is undone too', async () => {
    const service = reservationService();
    const handler = barrierParticipant({ name: 'reservations', definition: service.definition, tableName, client });
    const txnId = uniqueId('t');
    const operations = [{ op: 'reserve', key: 'show-1', seats: 2 }];
    const { started, release } = service.pausePrepare();
    const preparing = handler({ action: 'prepare', txnId, operations });
    await started;
    expect(await handler({ action: 'status', txnId })).toMatchObject({ state: 'PREPARING' });
    expect(await handler({ action: 'abort', txnId, operations })).toMatchObject({ outcome: 'ABORTED', repeated: false });
    expect(service.calls.abort).toBe(1);
    release();
    expect(await preparing).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
    expect(service.calls.abort).toBe(2);
    expect(service.held.size).toBe(0);
    expect(await handler({ action: 'status', txnId })).toMatchObject({ state: 'ABORTED' });
  });

  it('a prepare that fails after the service took the hold leaves the intent, and the abort cancels the hold', async () => {
    const service = reservationService();
    const handler = barrierParticipant({ name: 'reservations', definition: service.definition, tableName, client });
    const txnId = uniqueId('t');
    const operations = [{ op: 'reserve', key: 'show-2', seats: 1 }];
    service.failPrepareAfterHolding();
    await expect(handler({ action: 'prepare', txnId, operations })).rejects.toThrow('service timed out');
    expect(await handler({ action: 'status', txnId })).toMatchObject({ state: 'PREPARING', lockedKeys: ['show-2'] });
    await expect(handler({ action: 'commit', txnId, operations })).rejects.toMatchObject({ name: 'Pakka.ProtocolViolation', code: 'COMMIT_WITHOUT_PREPARE' });
    expect(await handler({ action: 'abort', txnId })).toMatchObject({ outcome: 'ABORTED' });
    expect(service.held.size).toBe(0);
  });

  it("once the record says done, no repeat reaches the team's code; commit gets what prepare held", async () => {
    const service = reservationService();
    let holdSeen: unknown;
    const definition = {
      ...service.definition,
      commit: async (c: Parameters<typeof service.definition.commit>[0]) => {
        holdSeen = c.hold;
        return service.definition.commit(c);
      },
    };
    const handler = barrierParticipant({ name: 'reservations', definition, tableName, client });
    const txnId = uniqueId('t');
    const operations = [{ op: 'reserve', key: 'show-3', seats: 4 }];
    await handler({ action: 'prepare', txnId, operations });
    await handler({ action: 'commit', txnId, operations });
    const calls = { ...service.calls };
    await handler({ action: 'prepare', txnId, operations });
    await handler({ action: 'commit', txnId, operations });
    await handler({ action: 'commit', txnId });
    await expect(handler({ action: 'abort', txnId, operations })).rejects.toMatchObject({ code: 'ABORT_AFTER_COMMIT' });
    expect(service.calls).toEqual(calls);
    expect(holdSeen).toEqual({ reservation: `r-${txnId}` });
    expect(service.confirmed.get(`${txnId}:show-3`)).toBe(4);
  });

  it('concurrent duplicate prepares and aborts end in one state with nothing held', async () => {
    const service = reservationService();
    const handler = barrierParticipant({ name: 'reservations', definition: service.definition, tableName, client });
    for (let i = 0; i < 5; i++) {
      const txnId = uniqueId('t');
      const operations = [{ op: 'reserve', key: `show-c${i}`, seats: 1 }];
      const answers = await Promise.allSettled([
        handler({ action: 'prepare', txnId, operations }),
        handler({ action: 'abort', txnId, operations }),
        handler({ action: 'prepare', txnId, operations }),
        handler({ action: 'abort', txnId }),
      ]);
      for (const a of answers) if (a.status === 'rejected') expect((a.reason as Error).name).toBe('Pakka.Transient');
      // Whatever interleaving happened, one more abort settles it and nothing stays held.
      expect(await handler({ action: 'abort', txnId, operations })).toMatchObject({ outcome: 'ABORTED' });
      expect(service.held.size).toBe(0);
      expect(await handler({ action: 'prepare', txnId, operations })).toMatchObject({ vote: 'VOTE_ABORT' });
    }
  });
});

describe('barrier participant as a Lambda', () => {
  it('reads its name and table from the environment and answers like the in-process handler', async () => {
    vi.stubEnv('PARTICIPANT_NAME', 'reservations');
    vi.stubEnv('TABLE_NAME', tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
    vi.stubEnv('AWS_REGION', LOCAL_REGION);
    vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_CREDENTIALS.secretAccessKey);
    try {
      const service = reservationService();
      const handler = lambdaBarrierParticipant(service.definition);
      const txnId = uniqueId('t');
      const operations = [{ op: 'reserve', key: 'show-l', seats: 1 }];
      expect(await handler({ action: 'prepare', txnId, operations })).toEqual({ participant: 'reservations', txnId, vote: 'VOTE_COMMIT', reason: null });
      expect(await handler({ action: 'commit', txnId, operations })).toEqual({ participant: 'reservations', txnId, outcome: 'COMMITTED', repeated: false });
      expect(service.confirmed.size).toBe(1);
      // A no leaves the function raised, as Pakka.VoteAbort.<REASON> with the answer: here a prepare behind a null abort.
      const late = uniqueId('t');
      expect(await handler({ action: 'abort', txnId: late, operations })).toMatchObject({ outcome: 'ABORTED' });
      await expect(handler({ action: 'prepare', txnId: late, operations })).rejects.toMatchObject({
        name: 'Pakka.VoteAbort.ABORTED_BEFORE_PREPARE',
        answer: { participant: 'reservations', txnId: late, vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' },
      });
      expect(service.held.size).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
