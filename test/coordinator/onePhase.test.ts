/**
 * One-phase commit on the real state machine: a transaction whose only participant has anything to
 * write is committed by that participant's own atomic write (docs/design.md, coordinator step 2), and when
 * its answer is lost the outcome is learnt from the participant, never presumed.
 */
import { describe, expect, inject, it } from 'vitest';
import { getTransaction } from '../../lambdas/api/transactionRoutes.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { localTransactionService } from '../../local/transactionService.js';
import type { LocalPakka } from '../../local/pakka.js';
import { LocalRecovery } from '../../local/recovery.js';
import { EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { interceptor } from '../support/interceptor.js';
import { fundsAndHolds, participant, readItem, readRecord, statusAt } from '../support/participantTable.js';
import { testPakka, uniqueId } from '../support/pakka.js';

async function run(pakka: LocalPakka, body: unknown) {
  const result = await pakka.runTransaction(body);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const credit = (key: string, amount: number) => ({ participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key, amount }] }] });
const debit = (key: string, amount: number) => ({ participants: [{ name: 'payer-bank', operations: [{ op: 'debit', key, amount }] }] });

/** A lost answer: the participant did the work, the coordinator hears only a failure. */
const lostAnswer = new Error('injected: the answer was lost');
lostAnswer.name = 'Lambda.Unknown';

