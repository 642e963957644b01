/** The real ASL file on the local engine, driving real participants on DynamoDB Local. */
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { tableReads } from '../../lambdas/api/tableReads.js';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { coordinatorLogTable } from '../../lambdas/recovery/coordinatorLogTable.js';
import { parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { decide } from '../../lambdas/protocol/decision.js';
import { TransientFailure } from '../../lambdas/protocol/participantState.js';
import { VOTES, type Vote } from '../../lambdas/protocol/vote.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import type { LocalPakka } from '../../local/pakka.js';
import defaultConfig from '../../config/participants.json' with { type: 'json' };
import { fundsAndHolds, participant, readItem, readRecord, statusAt } from '../support/participantTable.js';
import { interceptor } from '../support/interceptor.js';
import { testPakka, twoPhaseOnly, uniqueId } from '../support/pakka.js';

async function fund(pakka: LocalPakka, name: string, key: string, amount: number) {
  const result = await pakka.runTransaction({ participants: [{ name, operations: [{ op: 'credit', key, amount }] }] });
  if (!result.ok || result.value.status !== 'COMMITTED') throw new Error(`funding ${key} failed`);
}

async function committed(pakka: LocalPakka, body: unknown) {
  const result = await pakka.runTransaction(body);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** As the API reads an item: a sharded key (the switch's `fees`) summed over its shards. */
const viewOf = (pakka: LocalPakka, name: string, key: string) =>
  tableReads(documentClient(localDynamoClient(inject('dynamoEndpoint'))), pakka.tables, pakka.config).readParticipantItem(name, key);
const balance = async (pakka: LocalPakka, name: string, key: string) => (await viewOf(pakka, name, key))?.balance as number | undefined;
const lockOf = async (pakka: LocalPakka, name: string, key: string) => (await viewOf(pakka, name, key))?.lockedBy;

describe('two-phase commit on the real state machine', () => {
  it('commits a 4-participant UPI transfer with balances and outbox exactly as expected', async () => {
    const pakka = await testPakka();
    const [payer, payee, sms] = [uniqueId('alice'), uniqueId('bob'), uniqueId('sms')];
    await fund(pakka, 'payer-bank', payer, 100_000);
    await fund(pakka, 'payee-bank', payee, 5_000);
    const feesBefore = (await balance(pakka, 'upi-switch', 'fees')) ?? 0;
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 50_200 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 50_000 }] },
        { name: 'upi-switch', operations: [{ op: 'credit', key: 'fees', amount: 200 }] },
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: sms, message: 'Rs 500.00 sent to bob' }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', heuristicHazard: false });
    expect(txn.participants.map((p) => [p.vote, p.phaseTwo])).toEqual(Array(4).fill(['VOTE_COMMIT', 'ACKED']));
    expect(await balance(pakka, 'payer-bank', payer)).toBe(49_800);
    expect(await balance(pakka, 'payee-bank', payee)).toBe(55_000);
    expect(await balance(pakka, 'upi-switch', 'fees')).toBe(feesBefore + 200);
    expect(await readItem(pakka, 'sms-gateway', sms)).toMatchObject({ message: 'Rs 500.00 sent to bob', messageStatus: 'READY' });
    for (const [name, key] of [
      ['payer-bank', payer],
      ['payee-bank', payee],
      ['upi-switch', 'fees'],
    ] as const) {
      expect(await lockOf(pakka, name, key)).toBeUndefined();
    }
    expect(txn.timings.prepareMs).toBeGreaterThanOrEqual(0);
    expect(txn.timings.totalMs).toBeGreaterThanOrEqual(txn.timings.prepareMs ?? 0);
  });

  it('aborts everyone when one participant votes no, and changes nothing anywhere', async () => {
    const pakka = await testPakka();
    const [payer, payee, sms] = [uniqueId('alice'), uniqueId('bob'), uniqueId('sms')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const txn = await committed(pakka, {
      participants: [
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 5_000 }] },
        { name: 'sms-gateway', operations: [{ op: 'enqueue', key: sms, message: 'sent' }] },
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 5_000 }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(txn.participants.find((p) => p.name === 'payer-bank')).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(txn.participants.every((p) => p.phaseTwo === 'ACKED')).toBe(true);
    expect(await balance(pakka, 'payer-bank', payer)).toBe(1_000);
    expect(await lockOf(pakka, 'payer-bank', payer)).toBeUndefined();
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] }); // the provisional credit is gone
    expect(await readItem(pakka, 'sms-gateway', sms)).toBeUndefined(); // the message never became visible
    for (const name of ['payee-bank', 'sms-gateway', 'payer-bank']) {
      expect(await readRecord(pakka, name, txn.txnId)).toMatchObject({ state: 'ABORTED' });
    }
  });

  it('counts a participant that answers too late as a no, and aborts its late prepare', async () => {
    const config = parseParticipantConfig({
      ...defaultConfig,
      participants: { ...defaultConfig.participants, 'payee-bank': { kind: 'ledger', prepareTimeoutSeconds: 1 } },
    });
    let latePrepare: Promise<unknown> | undefined;
    const slow = interceptor((name, payload, next) => {
      if (name !== 'payee-bank' || payload.action !== 'prepare') return next();
      latePrepare = new Promise((r) => setTimeout(r, 1_500)).then(next);
      return latePrepare;
    });
    const pakka = await testPakka({ config, wrapInvoker: slow.wrap });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 100 }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'ABORTED', reason: 'TIMEOUT' });
    expect(txn.participants.find((p) => p.name === 'payee-bank')).toMatchObject({ vote: 'VOTE_ABORT', reason: 'TIMEOUT' });
    // The late prepare reaches the participant after the abort did: the tombstone makes it vote no.
    await expect(latePrepare).rejects.toMatchObject({
      name: 'Pakka.VoteAbort.ABORTED_BEFORE_PREPARE',
      answer: { vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' },
    });
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] });
    expect(await readRecord(pakka, 'payee-bank', txn.txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await balance(pakka, 'payer-bank', payer)).toBe(1_000);
    expect(await lockOf(pakka, 'payer-bank', payer)).toBeUndefined();
  });

  it.each([
    ['prepare', new TransientFailure('throttled')],
    ['commit', Object.assign(new Error('service unavailable'), { name: 'Lambda.ServiceException' })],
  ] as const)('retries %s through transient failures until the participant answers, then commits', async (action, failure) => {
    let failures = 2;
    const flaky = interceptor((name, payload, next) => {
      if (name === 'payee-bank' && payload.action === action && failures-- > 0) return Promise.reject(failure);
      return next();
    });
    // One participant, both phases: one-phase commit off, so the commit delivery is there to fail.
    const pakka = await testPakka({ wrapInvoker: flaky.wrap, config: twoPhaseOnly() });
    const payee = uniqueId('bob');
    const txn = await committed(pakka, { participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 70 }] }] });
    expect(txn).toMatchObject({ status: 'COMMITTED', participants: [{ vote: 'VOTE_COMMIT', phaseTwo: 'ACKED' }] });
    expect(flaky.count('payee-bank', action, txn.txnId)).toBe(3);
    expect(await balance(pakka, 'payee-bank', payee)).toBe(70);
  });

  it('hands a commit that never succeeds to recovery: never rolled back, left open and COMMITTING', async () => {
    const broken = interceptor((name, payload, next) =>
      name === 'payee-bank' && payload.action === 'commit' ? Promise.reject(new Error('unreachable')) : next(),
    );
    const pakka = await testPakka({ wrapInvoker: broken.wrap });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 100 }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'COMMITTING', decision: 'COMMIT', finishedAt: null });
    expect(txn.participants.map((p) => p.phaseTwo)).toEqual(['ACKED', 'PENDING']);
    expect(broken.count('payee-bank', 'commit')).toBe(7); // the first try and six retries
    expect(broken.count('payee-bank', 'abort')).toBe(0);
    expect(await balance(pakka, 'payer-bank', payer)).toBe(900);
    expect(await statusAt(pakka, 'payee-bank', txn.txnId)).toMatchObject({ state: 'PREPARED' });
  });

  it('records a participant that refuses the decision as a heuristic hazard', async () => {
    const liar = interceptor(async (name, payload, next) => {
      if (name === 'payee-bank' && payload.action === 'commit') {
        await participant(pakka, 'payee-bank')({ action: 'abort', txnId: payload.txnId, operations: payload.operations });
      }
      return next();
    });
    const pakka = await testPakka({ wrapInvoker: liar.wrap, config: twoPhaseOnly() });
    const txn = await committed(pakka, { participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key: uniqueId('bob'), amount: 1 }] }] });
    expect(txn).toMatchObject({ status: 'COMMITTED', heuristicHazard: true, participants: [{ phaseTwo: 'HEURISTIC_HAZARD' }] });
  });

  it('retries prepare once after a lock conflict, then commits', async () => {
    const holder = uniqueId('holder');
    let conflicts = 0;
    const releasing = interceptor(async (name, payload, next) => {
      const answer = (await next()) as { reason?: string };
      if (name === 'cinema' && payload.action === 'prepare' && answer.reason === 'LOCK_CONFLICT') {
        conflicts++;
        await participant(pakka, 'cinema')({ action: 'abort', txnId: holder }); // the other transaction finishes
      }
      return answer;
    });
    const pakka = await testPakka({ wrapInvoker: releasing.wrap, config: twoPhaseOnly() });
    const seat = uniqueId('seat');
    await participant(pakka, 'cinema')({ action: 'prepare', txnId: holder, operations: [{ op: 'hold', key: seat, holder: 'ravi' }] });
    const txn = await committed(pakka, { participants: [{ name: 'cinema', operations: [{ op: 'hold', key: seat, holder: 'asha' }] }] });
    expect(conflicts).toBe(1);
    expect(txn.status).toBe('COMMITTED');
    expect(await readItem(pakka, 'cinema', seat)).toMatchObject({ heldBy: 'asha' });
  });

  it('a repeated start with the same txnId reaches the same outcome and applies nothing twice', async () => {
    const counting = interceptor((_name, _payload, next) => next());
    const pakka = await testPakka({ wrapInvoker: counting.wrap });
    const payee = uniqueId('bob');
    const txnId = uniqueId('dup');
    const request = { txnId, participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 10 }] }], timeoutSeconds: 30 };
    const [first, second] = [pakka.start(request), pakka.start(request)];
    const outcomes = await Promise.all([first.done, second.done]);
    // Both follow the one decision: the participant's record answers the repeated prepare, the log's condition the repeated decision.
    expect(outcomes.map((o) => (o.ok ? (o.output as { status: string }).status : o.error))).toEqual(['COMMITTED', 'COMMITTED']);
    const again = await pakka.start(request).done;
    expect(again).toMatchObject({ ok: true, output: { decision: 'COMMIT', status: 'COMMITTED' } });
    expect(await balance(pakka, 'payee-bank', payee)).toBe(10);
    expect(await pakka.getTransaction(txnId)).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT' });
  });

  it('an execution of another request under a txnId already decided delivers nothing', async () => {
    const counting = interceptor((_name, _payload, next) => next());
    // Two phases: a one-phase commit of the other request would be its own decision (docs/design.md, one-phase commit).
    const pakka = await testPakka({ wrapInvoker: counting.wrap, config: twoPhaseOnly() });
    const [payee, other] = [uniqueId('bob'), uniqueId('carol')];
    const txnId = uniqueId('other');
    await pakka.start({ txnId, participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 10 }] }], timeoutSeconds: 30 }).done;
    const late = await pakka.start({ txnId, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: other, amount: 5 }] }], timeoutSeconds: 30 })
      .done;
    expect(late).toMatchObject({ ok: true, output: { status: 'DUPLICATE_START' } });
    expect(counting.count('payer-bank', 'commit', txnId)).toBe(0);
    expect(counting.count('payer-bank', 'abort', txnId)).toBe(0);
    // Its prepare is left PREPARED for recovery, which aborts a participant the log does not name.
    expect(await statusAt(pakka, 'payer-bank', txnId)).toMatchObject({ state: 'PREPARED' });
    expect(await pakka.getTransaction(txnId)).toMatchObject({ status: 'COMMITTED', decision: 'COMMIT', participants: [{ name: 'payee-bank' }] });
    expect(await balance(pakka, 'payee-bank', payee)).toBe(10);
  });

  it('obeys a decision logged before its own (the decision is written exactly once)', async () => {
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    let pakka: LocalPakka | undefined;
    const racingRecovery = async (stateName: string, input: unknown) => {
      if (stateName !== 'LogCommitDecision' || !pakka) return;
      // Recovery logs ABORT first (it found the prepared records and no log item); the coordinator must follow it, not overwrite it.
      const now = new Date().toISOString();
      const txnId = (input as { Key: { txnId: { S: string } } }).Key.txnId.S;
      const write = await coordinatorLogTable(documentClient(dynamo), pakka.tables.coordinatorLog).logOrphanDecision(
        txnId,
        'ABORT',
        { decidedBy: 'recovery' },
        [{ name: 'payer-bank' }, { name: 'payee-bank' }],
        now,
        now,
      );
      expect(write.won).toBe(true);
    };
    pakka = await testPakka({ beforeTask: racingRecovery });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await participant(pakka, 'payer-bank')({ action: 'prepare', txnId: `seed-${payer}`, operations: [{ op: 'credit', key: payer, amount: 500 }] });
    await participant(pakka, 'payer-bank')({ action: 'commit', txnId: `seed-${payer}`, operations: [{ op: 'credit', key: payer, amount: 500 }] });
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 100 }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'ABORTED', decision: 'ABORT' });
    expect(await balance(pakka, 'payer-bank', payer)).toBe(500);
    expect(await lockOf(pakka, 'payer-bank', payer)).toBeUndefined();
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] });
  });

  it('leaves READ_ONLY voters out of the commit phase', async () => {
    const counting = interceptor((_name, _payload, next) => next());
    const pakka = await testPakka({ wrapInvoker: counting.wrap });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'assertBalanceAtLeast', key: payer, amount: 800 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 5 }] },
      ],
    });
    expect(txn.status).toBe('COMMITTED');
    expect(txn.participants.map((p) => [p.vote, p.phaseTwo])).toEqual([
      ['READ_ONLY', 'SKIPPED'],
      ['VOTE_COMMIT', 'ACKED'],
    ]);
    expect(counting.count('payer-bank', 'commit', txn.txnId)).toBe(0);
    expect(counting.count('payee-bank', 'commit', txn.txnId)).toBe(1);
  });

  // The commit rule runs in production as the commit write's condition (ALL_YES, over intrinsics) and
  // the abort path's JudgeVotes; decide() is the rule as the design states it. They must agree on
  // every combination of votes of 1 to 3 participants, a missing vote (the prepare failed) included.
  it('decides exactly as decide() does, for every combination of votes of 1 to 3 participants, a missing vote included', async () => {
    const scripted = new Map<string, Vote | undefined>();
    const voter = interceptor(async (name, payload) => {
      if (payload.action !== 'prepare')
        return { participant: name, txnId: payload.txnId, outcome: payload.action === 'commit' ? 'COMMITTED' : 'ABORTED', repeated: false };
      const vote = scripted.get(`${payload.txnId}/${name}`);
      if (vote === undefined) throw new Error(`${name} crashed before answering`);
      return { participant: name, txnId: payload.txnId, vote, reason: vote === 'VOTE_ABORT' ? 'INSUFFICIENT_FUNDS' : null };
    });
    const pakka = await testPakka({ wrapInvoker: voter.wrap, config: twoPhaseOnly() });
    const names = ['payer-bank', 'payee-bank', 'upi-switch'];
    const ballots: Array<Vote | undefined> = [...VOTES, undefined];
    const cases: Array<Array<Vote | undefined>> = [];
    const extend = (prefix: Array<Vote | undefined>): void => {
      if (prefix.length > 0) cases.push(prefix);
      if (prefix.length < names.length) for (const vote of ballots) extend([...prefix, vote]);
    };
    extend([]);
    expect(cases).toHaveLength(4 + 16 + 64);
    // A batch at a time: 84 transactions at once would wait on one DynamoDB Local past the SDK's timeouts.
    for (let at = 0; at < cases.length; at += 16)
      await Promise.all(
        cases.slice(at, at + 16).map(async (votes) => {
          const txnId = uniqueId('v');
          votes.forEach((v, i) => scripted.set(`${txnId}/${names[i]}`, v));
          const result = await pakka.runTransaction({
            txnId,
            participants: votes.map((_, i) => ({ name: names[i] ?? '', operations: [{ op: 'credit', key: 'k', amount: 1 }] })),
          });
          if (!result.ok) throw new Error(result.error.message);
          const expected = decide(votes);
          expect(result.value.decision, votes.map((v) => v ?? 'no answer').join(',')).toBe(expected);
          // These scripted participants keep no records, so only the execution can say phase 2 is done.
          expect(result.outcome?.ok && (result.outcome.output as { status: string }).status).toBe(expected === 'COMMIT' ? 'COMMITTED' : 'ABORTED');
        }),
      );
  });
});

