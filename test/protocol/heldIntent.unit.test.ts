/** The pure rules of a hold that lives in its item: the entry's transitions, what the step sees, why a prepare failed, and the choice of layout. */
import { describe, expect, it } from 'vitest';
import { holdLayoutOf } from '../../lambdas/participants/holdLayout.js';
import { ledger } from '../../lambdas/participants/kinds/ledger.js';
import { decideHold, forgetEntries, heldShardOf, prepareHold, releaseStrayHold } from '../../lambdas/participants/itemIntents.js';
import type { EscrowPlan, OperationPlan } from '../../lambdas/participants/kind.js';
import {
  FORGET_AT_ONCE,
  INTENT_CAP,
  INTENT_HORIZON_MS,
  type IntentEntry,
  STRAY_ALLOWANCE_MS,
  appliedHoldOf,
  finishingWrite,
  strayAfterOf,
  forgettableEntries,
  forgottenInPassing,
  refusedForForgetting,
  mayStillSendPrepare,
  PREPARE_SEND_WINDOW_MS,
  forgettingCountsFrom,
  nextForgetAt,
  RECORD_AGE_TO_FORGET_MS,
  recordHorizonOf,
  recordCoversEntry,
  abortedEntry,
  claimOutcomeOf,
  fenceEntry,
  intentEntryOf,
  intentFacts,
  prepareRefusal,
  preparedEntry,
} from '../../lambdas/protocol/heldIntent.js';
import { participantStep } from '../../lambdas/protocol/participantStep.js';

const at = '2026-01-01T00:00:00.000Z';
const debit = ledger.plan({ op: 'debit', key: 'alice', amount: 5 } as never) as EscrowPlan;

describe('the entry', () => {
  it('prepare writes P with its operation and its landing, or C (one, claimed first: k) in one phase', () => {
    const p = preparedEntry('d1', { op: 'debit' }, at, false, 'n1');
    expect(p).toEqual({ s: 'P', d: 'd1', op: { op: 'debit' }, at, n: 'n1' });
    expect(intentEntryOf(p)).toEqual(p);
    expect(preparedEntry('d1', { op: 'debit' }, at, true, 'n1')).toEqual({ s: 'C', d: 'd1', at, one: true, k: true });
    expect(abortedEntry('d1', at, 'INSUFFICIENT_FUNDS')).toEqual({ s: 'A', d: 'd1', at, r: 'INSUFFICIENT_FUNDS' });
    expect(abortedEntry(undefined, at, undefined)).toEqual({ s: 'A', at });
  });

  it('reads only well-formed entries', () => {
    expect(intentEntryOf({ s: 'P', d: 'x', at })).toEqual({ s: 'P', d: 'x', at });
    expect(intentEntryOf({ s: 'X', at })).toBeUndefined();
    expect(intentEntryOf({ s: 'A', at, r: 'NOT_A_REASON' })).toEqual({ s: 'A', at });
    expect(intentEntryOf(undefined)).toBeUndefined();
  });
});

