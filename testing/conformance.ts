/**
 * The participant protocol's conformance kit: registers vitest tests that hold any participant handler
 * (a built-in kind, a barrier participant, a team's own function) to every rule of the contract.
 *
 * The fixture supplies fresh cases (each seeds what it needs under new keys and returns the operations) and
 * a snapshot of the business state those operations touch, written so that it does not depend on the txnId
 * (no lock owner ids): "nothing changed" is snapshot equality, and "the same effect" is equality of the
 * snapshots of two runs of equally seeded cases. The kit assumes nothing about how prepare holds (a lock,
 * an escrow reservation, an external authorization), so it never asserts that one transaction blocks another.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  answerOf,
  type PROTOCOL_VIOLATION_CODES,
  TEAM_VOTE_ABORT_ERROR,
  VOTE_ABORT_ERROR_PREFIX,
  VOTE_ABORT_ERRORS,
} from '../lambdas/contract/participantProtocol.js';
import { type AbortReason, teamAbortReasonProblem } from '../lambdas/protocol/vote.js';
import { PAKKA_ERROR } from '../lambdas/protocol/errorNames.js';

export type Operations = Array<Record<string, unknown>>;
export type AnyParticipantHandler = (event: unknown) => Promise<unknown>;

export interface NoCase {
  /** The reason the participant must give for its VOTE_ABORT. */
  reason: AbortReason;
  setup(): Promise<Operations>;
}

export interface ParticipantConformanceFixture<Snapshot> {
  /** Shown in the test names. */
  name: string;
  /** The participant's name as it answers it. */
  participant: string;
  /** A handler of the participant under test; called once per test. */
  handler(): AnyParticipantHandler;
  /** A case the participant votes VOTE_COMMIT on, and whose commit changes the snapshot. */
  yes(): Promise<Operations>;
  /** A business no. */
  no: NoCase;
  /** A check-only case that votes READ_ONLY, if the participant has one. */
  readOnly?(): Promise<Operations>;
  /** Several operations of which one fails: the vote is no and nothing stays held, if the participant takes several. */
  allOrNothing?: NoCase;
  /** The business state the operations touch, independent of the txnId. */
  snapshot(operations: Operations): Promise<Snapshot>;
  /** How many requests reached the external system so far (barrier participants): a done record must not add any. */
  externalCalls?(): number;
  /**
   * For participants that call an external system before writing their record: a handler whose first
   * record write after the team's external call fails, as if the Lambda died right there.
   */
  crashAfterExternalCall?(): AnyParticipantHandler;
}

const txn = (label: string) => `conf-${label}-${randomUUID().slice(0, 12)}`;

export const CONFORMANCE_RULES = [
  'yes',
  'abort',
  'no',
  'nullAbort',
  'violations',
  'mismatch',
  'invalid',
  'readOnly',
  'allOrNothing',
  'crashPrepareRetry',
  'crashPrepareAbort',
  'crashPhaseTwo',
] as const;
export type ConformanceRule = (typeof CONFORMANCE_RULES)[number];

export interface ConformanceOptions {
  /** Only these rules (default: every rule the fixture supports). */
  rules?: readonly ConformanceRule[];
  /** How each rule is registered; the kit's own tests pass `it.fails` to show a broken participant is caught. */
  test?: (title: string, body: () => Promise<void>) => void;
  /** Each rule's time limit (default 60 s): a rule is a dozen round trips to DynamoDB, slow on a busy machine. */
  timeoutMs?: number;
}

const RULE_TIMEOUT_MS = 60_000;