/** A promise the test settles itself: how a participant call is held, with no timer. */
function gate<T = void>() {
  let open: (value: T) => void = () => {};
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { opened, open };
}

describe('the first VOTE_ABORT ends the prepare phase', () => {
  it('a raised no decides ABORT while another prepare is still held; the held prepare, released, finds the tombstone and holds nothing', async () => {
    const payeeHeld = gate();
    const release = gate();
    let released = false;
    let heldAtAbortDelivery: boolean | undefined;
    let latePrepare: Promise<unknown> | undefined;
    const txnId = uniqueId('early');
    const holding = interceptor((name, payload, next) => {
      if (payload.txnId !== txnId) return next();
      if (payload.action === 'prepare' && name === 'payee-bank') {
        payeeHeld.open();
        latePrepare = release.opened.then(next);
        return latePrepare;
      }
      // The no comes only once the other prepare is surely in flight, so the race is the same on every run.
      if (payload.action === 'prepare' && name === 'payer-bank') return payeeHeld.opened.then(next);
      if (payload.action === 'abort' && name === 'payee-bank') heldAtAbortDelivery = !released;
      return next();
    });
    const pakka = await testPakka({ wrapInvoker: holding.wrap });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const validated = pakka.validate({
      txnId,
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 5_000 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 5_000 }] },
      ],
    });
    if (!validated.ok) throw new Error(validated.error.message);
    const started = pakka.start(validated.value);
    // Without the early end this never settles: the Map would wait for the held prepare, which waits for the test.
    const outcome = await started.done;
    const decidedWhileHeld = !released;
    expect(decidedWhileHeld).toBe(true);
    expect(heldAtAbortDelivery).toBe(true);
    expect(outcome).toMatchObject({ ok: true, output: { decision: 'ABORT', status: 'ABORTED' } });
    expect(outcome.logItem).toMatchObject({
      decision: 'ABORT',
      abortReason: 'INSUFFICIENT_FUNDS',
      abortedBy: 'payer-bank',
      abortRule: 'the participant voted VOTE_ABORT',
    });
    const view = await pakka.getTransaction(started.txnId);
    expect(view).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS' });
    expect(view?.participants.find((p) => p.name === 'payer-bank')).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' });
    // The no is not retried: it is a vote, not a failure.
    expect(holding.count('payer-bank', 'prepare', started.txnId)).toBe(1);
    // The abort reached the participant whose prepare never arrived: a null abort, the tombstone.
    expect(await readRecord(pakka, 'payee-bank', started.txnId)).toMatchObject({ state: 'ABORTED' });

    released = true;
    release.open();
    await expect(latePrepare).rejects.toMatchObject({ name: 'Pakka.VoteAbort.ABORTED_BEFORE_PREPARE' });
    // I5: the late prepare held nothing, and nothing anywhere stays held.
    expect(await readRecord(pakka, 'payee-bank', started.txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] });
    expect(await readRecord(pakka, 'payer-bank', started.txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await balance(pakka, 'payer-bank', payer)).toBe(1_000);
    expect(await lockOf(pakka, 'payer-bank', payer)).toBeUndefined();
  });

  it('a no answered as a v1 PrepareAnswer (a raw function) still aborts, once every answer is in', async () => {
    const events: string[] = [];
    const raw = interceptor(async (name, payload, next) => {
      if (payload.action === 'prepare' && name === 'payer-bank') {
        events.push(`${name} answered prepare`);
        return { participant: name, txnId: payload.txnId, vote: 'VOTE_ABORT', reason: 'OUT_OF_STOCK' };
      }
      if (payload.action !== 'prepare') {
        events.push(`${name} sent ${payload.action}`);
        return next();
      }
      const answer = await next();
      events.push(`${name} answered prepare`);
      return answer;
    });
    const pakka = await testPakka({ wrapInvoker: raw.wrap });
    const payee = uniqueId('bob');
    const txn = await committed(pakka, {
      participants: [
        { name: 'payer-bank', operations: [{ op: 'credit', key: uniqueId('alice'), amount: 1 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 1 }] },
      ],
    });
    expect(txn).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'OUT_OF_STOCK' });
    expect(txn.participants.find((p) => p.name === 'payer-bank')).toMatchObject({
      vote: 'VOTE_ABORT',
      reason: 'OUT_OF_STOCK',
      rule: 'the participant voted VOTE_ABORT',
    });
    // The decision waited for the other prepare: it answered before any abort was sent, and the abort released what it had prepared.
    const firstAbort = events.findIndex((e) => e.endsWith('sent abort'));
    expect(firstAbort).toBeGreaterThan(0);
    expect(events.slice(0, firstAbort).sort()).toEqual(['payee-bank answered prepare', 'payer-bank answered prepare']);
    expect(await readRecord(pakka, 'payee-bank', txn.txnId)).toMatchObject({ state: 'ABORTED' });
    expect(await fundsAndHolds(pakka, 'payee-bank', payee)).toEqual({ balance: 0, holds: [] });
  });

  it.each(['Pakka.VoteAbort.NOT_A_REASON', 'Pakka.VoteAbort.LOCK_CONFLICT', 'Pakka.VoteAbort.TIMEOUT'])(
    'a function failing with %s (not a raised no the contract lists) is a failed prepare: ERROR, not a made-up reason',
    async (errorName) => {
      const raising = interceptor((name, payload, next) =>
        payload.action === 'prepare' && name === 'payee-bank' ? Promise.reject(Object.assign(new Error('{}'), { name: errorName })) : next(),
      );
      const pakka = await testPakka({ wrapInvoker: raising.wrap });
      const txn = await committed(pakka, {
        participants: [
          { name: 'payer-bank', operations: [{ op: 'credit', key: uniqueId('alice'), amount: 1 }] },
          { name: 'payee-bank', operations: [{ op: 'credit', key: uniqueId('bob'), amount: 1 }] },
        ],
      });
      expect(txn).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'ERROR' });
      expect(txn.participants.find((p) => p.name === 'payee-bank')).toMatchObject({
        vote: 'VOTE_ABORT',
        reason: 'ERROR',
        rule: 'the prepare call failed after its retries',
      });
      expect(raising.count('payee-bank', 'prepare', txn.txnId)).toBe(1);
    },
  );
});