describe('what the step sees', () => {
  it('the record speaks once written; an entry still P with its digest beside it is an item write to finish', () => {
    expect(intentFacts({ state: 'COMMITTED', digest: 'd' }, { s: 'P', d: 'd', at })).toEqual({ state: 'COMMITTED', digest: 'd', itemBehind: true });
    expect(intentFacts({ state: 'ABORTED', digest: 'd' }, { s: 'A', d: 'd', at })).toEqual({ state: 'ABORTED', digest: 'd' });
    // A P entry of another request under the txnId is not this record's to finish.
    expect(intentFacts({ state: 'ABORTED', digest: 'd' }, { s: 'P', d: 'other', at })).toEqual({ state: 'ABORTED', digest: 'd' });
    // A digest-less tombstone (a null abort without operations) beside a P entry: a prepare raced it, and the abort that finds it releases it.
    expect(intentFacts({ state: 'ABORTED' }, { s: 'P', d: 'd', at })).toEqual({ state: 'ABORTED', itemBehind: true });
    expect(intentFacts({ state: 'COMMITTED' }, { s: 'P', d: 'd', at })).toEqual({ state: 'COMMITTED' });
  });

  it('without a record the entry speaks: P prepared, a one-phase C the decision, an A with a reason the participant’s own no, each A with its record to write', () => {
    expect(intentFacts(undefined, { s: 'P', d: 'd', at })).toEqual({ state: 'PREPARED', digest: 'd', redo: true });
    expect(intentFacts(undefined, { s: 'C', d: 'd', at, one: true })).toEqual({ state: 'COMMITTED', digest: 'd', onePhase: true, recordBehind: true });
    expect(intentFacts(undefined, { s: 'A', d: 'd', at, r: 'INSUFFICIENT_FUNDS' })).toEqual({
      state: 'ABORTED',
      digest: 'd',
      voteReason: 'INSUFFICIENT_FUNDS',
      recordBehind: true,
    });
    // A tombstone without its record (a crash between its two writes): the next abort writes that record.
    expect(intentFacts(undefined, { s: 'A', d: 'd', at })).toEqual({ state: 'ABORTED', digest: 'd', recordBehind: true });
    expect(intentFacts(undefined, undefined)).toBeUndefined();
  });

  it('a repeated commit or abort of a record whose item is behind sends the item write again; otherwise it writes nothing', () => {
    const behind = { state: 'COMMITTED' as const, digest: 'd', itemBehind: true };
    expect(participantStep('items', behind, { action: 'commit', digest: 'd', readOnly: false })).toMatchObject({
      answer: { kind: 'outcome', outcome: 'COMMITTED', repeated: true },
      effects: [{ write: 'decide', outcome: 'COMMITTED' }],
    });
    expect(participantStep('items', { state: 'COMMITTED', digest: 'd' }, { action: 'commit', digest: 'd', readOnly: false }).effects).toEqual([]);
    expect(participantStep('items', { state: 'ABORTED', digest: 'd', itemBehind: true }, { action: 'abort', digest: 'd' }).effects).toEqual([
      { write: 'decide', outcome: 'ABORTED' },
    ]);
    // A one-phase outcome learnt from the entry alone is answered once its record is written (by an abort, or a repeated commitOnePhase).
    const entryOnly = intentFacts(undefined, { s: 'C', d: 'd', at, one: true });
    expect(participantStep('items', entryOnly, { action: 'abort', digest: 'd' })).toEqual({
      answer: { kind: 'committedInOnePhase' },
      effects: [{ write: 'onePhaseRecord' }],
    });
    expect(participantStep('items', entryOnly, { action: 'prepare', digest: 'd', onePhase: true, readOnly: false })).toMatchObject({
      answer: { kind: 'vote', vote: { vote: 'VOTE_COMMIT', committed: 'IN_ONE_PHASE' } },
      effects: [{ write: 'onePhaseRecord' }],
    });
    expect(participantStep('items', { state: 'COMMITTED', digest: 'd', onePhase: true }, { action: 'abort', digest: 'd' }).effects).toEqual([]);
    // Another request's entry is refused, recorded or not.
    expect(participantStep('items', entryOnly, { action: 'abort', digest: 'other' }).answer).toEqual({ kind: 'violation', code: 'OPERATIONS_MISMATCH' });
    // The other decision is refused even while the item is behind.
    expect(participantStep('items', behind, { action: 'abort', digest: 'd' }).answer).toEqual({ kind: 'violation', code: 'ABORT_AFTER_COMMIT' });
  });

  it("the abort after the participant's own no in the item writes that no's record; a commit after it is refused and writes nothing", () => {
    const ownNo = { state: 'ABORTED' as const, digest: 'd', voteReason: 'INSUFFICIENT_FUNDS' as const, recordBehind: true };
    expect(participantStep('items', ownNo, { action: 'abort', digest: 'd' })).toMatchObject({
      answer: { kind: 'outcome', outcome: 'ABORTED', repeated: true },
      effects: [{ write: 'decide', outcome: 'ABORTED' }],
    });
    expect(participantStep('items', { ...ownNo, recordBehind: false }, { action: 'abort', digest: 'd' }).effects).toEqual([]);
    // The own no's record is the abort's to write: a repeated prepare answers the same no and writes nothing (onePhaseRecord is a one-phase C's).
    expect(participantStep('items', ownNo, { action: 'prepare', digest: 'd', onePhase: false, readOnly: false })).toMatchObject({
      answer: { kind: 'vote', vote: { vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS' } },
      effects: [],
    });
    expect(participantStep('items', ownNo, { action: 'commit', digest: 'd', readOnly: false })).toMatchObject({
      answer: { kind: 'violation', code: 'COMMIT_AFTER_ABORT' },
      effects: [],
    });
  });
});

describe('why a prepare failed', () => {
  const item = { intents: {} };
  const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { s: 'C', at }]));
  it('tells an existing entry, the cap or an old lock, and the business no apart', () => {
    // No item, or no map yet: the first hold's variant failed on the escrow bound.
    expect(prepareRefusal(undefined, 't')).toEqual({ kind: 'business' });
    expect(prepareRefusal({}, 't')).toEqual({ kind: 'business' });
    expect(prepareRefusal({ ...item, intents: { t: { s: 'A', at } } }, 't')).toEqual({ kind: 'entry', entry: { s: 'A', at } });
    expect(prepareRefusal({ ...item, intents: entries(INTENT_CAP) }, 't')).toEqual({ kind: 'lockConflict' });
    expect(prepareRefusal({ ...item, intents: entries(INTENT_CAP - 1) }, 't')).toEqual({ kind: 'business' });
    expect(prepareRefusal({ ...item, lockedBy: 'old' }, 't')).toEqual({ kind: 'lockConflict' });
  });
});

