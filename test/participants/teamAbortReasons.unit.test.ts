/**
 * A team's own abort reasons (contract 1.3): a kind declares them and is refused at definition when one
 * is malformed or Pakka's own; a plan may name only the declared ones and the built-in participant reasons.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { abortMetricReason } from '../../lambdas/observability/transactionOutcome.js';
import { defineKind } from '../../lambdas/participants/kind.js';
import { VoteAbortRaised, isRaisedNo } from '../../lambdas/participants/voteAbortRaised.js';
import { isAbortReason, participantAbortReasonProblem, teamAbortReasonProblem } from '../../lambdas/protocol/vote.js';

const operation = z.strictObject({ op: z.literal('redeem'), key: z.string() });

/** A voucher kind whose redeem says no with `reason`, declaring `abortReasons`. */
const voucherKind = (abortReasons: readonly string[] | undefined, reason = 'NO_SUCH_VOUCHER') =>
  defineKind<z.infer<typeof operation>>({
    name: 'voucher',
    description: 'gift vouchers',
    operation,
    operationNames: ['redeem'],
    ...(abortReasons ? { abortReasons } : {}),
    plan: (op) => ({
      hold: 'exclusive',
      key: op.key,
      creates: false,
      prepare: { condition: 'attribute_exists(amount)', failureReason: reason },
      commit: { remove: ['amount'] },
    }),
    view: (item) => item,
  });

describe("a team's own abort reasons", () => {
  it('are declared by the kind, and its plans may name them', () => {
    const kind = voucherKind(['NO_SUCH_VOUCHER', 'VOUCHER_EXPIRED']);
    expect(kind.abortReasons).toEqual(['NO_SUCH_VOUCHER', 'VOUCHER_EXPIRED']);
    expect(kind.plan({ op: 'redeem', key: 'GIFT-1' })).toMatchObject({ prepare: { failureReason: 'NO_SUCH_VOUCHER' } });
    // A built-in participant reason needs no declaration.
    expect(voucherKind(undefined, 'ALREADY_HELD').plan({ op: 'redeem', key: 'GIFT-1' })).toMatchObject({ prepare: { failureReason: 'ALREADY_HELD' } });
  });

  it.each([
    ['lower case', 'no_such_voucher', 'must match ^[A-Z][A-Z0-9_]{2,39}$'],
    ['too short', 'NO', 'must match'],
    ['too long', `V${'X'.repeat(40)}`, 'must match'],
    ['a space', 'NO VOUCHER', 'must match'],
    ['a leading digit', '9LIVES', 'must match'],
    ['a built-in reason', 'ALREADY_HELD', "ALREADY_HELD is one of Pakka's own reasons"],
    ["the coordinator's reason", 'TIMEOUT', "TIMEOUT is one of Pakka's own reasons"],
    ["the operator's reason", 'OPERATOR', "OPERATOR is one of Pakka's own reasons"],
  ])('are refused at definition when %s (%s)', (_what, reason, message) => {
    expect(() => voucherKind([reason])).toThrow(`kind 'voucher': abortReasons: `);
    expect(() => voucherKind([reason])).toThrow(message);
  });

  it('are refused when one is declared twice', () => {
    expect(() => voucherKind(['NO_SUCH_VOUCHER', 'NO_SUCH_VOUCHER'])).toThrow("kind 'voucher': abortReasons names NO_SUCH_VOUCHER twice");
  });

  it('a plan naming a reason the kind did not declare is refused before anything is held', () => {
    const kind = voucherKind(['VOUCHER_EXPIRED']);
    expect(() => kind.plan({ op: 'redeem', key: 'GIFT-1' })).toThrow(
      "kind 'voucher' planned the abort reason NO_SUCH_VOUCHER, which is neither a built-in participant reason nor one of its abortReasons (VOUCHER_EXPIRED)",
    );
    expect(() => voucherKind(undefined, 'TIMEOUT').plan({ op: 'redeem', key: 'GIFT-1' })).toThrow('none declared');
  });

  it("a participant may answer a built-in participant reason or a team's own, never the coordinator's or the operator's", () => {
    expect(teamAbortReasonProblem('NO_SUCH_VOUCHER')).toBeUndefined();
    expect(participantAbortReasonProblem('OUT_OF_STOCK')).toBeUndefined();
    expect(participantAbortReasonProblem('NO_SUCH_VOUCHER')).toBeUndefined();
    for (const reason of ['ERROR', 'TIMEOUT', 'INVALID_ANSWER', 'OPERATOR', 'bad', null, 7]) expect(participantAbortReasonProblem(reason)).toBeDefined();
  });

  it('a no with a team reason is raised under one name, the reason alone as its message', () => {
    const answer = { participant: 'vouchers', txnId: 't-1', vote: 'VOTE_ABORT', reason: 'NO_SUCH_VOUCHER' } as const;
    expect(isRaisedNo({ action: 'prepare' }, answer)).toBe(true);
    expect(new VoteAbortRaised(answer)).toMatchObject({ name: 'Pakka.VoteAbort.TEAM', message: 'NO_SUCH_VOUCHER' });
    // A malformed reason is not raised: the answer goes to the coordinator, which judges it.
    expect(isRaisedNo({ action: 'prepare' }, { ...answer, reason: 'no such voucher' })).toBe(false);
  });

  it('is counted under its own name; a logged reason outside the contract is counted as INVALID_ANSWER', () => {
    expect(isAbortReason('NO_SUCH_VOUCHER')).toBe(true);
    expect(abortMetricReason({ reason: 'NO_SUCH_VOUCHER', decidedBy: 'coordinator' })).toBe('NO_SUCH_VOUCHER');
    expect(abortMetricReason({ reason: 'OUT_OF_STOCK', decidedBy: 'coordinator' })).toBe('OUT_OF_STOCK');
    expect(abortMetricReason({ reason: 'no such voucher', decidedBy: 'coordinator' })).toBe('INVALID_ANSWER');
    expect(abortMetricReason({ reason: null, decidedBy: 'operator:alice' })).toBe('OPERATOR');
  });
});