describe('one-phase commit', () => {
  it('commits with one request to the participant: no prepare, no commit, nothing ever PREPARED', async () => {
    const calls = interceptor((_name, _payload, next) => next());
    const pakka = await testPakka({ wrapInvoker: calls.wrap });
    const payee = uniqueId('bob');
    const txn = await run(pakka, credit(payee, 70));
    expect(txn).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', participants: [{ name: 'payee-bank', vote: 'VOTE_COMMIT', phaseTwo: 'ACKED' }] });
    expect(calls.calls.map((c) => c.action)).toEqual(['commitOnePhase']);
    const record = await readRecord(pakka, 'payee-bank', txn.txnId);
    expect(record).toMatchObject({ state: 'COMMITTED', onePhase: true });
    // Never in the inDoubt index: recovery has nothing to find.
    expect(record).not.toHaveProperty('inDoubtPartition');
    expect(await readItem(pakka, 'payee-bank', payee)).toMatchObject({ balance: 70, available: 70, reserved: 0, incoming: 0 });
    // The receipt: the log item, so the API, listings and outcome events see it like any other.
    expect(await pakka.readLogItem(txn.txnId)).toMatchObject({ decision: 'COMMIT', onePhase: true, votesJson: [{ name: 'payee-bank', vote: 'VOTE_COMMIT' }] });
  });

  it('a debit that does not fit aborts in the same single request, and nothing moves', async () => {
    const calls = interceptor((_name, _payload, next) => next());
    const pakka = await testPakka({ wrapInvoker: calls.wrap });
    const payer = uniqueId('alice');
    await run(pakka, { participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: payer, amount: 50 }] }] });
    const txn = await run(pakka, debit(payer, 80));
    expect(txn).toMatchObject({ status: 'ABORTED', reason: 'INSUFFICIENT_FUNDS', participants: [{ vote: 'VOTE_ABORT' }] });
    expect(await statusAt(pakka, 'payer-bank', txn.txnId)).toMatchObject({ state: 'ABORTED', voteReason: 'INSUFFICIENT_FUNDS' });
    expect(await readItem(pakka, 'payer-bank', payer)).toMatchObject({ balance: 50, available: 50, reserved: 0 });
    // The debit that fits commits alone too, with escrow's sums where prepare and commit would leave them.
    expect(await run(pakka, debit(payer, 20))).toMatchObject({ status: 'COMMITTED' });
    expect(await readItem(pakka, 'payer-bank', payer)).toMatchObject({ balance: 30, available: 30, reserved: 0, headroom: Number.MAX_SAFE_INTEGER - 30 });
  });

  it('a seat is held in one phase, leaves no lock, and a second holder is refused', async () => {
    const pakka = await testPakka();
    const seat = uniqueId('seat');
    const hold = (holder: string) => ({ participants: [{ name: 'cinema', operations: [{ op: 'hold', key: seat, holder }] }] });
    expect(await run(pakka, hold('asha'))).toMatchObject({ status: 'COMMITTED' });
    const item = await readItem(pakka, 'cinema', seat);
    expect(item).toMatchObject({ heldBy: 'asha', version: 1 });
    expect(item).not.toHaveProperty('lockedBy');
    expect(await run(pakka, hold('ravi'))).toMatchObject({ status: 'ABORTED', reason: 'ALREADY_HELD' });
  });

  it('a seat locked by a prepared two-phase transaction is a lock conflict: retried once, then a no', async () => {
    const pakka = await testPakka();
    const seat = uniqueId('seat');
    await participant(pakka, 'cinema')({ action: 'prepare', txnId: uniqueId('other'), operations: [{ op: 'hold', key: seat, holder: 'ravi' }] });
    const txn = await run(pakka, { participants: [{ name: 'cinema', operations: [{ op: 'hold', key: seat, holder: 'asha' }] }] });
    expect(txn).toMatchObject({ status: 'ABORTED', reason: 'LOCK_CONFLICT' });
    expect(await readItem(pakka, 'cinema', seat)).not.toHaveProperty('heldBy');
  });

  it('a commit whose answer is lost is learnt from the participant (an abort that finds it committed) and logged COMMIT', async () => {
    const losing = interceptor(async (_name, payload, next) => {
      if (payload.action !== 'commitOnePhase') return next();
      await next();
      throw lostAnswer;
    });
    const pakka = await testPakka({ wrapInvoker: losing.wrap });
    const payee = uniqueId('bob');
    const txn = await run(pakka, credit(payee, 5));
    expect(txn).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', participants: [{ vote: 'VOTE_COMMIT' }] });
    expect(losing.calls.map((c) => c.action)).toEqual(['commitOnePhase', 'abort']);
    expect(await readItem(pakka, 'payee-bank', payee)).toMatchObject({ balance: 5 });
  });

  it('a request that never arrived is aborted by the question itself: the tombstone stops the late one-phase commit', async () => {
    let late: (() => Promise<unknown>) | undefined;
    const delaying = interceptor(async (_name, payload, next) => {
      if (payload.action !== 'commitOnePhase') return next();
      late = next; // held back: delivered only after the coordinator has given up
      throw lostAnswer;
    });
    const pakka = await testPakka({ wrapInvoker: delaying.wrap });
    const payee = uniqueId('bob');
    const txn = await run(pakka, credit(payee, 5));
    expect(txn).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'ERROR' });
    expect(await readRecord(pakka, 'payee-bank', txn.txnId)).toMatchObject({ state: 'ABORTED' });
    if (!late) throw new Error('the one-phase request was never sent');
    // Pakka's participants raise a no (Pakka.VoteAbort.<REASON>): the late one-phase request votes no and applies nothing.
    await expect(late()).rejects.toMatchObject({ name: 'Pakka.VoteAbort.ABORTED_BEFORE_PREPARE' });
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] });
    expect(await pakka.getTransaction(txn.txnId)).toMatchObject({ status: 'ABORTED' });
  });

  it('an answer it cannot read is not taken for a no: the coordinator asks before it logs, and finds the commit', async () => {
    const garbling = interceptor(async (_name, payload, next) => {
      const real = await next();
      return payload.action === 'commitOnePhase' ? { vote: 'MAYBE' } : real;
    });
    const pakka = await testPakka({ wrapInvoker: garbling.wrap });
    const payee = uniqueId('bob');
    const txn = await run(pakka, credit(payee, 9));
    expect(txn).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', participants: [{ vote: 'VOTE_COMMIT' }] });
    expect(await readItem(pakka, 'payee-bank', payee)).toMatchObject({ balance: 9 });
  });

  it('when even the question fails, the request is left to recovery, which learns the outcome and never presumes abort', async () => {
    let reachable = false;
    const cut = interceptor(async (_name, payload, next) => {
      if (payload.action === 'commitOnePhase') {
        await next();
        throw lostAnswer;
      }
      if (!reachable) throw lostAnswer;
      return next();
    });
    const pakka = await testPakka({ wrapInvoker: cut.wrap });
    const payee = uniqueId('bob');
    const request = { txnId: uniqueId('cut'), timeoutSeconds: 10, ...credit(payee, 3) };
    const outcome = await pakka.start(request).done;
    expect(outcome).toMatchObject({ ok: true, output: { status: 'LEFT_TO_RECOVERY' } });
    expect(await pakka.readLogItem(request.txnId)).toMatchObject({ onePhase: true, status: 'PREPARING' });
    expect((await pakka.readLogItem(request.txnId))?.decision).toBeUndefined();

    reachable = true;
    // Past the deadline and grace, and past any execution's maximum duration (Express: 5 minutes).
    const later = Date.now() + (request.timeoutSeconds + DEFAULT_RECOVERY_CONFIG.deadlineGraceSeconds + EXECUTION_TIMEOUT_SECONDS.express + 60) * 1000;
    const recovery = new LocalRecovery(pakka, {
      dynamo: localDynamoClient(inject('dynamoEndpoint')),
      now: () => later,
      invoke: cut.wrap(participantInvoker(pakka)),
    });
    const report = await recovery.sweep();
    expect(report.errors).toEqual([]);
    expect(await pakka.getTransaction(request.txnId)).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', decidedBy: 'recovery' });
    expect(await readItem(pakka, 'payee-bank', payee)).toMatchObject({ balance: 3 });
  });

  // Each one-phase Task state the coordinator can stop at (test/recovery/recovery.test.ts lists them): the
  // participant committed before it, so nothing is held, the API learns the outcome from the record, and
  // recovery has nothing to do.
  const loseAnswer = (): Parameters<typeof interceptor>[0] => async (_name, payload, next) => {
    if (payload.action !== 'commitOnePhase') return next();
    await next();
    throw lostAnswer;
  };
  const stops: Array<[string, () => Parameters<typeof interceptor>[0]]> = [
    ['LogOnePhaseCommit', () => (_name, _payload, next) => next()],
    ['LearnOnePhaseOutcome', loseAnswer],
    [
      'OnePhaseLeftToRecovery',
      () => async (name, payload, next) => {
        if (payload.action === 'abort') throw lostAnswer;
        return loseAnswer()(name, payload, next);
      },
    ],
    [
      'AskOnePhaseOutcome',
      () => async (_name, payload, next) => {
        const real = await next();
        return payload.action === 'commitOnePhase' ? 'garbage' : real;
      },
    ],
    [
      'LogLearntCommit',
      () => async (_name, payload, next) => {
        const real = await next();
        return payload.action === 'commitOnePhase' ? 'garbage' : real;
      },
    ],
  ];

  it.each(stops)(
    'stopped at %s after the participant committed: the API learns COMMITTED from its record, recovery has nothing to do',
    async (state, fault) => {
      let stopped = false;
      const payee = uniqueId('bob');
      const request = { txnId: uniqueId('stop'), timeoutSeconds: 10, ...credit(payee, 4) };
      const pakka: LocalPakka = await testPakka({
        wrapInvoker: interceptor(fault()).wrap,
        // As the fault injector's stopCoordinator does: the execution is aborted where it is, as a crashed coordinator stops.
        beforeTask: async (name) => {
          if (name !== state) return;
          stopped = true;
          pakka.execution(request.txnId)?.abort();
          throw Object.assign(new Error('the coordinator stopped'), { name: 'Pakka.CoordinatorStopped' });
        },
      });
      await pakka.start(request).done;
      expect(stopped).toBe(true);
      expect(await pakka.readLogItem(request.txnId)).toBeUndefined();
      const dynamo = localDynamoClient(inject('dynamoEndpoint'));
      const answer = await getTransaction(localTransactionService(pakka, dynamo), request.txnId);
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 'COMMITTED',
        decision: 'COMMIT',
        decidedBy: 'participant:payee-bank',
        participants: [{ name: 'payee-bank', vote: 'VOTE_COMMIT', state: 'COMMITTED' }],
      });
      const later = Date.now() + (request.timeoutSeconds + DEFAULT_RECOVERY_CONFIG.deadlineGraceSeconds + EXECUTION_TIMEOUT_SECONDS.express + 60) * 1000;
      const report = await new LocalRecovery(pakka, { dynamo, now: () => later }).sweep();
      expect(report).toMatchObject({ examined: 0, quiet: true });
      expect(await readItem(pakka, 'payee-bank', payee)).toMatchObject({ balance: 4, incoming: 0 });
    },
  );
});

/** The in-process participants, as recovery reaches them without the coordinator's seam. */
function participantInvoker(pakka: LocalPakka) {
  return (name: string, payload: unknown) => {
    const handler = pakka.participants.get(name);
    if (!handler) throw new Error(`no participant ${name}`);
    return handler(payload);
  };
}