describe('the choice of layout', () => {
  const credit = ledger.plan({ op: 'credit', key: 'bob', amount: 5 } as never);
  const lock: OperationPlan = { hold: 'exclusive', key: 'seat', creates: true, prepare: { failureReason: 'ALREADY_HELD' }, commit: {} };
  it('one escrow on one unsharded item holds in the item; anything else keeps the record; the switch keeps the record', () => {
    expect(holdLayoutOf([debit], new Map(), true)).toEqual({ kind: 'item', target: { pk: 'ITEM#alice', plan: debit } });
    expect(holdLayoutOf([debit, credit], new Map(), true)).toEqual({ kind: 'record' });
    expect(holdLayoutOf([lock], new Map(), true)).toEqual({ kind: 'record' });
    expect(holdLayoutOf([debit], new Map([['alice', 4]]), true)).toEqual({ kind: 'record' });
    expect(holdLayoutOf([], new Map(), true)).toEqual({ kind: 'record' });
    expect(holdLayoutOf([debit], new Map(), false)).toEqual({ kind: 'record' });
  });
});

describe('the expressions', () => {
  it('prepare conditions on no entry, the cap (the map’s size) and the escrow bound, and joins the index only through if_not_exists', () => {
    const input = prepareHold('t', 'ITEM#alice', 'tx', debit, preparedEntry('d', {}, at, false, 'n'));
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#in) AND attribute_not_exists(#in.#t) AND size(#in) < :cap AND (attribute_not_exists(lockedBy) AND available >= :amount)',
    );
    expect(input.UpdateExpression).toContain('heldShard = if_not_exists(heldShard, :shard)');
    expect(input.ExpressionAttributeNames).toEqual({ '#in': 'intents', '#t': 'tx', '#prep': 'prepared' });
    expect(input.ExpressionAttributeValues?.[':shard']).toBe(heldShardOf('ITEM#alice'));
    // A one-phase commit holds nothing: it neither counts as prepared nor touches the index.
    const one = prepareHold('t', 'ITEM#alice', 'tx', debit, preparedEntry('d', {}, at, true, 'n'));
    expect(one.UpdateExpression).not.toContain('heldShard');
    expect(one.UpdateExpression).not.toContain('#prep');
  });

  it('the first hold of an item sets the whole map to its entry, only where there is no map', () => {
    const entry = preparedEntry('d', {}, at, false, 'n');
    const fresh = prepareHold('t', 'ITEM#alice', 'tx', debit, entry, { kind: 'fresh' });
    expect(fresh.ConditionExpression).toBe('attribute_not_exists(#in) AND (attribute_not_exists(lockedBy) AND available >= :amount)');
    expect(fresh.UpdateExpression).toContain('#in = :map');
    expect(fresh.ExpressionAttributeValues?.[':map']).toEqual({ tx: entry });
    expect(fresh.ExpressionAttributeNames).not.toHaveProperty('#t');
  });

  it('a write forgets finished entries in passing, each only if gone already or finished and past the horizon', () => {
    const input = prepareHold('t', 'ITEM#alice', 'tx', debit, preparedEntry('d', {}, at, false, 'n'), { kind: 'map', forget: ['old1', 'old2'], horizon: at });
    expect(input.UpdateExpression).toMatch(/ REMOVE #in\.#o0, #in\.#o1$/);
    expect(input.ConditionExpression).toContain(
      '(attribute_not_exists(#in.#o0) OR (#in.#o0.#s <> :p AND #in.#o0.#at < :horizon)) AND (attribute_not_exists(#in.#o1) OR (#in.#o1.#s <> :p AND #in.#o1.#at < :horizon))',
    );
    expect(input.ExpressionAttributeNames).toMatchObject({ '#o0': 'old1', '#o1': 'old2' });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':p': 'P', ':horizon': at });
    const decide = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'COMMITTED', at, { holdId: 'n' }, ['old1'], at);
    expect(decide.UpdateExpression).toMatch(/REMOVE #in\.#t, #in\.#o0$/);
    expect(decide.ConditionExpression).toContain('(attribute_not_exists(#in.#o0) OR (#in.#o0.#s <> :p AND #in.#o0.#at < :horizon))');
  });

  it('the item write of a commit needs the entry P with the digest and the landing its record names, removes the entry and dates the finish; the item stays in the index', () => {
    const input = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'COMMITTED', at, { holdId: 'n1' });
    expect(input.ConditionExpression).toMatch(/^#in\.#t\.#s = :p AND #in\.#t\.#d = :d AND #in\.#t\.#n = :holdId AND/);
    expect(input.ExpressionAttributeValues).toMatchObject({ ':holdId': 'n1', ':at': at });
    expect(input.UpdateExpression).toMatch(/#prep = #prep - :inc, #lastFin = :at REMOVE #in\.#t$/);
    expect(input.ExpressionAttributeNames).toMatchObject({ '#lastFin': 'lastFinishedAt', '#n': 'n' });
    expect(input.UpdateExpression).not.toContain('held');
    // A record that names no landing (its entry had none): the clock's guard, and the entry stays `{s, at}` for the
    // horizon, as before entries carried a landing (the clock's guard is safe only while it blocks a late prepare).
    const older = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'COMMITTED', at, appliedHoldOf({}, at));
    expect(older.ConditionExpression).toMatch(/^#in\.#t\.#s = :p AND #in\.#t\.#d = :d AND #in\.#t\.#at <= :strayAfter AND/);
    expect(older.ExpressionAttributeValues).toMatchObject({ ':strayAfter': strayAfterOf(at), ':to': 'C' });
    expect(older.UpdateExpression).toMatch(/#lastFin = :at, #in\.#t\.#s = :to, #in\.#t\.#at = :at REMOVE #in\.#t\.#op, #in\.#t\.#d$/);
  });

  it('the item write of an abort releases whichever P entry of the digest is there: no landing guard', () => {
    const input = decideHold('t', 'ITEM#alice', 'tx', debit, 'd', 'ABORTED', at, { holdId: 'n1' });
    expect(input.ConditionExpression).toMatch(/^#in\.#t\.#s = :p AND #in\.#t\.#d = :d AND \(reserved >= :amount\)$/);
    expect(input.ExpressionAttributeValues).not.toHaveProperty(':holdId');
    expect(input.UpdateExpression).toMatch(/REMOVE #in\.#t$/);
  });

  it('a stray entry is released (the escrow abort, even beside a COMMITTED record) and removed, on the opposite guard', () => {
    const stray = releaseStrayHold('t', 'ITEM#alice', 'tx', debit, 'd', { holdId: 'n1' });
    expect(stray.ConditionExpression).toMatch(/^#in\.#t\.#s = :p AND #in\.#t\.#d = :d AND NOT \(#in\.#t\.#n = :holdId\) AND \(reserved >= :amount\)$/);
    expect(stray.UpdateExpression).toMatch(/available = available \+ :amount, reserved = reserved - :amount.*, #prep = #prep - :inc REMOVE #in\.#t$/);
    const older = releaseStrayHold('t', 'ITEM#alice', 'tx', debit, 'd', appliedHoldOf({}, at));
    expect(older.ConditionExpression).toMatch(/^#in\.#t\.#s = :p AND #in\.#t\.#d = :d AND NOT \(#in\.#t\.#at <= :strayAfter\) AND/);
  });
});

describe('the stray guard', () => {
  const decidedAt = '2026-01-01T00:00:10.000Z';
  const p = (entryAt: string, d = 'd', n?: string): IntentEntry => ({ s: 'P', d, op: {}, at: entryAt, ...(n !== undefined ? { n } : {}) });
  it('a commit applies only the landing its record names; any other landing is a stray, whatever its clock says', () => {
    const hold = appliedHoldOf({ holdId: 'real' }, decidedAt);
    expect(hold).toEqual({ holdId: 'real' });
    expect(finishingWrite(p('2026-01-01T00:00:09.000Z', 'd', 'real'), 'd', 'COMMITTED', hold)).toEqual({ stray: false });
    // A duplicate prepare that began before the decision and landed after the commit removed the real entry: older than the decision, still a stray.
    expect(finishingWrite(p('2026-01-01T00:00:08.000Z', 'd', 'duplicate'), 'd', 'COMMITTED', hold)).toEqual({ stray: true });
    expect(finishingWrite(p('2026-01-01T00:00:08.000Z'), 'd', 'COMMITTED', hold)).toEqual({ stray: true });
    // An abort releases any P entry of the digest: stray or real, the same write.
    expect(finishingWrite(p('2026-01-01T00:00:08.000Z', 'd', 'duplicate'), 'd', 'ABORTED', hold)).toEqual({ stray: false });
  });

  it('a record that names no landing falls back to the clock: an entry prepared before the decision (or within the allowance after it) is applied; one newer is a stray', () => {
    const hold = appliedHoldOf({}, decidedAt);
    const strayAfter = strayAfterOf(decidedAt);
    expect(hold).toEqual({ strayAfter });
    expect(Date.parse(strayAfter) - Date.parse(decidedAt)).toBe(STRAY_ALLOWANCE_MS);
    expect(STRAY_ALLOWANCE_MS).toBeLessThan(INTENT_HORIZON_MS);
    expect(finishingWrite(p('2026-01-01T00:00:09.000Z'), 'd', 'COMMITTED', hold)).toEqual({ stray: false });
    expect(finishingWrite(p('2026-01-01T00:00:11.000Z'), 'd', 'COMMITTED', hold)).toEqual({ stray: false });
    expect(finishingWrite(p(strayAfter), 'd', 'COMMITTED', hold)).toEqual({ stray: false });
    expect(finishingWrite(p('2026-01-01T00:00:21.000Z'), 'd', 'COMMITTED', hold)).toEqual({ stray: true });
  });

  it('no finishing write for an entry that is not this digest’s P', () => {
    const hold = appliedHoldOf({ holdId: 'real' }, decidedAt);
    expect(finishingWrite(undefined, 'd', 'COMMITTED', hold)).toBeUndefined();
    expect(finishingWrite(p(decidedAt, 'other', 'real'), 'd', 'COMMITTED', hold)).toBeUndefined();
    expect(finishingWrite({ s: 'C', d: 'd', at: decidedAt }, 'd', 'COMMITTED', hold)).toBeUndefined();
  });
});

describe('forgetting', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  it('offers finished entries older than the horizon, oldest first, at most sixteen; never a prepared one', () => {
    const intents: Record<string, unknown> = { p: { s: 'P', d: 'd', at: t(0) }, young: { s: 'C', at: t(30) } };
    for (let i = 0; i < 20; i++) intents[`x${i}`] = { s: i % 2 ? 'A' : 'C', at: t(20 - i) };
    const offered = forgettableEntries(intents, t(25));
    expect(offered).toHaveLength(FORGET_AT_ONCE);
    expect(offered[0]?.txnId).toBe('x19');
    expect(offered.map((o) => o.txnId)).not.toContain('p');
    expect(offered.map((o) => o.txnId)).not.toContain('young');
  });

  it('needs the record only for an entry a commitOnePhase may still meet: a one-phase C or no, or a null abort’s tombstone', () => {
    const recordHorizon = t(0);
    // A C of commit left by a version that kept it, and the participant's own no in a two-phase prepare: at once.
    expect(recordCoversEntry({ s: 'C', at: t(0) }, undefined, recordHorizon)).toBe(true);
    expect(recordCoversEntry({ s: 'A', at: t(0), r: 'INSUFFICIENT_FUNDS' }, undefined, recordHorizon)).toBe(true);
    // A tombstone (no reason, with or without a digest) and a one-phase no wait for their ABORTED record.
    for (const entry of [
      { s: 'A', at: t(-1) },
      { s: 'A', at: t(-1), d: 'd' },
      { s: 'A', at: t(-1), r: 'INSUFFICIENT_FUNDS', one: true },
    ] as IntentEntry[]) {
      expect(recordCoversEntry(entry, undefined, recordHorizon)).toBe(false);
      expect(recordCoversEntry(entry, { state: 'COMMITTED', decidedAt: t(-1) }, recordHorizon)).toBe(false);
      expect(recordCoversEntry(entry, { state: 'ABORTED', decidedAt: t(-1) }, recordHorizon)).toBe(true);
    }
    expect(recordCoversEntry({ s: 'C', at: t(-1), one: true }, undefined, recordHorizon)).toBe(false);
    expect(recordCoversEntry({ s: 'C', at: t(-1), one: true }, { state: 'ABORTED', decidedAt: t(-1) }, recordHorizon)).toBe(false);
    expect(recordCoversEntry({ s: 'C', at: t(-1), one: true }, { state: 'COMMITTED', decidedAt: t(-1) }, recordHorizon)).toBe(true);
    expect(recordCoversEntry({ s: 'P', d: 'd', at: t(-1) }, { state: 'COMMITTED', decidedAt: t(-1) }, recordHorizon)).toBe(false);
  });

  it('lets a one-phase C go only once its record is older than twice the horizon: a delivery that read no record may still be landing', () => {
    const now = t(0);
    const recordHorizon = recordHorizonOf(now);
    expect(recordHorizon).toBe(new Date(Date.parse(now) - 2 * INTENT_HORIZON_MS).toISOString());
    const entry = { s: 'C' as const, at: t(-60), one: true as const };
    const decidedAgo = (ms: number) => new Date(Date.parse(now) - ms).toISOString();
    expect(recordCoversEntry(entry, { state: 'COMMITTED', decidedAt: decidedAgo(INTENT_HORIZON_MS + 1) }, recordHorizon)).toBe(false);
    expect(recordCoversEntry(entry, { state: 'COMMITTED', decidedAt: decidedAgo(2 * INTENT_HORIZON_MS + 1) }, recordHorizon)).toBe(true);
    // A record that says not when it was decided never lets the entry go by this rule.
    expect(recordCoversEntry(entry, { state: 'COMMITTED' }, recordHorizon)).toBe(false);
  });

  it('claimed first (k): a C goes as soon as its record is COMMITTED; a fence at once beside COMMITTED, beside ABORTED twice the horizon after the claim', () => {
    const now = t(0);
    const recordHorizon = recordHorizonOf(now);
    const ago = (ms: number) => new Date(Date.parse(now) - ms).toISOString();
    const c = preparedEntry('d1', { op: 'debit' }, now, true, 'n1');
    expect(recordCoversEntry(c, { state: 'COMMITTED', decidedAt: now, claimedAt: now }, recordHorizon)).toBe(true);
    // A claim is no final record: nothing goes beside it.
    expect(recordCoversEntry(c, undefined, recordHorizon)).toBe(false);
    const fence = fenceEntry('d1', now);
    expect(fence).toEqual({ s: 'A', d: 'd1', at: now, one: true, k: true });
    expect(recordCoversEntry(fence, { state: 'COMMITTED', decidedAt: now, claimedAt: now }, recordHorizon)).toBe(true);
    // Counted from the claim, not the decision: a claimer may send until its window of the claim has passed.
    const young = { state: 'ABORTED' as const, decidedAt: ago(3 * INTENT_HORIZON_MS), claimedAt: ago(2 * INTENT_HORIZON_MS - 1) };
    expect(recordCoversEntry(fence, young, recordHorizon)).toBe(false);
    expect(recordCoversEntry(fence, { ...young, claimedAt: ago(2 * INTENT_HORIZON_MS + 1) }, recordHorizon)).toBe(true);
    const olderFence = fenceEntry('d1', ago(3 * INTENT_HORIZON_MS));
    expect(forgettingCountsFrom(olderFence, young)).toEqual({ at: new Date(Date.parse(young.claimedAt) + INTENT_HORIZON_MS).toISOString() });
    // A null abort's tombstone beside a COMMITTED record claimed first goes at once; beside an older one-phase record it waits.
    const tombstone = abortedEntry(undefined, now, undefined);
    expect(recordCoversEntry(tombstone, { state: 'COMMITTED', decidedAt: now, claimedAt: now }, recordHorizon)).toBe(true);
    expect(recordCoversEntry(tombstone, { state: 'COMMITTED', decidedAt: now }, recordHorizon)).toBe(false);
    expect(claimOutcomeOf(c)).toBe('COMMITTED');
    expect(claimOutcomeOf(fence)).toBe('ABORTED');
  });

  it('a write names a claimed C to go at once only if it is still C or gone; a refusal it may have caused is told apart', () => {
    const c = preparedEntry('d1', { op: 'debit' }, t(0), true, 'n1');
    expect(refusedForForgetting({ x: c }, [], t(0), ['x'])).toBe(false);
    expect(refusedForForgetting({}, [], t(0), ['x'])).toBe(false);
    expect(refusedForForgetting({ x: fenceEntry('d1', t(0)) }, [], t(0), ['x'])).toBe(true);
  });

  it('forgets in passing the finished entries past the horizon that need no record, never the writer’s own, never a prepared one', () => {
    const intents = {
      own: { s: 'C', at: t(0) },
      p: { s: 'P', d: 'd', at: t(0) },
      one: { s: 'C', d: 'd', at: t(0), one: true },
      tombstone: { s: 'A', at: t(0) },
      done: { s: 'A', at: t(1), r: 'INSUFFICIENT_FUNDS' },
      young: { s: 'C', at: t(30) },
      junk: 'not an entry',
    };
    expect(forgottenInPassing(intents, t(25), 'own')).toEqual(['done']);
    expect(forgottenInPassing(intents, t(25), 'other')).toEqual(['own', 'done']);
  });

  it('tells a refusal an entry named to forget may have caused: one there and not finished before the horizon', () => {
    const intents = { gone: undefined, done: { s: 'C', at: t(1) }, stray: { s: 'P', d: 'd', at: t(2) }, young: { s: 'A', at: t(30) } };
    expect(refusedForForgetting(intents, ['done', 'missing'], t(25))).toBe(false);
    expect(refusedForForgetting(intents, ['done', 'stray'], t(25))).toBe(true);
    expect(refusedForForgetting(intents, ['young'], t(25))).toBe(true);
  });

  it('a prepare sends its item write only within its window, which with the SDK’s default send lands inside the horizon', () => {
    expect(mayStillSendPrepare(t(0), t(3))).toBe(true);
    expect(mayStillSendPrepare(t(0), t(4))).toBe(false);
    // Two attempts of 2.5 s each (lambdas/config/sdkTimeouts.ts) and a back-off under a second.
    expect(PREPARE_SEND_WINDOW_MS + 2 * 2_500 + 1_000).toBeLessThanOrEqual(INTENT_HORIZON_MS);
  });

  it('knows when the next pass can forget a batch: the newest of fewer than a batch it kept, or one finishing now, past the horizon', () => {
    const kept: IntentEntry[] = [
      { s: 'C', at: t(3) },
      { s: 'A', at: t(1) },
    ];
    expect(
      nextForgetAt(
        kept.map((entry) => forgettingCountsFrom(entry, undefined)),
        t(20),
      ),
      // The tombstone needs its record, decided no sooner than t(1): it counts from t(11), the newer of the two.
    ).toBe(t(21));
    expect(nextForgetAt([], t(20))).toBe(t(30));
    // A hot item's stream of kept entries, one a second: the next pass once 16 of them can go, not at the first.
    const stream = Array.from({ length: 40 }, (_, i) => ({ at: t(39 - i) }));
    expect(nextForgetAt(stream, t(40))).toBe(t(25));
  });

  it('counts a kept one-phase C from when its record will be old enough, so a hot item does not run the pass on every prepare meanwhile', () => {
    const one = { s: 'C' as const, at: t(0), one: true as const };
    // Its record decided at 5 s: old enough at 25 s, so the next pass is then (its horizon counted from 15 s).
    expect(forgettingCountsFrom(one, { state: 'COMMITTED', decidedAt: t(5) })).toEqual({ at: t(15) });
    expect(nextForgetAt([forgettingCountsFrom(one, { state: 'COMMITTED', decidedAt: t(5) })], t(20))).toBe(t(25));
    // Without its record (not read, or not written yet): decided no sooner than the entry, so from the entry's time
    // plus what the record's age adds. Any entry that needs no record: its own time.
    expect(forgettingCountsFrom(one, undefined)).toEqual({ at: t(10) });
    expect(forgettingCountsFrom({ s: 'A', at: t(2) }, undefined)).toEqual({ at: t(12) });
    expect(forgettingCountsFrom({ s: 'A', at: t(2), r: 'INSUFFICIENT_FUNDS' }, undefined)).toEqual({ at: t(2) });
    // The SDK's send (two attempts of 2.5 s and a back-off under a second) twice, after the 4 s window: inside the record's age.
    expect(PREPARE_SEND_WINDOW_MS + 2 * (2 * 2_500 + 1_000)).toBeLessThanOrEqual(RECORD_AGE_TO_FORGET_MS);
  });

  it('removes each entry on the condition that it is gone already or finished and old', () => {
    const input = forgetEntries('t', 'ITEM#a', ['x', 'y'], t(5));
    expect(input.UpdateExpression).toBe('REMOVE #in.#o0, #in.#o1');
    expect(input.ConditionExpression).toBe(
      '(attribute_not_exists(#in.#o0) OR (#in.#o0.#s <> :p AND #in.#o0.#at < :horizon)) AND (attribute_not_exists(#in.#o1) OR (#in.#o1.#s <> :p AND #in.#o1.#at < :horizon))',
    );
  });
});