export function participantConformance<Snapshot>(fixture: ParticipantConformanceFixture<Snapshot>, options: ConformanceOptions = {}): void {
  const { participant } = fixture;
  const register = options.test ?? ((title: string, body: () => Promise<void>) => it(title, body, options.timeoutMs ?? RULE_TIMEOUT_MS));
  const rule = (id: ConformanceRule, title: string, body: () => Promise<void>) => {
    if (!options.rules || options.rules.includes(id)) register(`[${id}] ${title}`, body);
  };

  /**
   * Sends one message and checks the answer is the contract's answer to that action, for this txnId. A
   * prepare's no may come raised (`Pakka.VoteAbort.<REASON>`, the answer as JSON in the message, or
   * `Pakka.VoteAbort.TEAM`, a team's own reason alone): it is held to the same rules, and its name must
   * carry the answer's own reason.
   */
  async function send(handler: AnyParticipantHandler, action: keyof typeof answerOf, txnId: string, operations?: Operations) {
    const answer = await handler({ action, txnId, ...(operations ? { operations } : {}) }).catch((error: unknown) => {
      const name = error instanceof Error ? error.name : undefined;
      if (action !== 'prepare' || name === undefined || !VOTE_ABORT_ERRORS.includes(name)) throw error;
      const { message } = error as Error;
      if (name === TEAM_VOTE_ABORT_ERROR) {
        // A team's own reason travels alone as the message (contract 1.3).
        expect(teamAbortReasonProblem(message), `a raised ${TEAM_VOTE_ABORT_ERROR} carries a team's own reason`).toBeUndefined();
        return { participant, txnId, vote: 'VOTE_ABORT', reason: message };
      }
      const raised = JSON.parse(message) as { reason?: unknown };
      expect(name, 'a raised no names its own reason').toBe(`${VOTE_ABORT_ERROR_PREFIX}${String(raised.reason)}`);
      return raised;
    });
    const parsed = answerOf[action].safeParse(answer);
    expect(parsed.success, `${action} answered outside the contract: ${JSON.stringify(answer)}`).toBe(true);
    expect(answer).toMatchObject({ participant, txnId });
    return answer as Record<string, unknown>;
  }

  async function refused(
    handler: AnyParticipantHandler,
    action: 'commit' | 'abort' | 'prepare',
    txnId: string,
    operations: Operations | undefined,
    code: (typeof PROTOCOL_VIOLATION_CODES)[number],
  ) {
    await expect(handler({ action, txnId, ...(operations ? { operations } : {}) })).rejects.toMatchObject({ name: PAKKA_ERROR.protocolViolation, code });
  }

  const stillCalls = (before: number | undefined) => {
    if (before !== undefined) expect(fixture.externalCalls?.(), 'a repeat answered from a done record reached the external system').toBe(before);
  };

  describe(`participant protocol conformance: ${fixture.name}`, () => {
    rule('yes', 'votes VOTE_COMMIT on the yes case, commits once, and a repeat of every action changes nothing', async () => {
      const p = fixture.handler();
      const ops = await fixture.yes();
      const before = await fixture.snapshot(ops);
      const t = txn('yes');
      const vote = await send(p, 'prepare', t, ops);
      expect(vote).toMatchObject({ vote: 'VOTE_COMMIT', reason: null });
      expect(await send(p, 'status', t)).toMatchObject({ state: 'PREPARED' });
      const held = await fixture.snapshot(ops);
      const calls = fixture.externalCalls?.();
      expect(await send(p, 'prepare', t, ops)).toEqual(vote);
      expect(await fixture.snapshot(ops)).toEqual(held);
      stillCalls(calls);
      expect(await send(p, 'commit', t, ops)).toMatchObject({ outcome: 'COMMITTED', repeated: false });
      const committed = await fixture.snapshot(ops);
      expect(committed, 'the commit of the yes case changed nothing').not.toEqual(before);
      const afterCommit = fixture.externalCalls?.();
      expect(await send(p, 'commit', t, ops)).toMatchObject({ outcome: 'COMMITTED', repeated: true });
      expect(await send(p, 'commit', t)).toMatchObject({ outcome: 'COMMITTED', repeated: true });
      expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_COMMIT' });
      expect(await fixture.snapshot(ops)).toEqual(committed);
      stillCalls(afterCommit);
      expect(await send(p, 'status', t)).toMatchObject({ state: 'COMMITTED' });
    });

    rule('abort', 'an abort of a prepared transaction releases everything, and repeats of it change nothing', async () => {
      const p = fixture.handler();
      const ops = await fixture.yes();
      const before = await fixture.snapshot(ops);
      const t = txn('abort');
      await send(p, 'prepare', t, ops);
      expect(await send(p, 'abort', t, ops)).toMatchObject({ outcome: 'ABORTED', repeated: false });
      expect(await fixture.snapshot(ops)).toEqual(before);
      const calls = fixture.externalCalls?.();
      expect(await send(p, 'abort', t, ops)).toMatchObject({ outcome: 'ABORTED', repeated: true });
      expect(await send(p, 'abort', t)).toMatchObject({ outcome: 'ABORTED', repeated: true });
      expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_ABORT' });
      expect(await fixture.snapshot(ops)).toEqual(before);
      stillCalls(calls);
      expect(await send(p, 'status', t)).toMatchObject({ state: 'ABORTED', lockedKeys: [] });
    });

    rule('no', `votes VOTE_ABORT ${fixture.no.reason} on the no case, holds nothing, answers the same on a repeat and refuses a commit`, async () => {
      const p = fixture.handler();
      const ops = await fixture.no.setup();
      const before = await fixture.snapshot(ops);
      const t = txn('no');
      const vote = await send(p, 'prepare', t, ops);
      expect(vote).toMatchObject({ vote: 'VOTE_ABORT', reason: fixture.no.reason });
      expect(await fixture.snapshot(ops)).toEqual(before);
      expect(await send(p, 'prepare', t, ops)).toEqual(vote);
      await refused(p, 'commit', t, ops, 'COMMIT_AFTER_ABORT');
      expect(await send(p, 'abort', t, ops)).toMatchObject({ outcome: 'ABORTED' });
      expect(await fixture.snapshot(ops)).toEqual(before);
    });

    rule('nullAbort', 'null abort: an abort before any prepare leaves a tombstone, and the late prepare votes no and changes nothing', async () => {
      const p = fixture.handler();
      for (const withOperations of [true, false]) {
        const ops = await fixture.yes();
        const before = await fixture.snapshot(ops);
        const t = txn('null');
        const calls = fixture.externalCalls?.();
        expect(await send(p, 'abort', t, withOperations ? ops : undefined)).toMatchObject({ outcome: 'ABORTED', repeated: false });
        expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
        expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_ABORT', reason: 'ABORTED_BEFORE_PREPARE' });
        stillCalls(calls);
        await refused(p, 'commit', t, ops, 'COMMIT_AFTER_ABORT');
        expect(await fixture.snapshot(ops)).toEqual(before);
      }
    });

    rule('violations', 'commit after abort and abort after commit are refused as protocol violations, and change nothing', async () => {
      const p = fixture.handler();
      const aborted = await fixture.yes();
      const a = txn('ca');
      await send(p, 'prepare', a, aborted);
      await send(p, 'abort', a, aborted);
      const afterAbort = await fixture.snapshot(aborted);
      await refused(p, 'commit', a, aborted, 'COMMIT_AFTER_ABORT');
      await refused(p, 'commit', a, undefined, 'COMMIT_AFTER_ABORT');
      expect(await fixture.snapshot(aborted)).toEqual(afterAbort);
      expect(await send(p, 'status', a)).toMatchObject({ state: 'ABORTED' });

      const committed = await fixture.yes();
      const c = txn('ac');
      await send(p, 'prepare', c, committed);
      await send(p, 'commit', c, committed);
      const afterCommit = await fixture.snapshot(committed);
      await refused(p, 'abort', c, committed, 'ABORT_AFTER_COMMIT');
      await refused(p, 'abort', c, undefined, 'ABORT_AFTER_COMMIT');
      expect(await fixture.snapshot(committed)).toEqual(afterCommit);
      expect(await send(p, 'status', c)).toMatchObject({ state: 'COMMITTED' });
    });

    rule('mismatch', 'a commit without prepare, and a repeat with other operations, are refused and change nothing', async () => {
      const p = fixture.handler();
      const ops = await fixture.yes();
      const before = await fixture.snapshot(ops);
      await refused(p, 'commit', txn('np'), ops, 'COMMIT_WITHOUT_PREPARE');
      expect(await fixture.snapshot(ops)).toEqual(before);
      const t = txn('mm');
      await send(p, 'prepare', t, ops);
      const held = await fixture.snapshot(ops);
      const other = await fixture.no.setup();
      const otherBefore = await fixture.snapshot(other);
      await refused(p, 'prepare', t, other, 'OPERATIONS_MISMATCH');
      await refused(p, 'commit', t, other, 'OPERATIONS_MISMATCH');
      await refused(p, 'abort', t, other, 'OPERATIONS_MISMATCH');
      expect(await fixture.snapshot(ops)).toEqual(held);
      expect(await fixture.snapshot(other)).toEqual(otherBefore);
      await send(p, 'abort', t, ops);
      expect(await fixture.snapshot(ops)).toEqual(before);
    });

    rule('invalid', 'refuses a request outside the contract as Pakka.InvalidRequest, changing nothing', async () => {
      const p = fixture.handler();
      const ops = await fixture.yes();
      const before = await fixture.snapshot(ops);
      for (const bad of [
        { action: 'prepare', txnId: 'not a txn id!', operations: ops },
        { action: 'explode', txnId: txn('bad') },
        { action: 'prepare', txnId: txn('bad') },
        { action: 'prepare', txnId: txn('bad'), operations: [] },
        { action: 'prepare', txnId: txn('bad'), operations: [{ op: 'no-such-operation', key: 'k' }] },
        { action: 'prepare', txnId: txn('bad'), operations: ops, surprise: true },
      ]) {
        await expect(p(bad), JSON.stringify(bad)).rejects.toMatchObject({ name: PAKKA_ERROR.invalidRequest });
      }
      expect(await fixture.snapshot(ops)).toEqual(before);
    });

    const { readOnly } = fixture;
    if (readOnly) {
      rule('readOnly', 'READ_ONLY: a check-only prepare holds nothing, keeps no record, and a later abort changes nothing', async () => {
        const p = fixture.handler();
        const ops = await readOnly();
        const before = await fixture.snapshot(ops);
        const t = txn('ro');
        expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'READ_ONLY', reason: null });
        expect(await fixture.snapshot(ops)).toEqual(before);
        expect(await send(p, 'status', t)).toMatchObject({ state: 'UNKNOWN', lockedKeys: [] });
        expect(await send(p, 'abort', t, ops)).toMatchObject({ outcome: 'ABORTED' });
        expect(await fixture.snapshot(ops)).toEqual(before);
      });
    }

    const { allOrNothing } = fixture;
    if (allOrNothing) {
      rule('allOrNothing', `all or nothing: a prepare of several operations where one fails votes ${allOrNothing.reason} and leaves nothing held`, async () => {
        const p = fixture.handler();
        const ops = await allOrNothing.setup();
        expect(ops.length, 'the all-or-nothing case needs several operations').toBeGreaterThan(1);
        const before = await fixture.snapshot(ops);
        const t = txn('aon');
        expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_ABORT', reason: allOrNothing.reason });
        expect(await fixture.snapshot(ops)).toEqual(before);
        expect(await send(p, 'status', t)).toMatchObject({ lockedKeys: [] });
      });
    }

    const { crashAfterExternalCall } = fixture;
    if (crashAfterExternalCall) {
      /** The same transaction without a crash, on an equally seeded case: what the crashed run must end as. */
      async function reference(): Promise<{ before: Snapshot; after: Snapshot }> {
        const p = fixture.handler();
        const ops = await fixture.yes();
        const before = await fixture.snapshot(ops);
        const t = txn('ref');
        await send(p, 'prepare', t, ops);
        await send(p, 'commit', t, ops);
        return { before, after: await fixture.snapshot(ops) };
      }

      rule('crashPrepareRetry', 'a crash after the external call of prepare: the retried prepare and commit have the effect of one', async () => {
        const expected = await reference();
        const ops = await fixture.yes();
        const before = await fixture.snapshot(ops);
        expect(before).toEqual(expected.before);
        const t = txn('crash');
        await expect(crashAfterExternalCall()({ action: 'prepare', txnId: t, operations: ops })).rejects.toThrow();
        const p = fixture.handler();
        expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_COMMIT' });
        await send(p, 'commit', t, ops);
        expect(await fixture.snapshot(ops)).toEqual(expected.after);
      });

      rule(
        'crashPrepareAbort',
        'a crash after the external call of prepare: the abort undoes what the external system holds, and a late prepare votes no',
        async () => {
          const ops = await fixture.yes();
          const before = await fixture.snapshot(ops);
          const t = txn('crash');
          await expect(crashAfterExternalCall()({ action: 'prepare', txnId: t, operations: ops })).rejects.toThrow();
          const p = fixture.handler();
          expect(await send(p, 'abort', t, ops)).toMatchObject({ outcome: 'ABORTED' });
          expect(await fixture.snapshot(ops)).toEqual(before);
          expect(await send(p, 'prepare', t, ops)).toMatchObject({ vote: 'VOTE_ABORT' });
          expect(await fixture.snapshot(ops)).toEqual(before);
        },
      );

      rule('crashPhaseTwo', 'a crash after the external call of commit or abort: the retry finishes it with the effect of one', async () => {
        const expected = await reference();
        const p = fixture.handler();
        const ops = await fixture.yes();
        const t = txn('crash');
        await send(p, 'prepare', t, ops);
        await expect(crashAfterExternalCall()({ action: 'commit', txnId: t, operations: ops })).rejects.toThrow();
        expect(await send(p, 'commit', t, ops)).toMatchObject({ outcome: 'COMMITTED' });
        expect(await fixture.snapshot(ops)).toEqual(expected.after);

        const undone = await fixture.yes();
        const before = await fixture.snapshot(undone);
        const u = txn('crash');
        await send(p, 'prepare', u, undone);
        await expect(crashAfterExternalCall()({ action: 'abort', txnId: u, operations: undone })).rejects.toThrow();
        expect(await send(p, 'abort', u, undone)).toMatchObject({ outcome: 'ABORTED' });
        expect(await fixture.snapshot(undone)).toEqual(before);
      });
    }
  });
}