describe('a participant answer outside the contract', () => {
  // Every case: payee-bank answers garbage to prepare, payer-bank answers properly (and was prepared).
  const cases: Array<[string, (real: Record<string, unknown>) => unknown, string]> = [
    ['not an object', () => 'yes please', 'a prepare answer must be an object whose txnId is a string'],
    ['null', () => null, 'a prepare answer must be an object whose txnId is a string'],
    ['no txnId', (real) => ({ ...real, txnId: undefined }), 'a prepare answer must be an object whose txnId is a string'],
    ["another transaction's txnId", (real) => ({ ...real, txnId: 'someone-else' }), "the answer's txnId is not this transaction's"],
    ['an unknown vote', (real) => ({ ...real, vote: 'MAYBE' }), 'vote must be VOTE_COMMIT, VOTE_ABORT or READ_ONLY'],
    ['a vote that is not a string', (real) => ({ ...real, vote: ['VOTE_COMMIT'] }), 'vote must be VOTE_COMMIT, VOTE_ABORT or READ_ONLY'],
    // Any other upper-case reason may be a team's own (contract 1.3): only a reserved one, an empty one or a non-string is refused here.
    [
      'a no with a reason reserved for the coordinator',
      (real) => ({ ...real, vote: 'VOTE_ABORT', reason: 'TIMEOUT' }),
      "a VOTE_ABORT reason must be a built-in reason or a team's own",
    ],
    ['a no with an empty reason', (real) => ({ ...real, vote: 'VOTE_ABORT', reason: '' }), "a VOTE_ABORT reason must be a built-in reason or a team's own"],
    [
      'a no with a reason that is not a string',
      (real) => ({ ...real, vote: 'VOTE_ABORT', reason: 42 }),
      "a VOTE_ABORT reason must be a built-in reason or a team's own",
    ],
  ];

  it.each(cases)('%s: becomes an abort vote naming the participant and the rule, and nothing moves', async (_what, garble, rule) => {
    const garbling = interceptor(async (name, payload, next) => {
      const real = (await next()) as Record<string, unknown>;
      return name === 'payee-bank' && payload.action === 'prepare' ? garble(real) : real;
    });
    const pakka = await testPakka({ wrapInvoker: garbling.wrap });
    const [payer, payee] = [uniqueId('alice'), uniqueId('bob')];
    await fund(pakka, 'payer-bank', payer, 1_000);
    const result = await pakka.runTransaction({
      participants: [
        { name: 'payer-bank', operations: [{ op: 'debit', key: payer, amount: 100 }] },
        { name: 'payee-bank', operations: [{ op: 'credit', key: payee, amount: 100 }] },
      ],
    });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.outcome?.ok).toBe(true);
    expect(result.value).toMatchObject({ status: 'ABORTED', decision: 'ABORT', reason: 'INVALID_ANSWER' });
    const payeeView = result.value.participants.find((p) => p.name === 'payee-bank');
    expect(payeeView).toMatchObject({ vote: 'VOTE_ABORT', reason: 'INVALID_ANSWER' });
    expect(payeeView?.rule).toContain(rule);
    expect(await balance(pakka, 'payer-bank', payer)).toBe(1_000);
    expect(await lockOf(pakka, 'payer-bank', payer)).toBeUndefined();
    expect((await readRecord(pakka, 'payee-bank', result.value.txnId))?.state).toBe('ABORTED');
  });

  it('every participant answering garbage still ends in an abort vote, not a failed execution', async () => {
    // A garbled one-phase answer says nothing of what happened: the coordinator asks (an abort) before it logs ABORT.
    const garbling = interceptor(async (_name, payload, next) => (payload.action === 'prepare' || payload.action === 'commitOnePhase' ? 42 : next()));
    const pakka = await testPakka({ wrapInvoker: garbling.wrap });
    const result = await pakka.runTransaction({ participants: [{ name: 'payee-bank', operations: [{ op: 'credit', key: uniqueId('bob'), amount: 1 }] }] });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.outcome?.ok).toBe(true);
    expect(result.value).toMatchObject({ status: 'ABORTED', reason: 'INVALID_ANSWER', participants: [{ name: 'payee-bank', vote: 'VOTE_ABORT' }] });
  });
});
