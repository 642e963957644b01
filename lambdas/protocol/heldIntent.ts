/**
 * A transaction's prepared state kept as an intent inside the one item it holds (docs/design.md, "The requirements", allows it;
 * docs/design.md, "Holds that live in the item"): the entry `intents.<txnId>` of that item, and the
 * record `TXN#<txnId>` that commit and abort write first. Plain data and the rules over it; the
 * DynamoDB expressions that enforce them live in ../participants/itemIntents.ts.
 */
import type { ParticipantFacts } from './participantStep.js';
import { ABORT_REASONS, type AbortReason } from './vote.js';

/** `P`repared, `C`ommitted, `A`borted. */
export const INTENT_STATES = ['P', 'C', 'A'] as const;
export type IntentState = (typeof INTENT_STATES)[number];

/** One entry of an item's `intents` map, as stored. */
export interface IntentEntry {
  s: IntentState;
  /** The digest of the redo list; absent on a tombstone whose abort carried no digest. */
  d?: string;
  /** The redo list's one operation, kept while `P` so recovery can finish it from the item alone. */
  op?: unknown;
  /** When the entry last changed state (ISO time). */
  at: string;
  /** The participant's own no (a business rule), on an `A` entry that prepare wrote. */
  r?: AbortReason;
  /** Answered a `commitOnePhase`: committed in one phase (`C`, the decision until the record exists), or its own no (`A`). */
  one?: true;
  /**
   * Which landing of a prepare wrote this `P` entry (random, one per delivery): the record of the commit names
   * it (`holdId`), so the commit applies that landing and no other. A duplicate prepare that lands after the
   * commit removed the entry carries another, and is a stray ("The stray guard" in docs/design.md).
   */
  n?: string;
  /**
   * Written by a `commitOnePhase` that claimed its record first (docs/design.md, "One-phase commit", "Claim first"):
   * a `C` that may go as soon as its record is final, or an `A` that is a fence (a resolver's, where the claimer's
   * item write had not landed). Without it, a one-phase entry of the version before claim first, kept by its rules.
   */
  k?: true;
}

/** The record `TXN#<txnId>` of this layout: written only by commit and abort, never by prepare. */
export interface DecidedRecordFacts {
  state: 'COMMITTED' | 'ABORTED';
  digest?: string;
  onePhase?: boolean;
  /** When the record's write was sent (its `committedAt` or `abortedAt`). */
  decidedAt?: string;
  /** A one-phase record claimed first: when the claim was put (its `preparedAt`), which a fence's wait counts from. */
  claimedAt?: string;
}

/** Reads a stored entry; anything else is no entry of this layout. */
export function intentEntryOf(value: unknown): IntentEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!(INTENT_STATES as readonly unknown[]).includes(v.s) || typeof v.at !== 'string') return undefined;
  return {
    s: v.s as IntentState,
    at: v.at,
    ...(typeof v.d === 'string' ? { d: v.d } : {}),
    ...(v.op !== undefined ? { op: v.op } : {}),
    ...(typeof v.r === 'string' && (ABORT_REASONS as readonly string[]).includes(v.r) ? { r: v.r as AbortReason } : {}),
    ...(v.one === true ? { one: true as const } : {}),
    ...(typeof v.n === 'string' ? { n: v.n } : {}),
    ...(v.k === true ? { k: true as const } : {}),
  };
}

/**
 * What the participant step sees of a transaction in this layout. The record, when it exists, is the
 * answer (it is written first); an entry still `P` with the record's digest beside a decided record is
 * the item write a crash cut off, which the next delivery sends again (`itemBehind`). Without a record
 * the entry speaks: `P` is prepared, a one-phase `C` is the decision (its record still to write:
 * `recordBehind`), an `A` with a reason is the participant's own no.
 */
export function intentFacts(record: DecidedRecordFacts | undefined, entry: IntentEntry | undefined): ParticipantFacts | undefined {
  if (record) {
    // A null abort sent without operations leaves a tombstone with no digest, which a prepare racing it (its
    // record read before the tombstone, its item write after) can leave a `P` entry beside: the abort that finds
    // it (recovery, through heldItems, with the entry's operations) releases it as it finishes any other.
    const tombstone = record.state === 'ABORTED' && record.digest === undefined;
    const behind = entry?.s === 'P' && entry.d !== undefined && (entry.d === record.digest || tombstone);
    return {
      state: record.state,
      ...(record.digest !== undefined ? { digest: record.digest } : {}),
      ...(record.onePhase ? { onePhase: true } : {}),
      ...(behind ? { itemBehind: true } : {}),
    };
  }
  if (!entry) return undefined;
  const digest = entry.d !== undefined ? { digest: entry.d } : {};
  switch (entry.s) {
    case 'P':
      return { state: 'PREPARED', ...digest, redo: true };
    case 'C':
      // A one-phase C entry without its record: a crash came between the two writes; whoever learns it writes the record.
      return { state: 'COMMITTED', ...digest, ...(entry.one ? { onePhase: true, recordBehind: true } : {}) };
    case 'A':
      // Its record still to write (the abort that follows a no, or a null abort's retry after a crash between its
      // two writes): the next abort writes it, and the entry may go once that record is old enough.
      return { state: 'ABORTED', ...digest, ...(entry.r !== undefined ? { voteReason: entry.r } : {}), recordBehind: true };
  }
}

/**
 * The entry prepare writes: `P` with its one operation and its landing's id `n`, or `C` when it commits in one phase
 * (after claiming its record: `k`).
 */
export function preparedEntry(digest: string, operation: unknown, at: string, onePhase: boolean, n: string): IntentEntry {
  return onePhase ? { s: 'C', d: digest, at, one: true, k: true } : { s: 'P', d: digest, op: operation, at, n };
}

/**
 * The fence that resolves a claimed one-phase record (docs/design.md, "Claim first"): an `A` put where the transaction
 * has no entry, changing no escrow sum. Once it is there, the claimer's one item write can never land.
 */
export function fenceEntry(digest: string | undefined, at: string): IntentEntry {
  return { s: 'A', at, ...(digest !== undefined ? { d: digest } : {}), one: true, k: true };
}

/** The outcome a claimed record is made final with: the entry the item shows once fenced (`C`, else the fence or an older `A`). */
export const claimOutcomeOf = (entry: IntentEntry | undefined): 'COMMITTED' | 'ABORTED' => (entry?.s === 'C' ? 'COMMITTED' : 'ABORTED');

/** An `A` entry: a null abort's tombstone (no reason) or the participant's own no, marked `one` when it answered a `commitOnePhase`. */
export function abortedEntry(digest: string | undefined, at: string, reason: AbortReason | undefined, onePhase = false): IntentEntry {
  return { s: 'A', at, ...(digest !== undefined ? { d: digest } : {}), ...(reason !== undefined ? { r: reason } : {}), ...(onePhase ? { one: true } : {}) };
}

/** An item holds at most this many entries; the next prepare votes LOCK_CONFLICT (design: "The item's size"). */
export const INTENT_CAP = 512;

/** Why a single-item prepare's condition failed, read from the item as it was (ALL_OLD). */
export type PrepareRefusal =
  /** An entry of this txnId is there: the step answers from it. */
  | { kind: 'entry'; entry: IntentEntry }
  /** Full, or locked by an older Pakka's exclusive lock: "not now", nothing recorded. */
  | { kind: 'lockConflict' }
  /** The escrow bound: the business no. */
  | { kind: 'business' };

export interface ItemAsItWas {
  intents?: Record<string, unknown>;
  lockedBy?: string;
}

export function prepareRefusal(item: ItemAsItWas | undefined, txnId: string, cap: number = INTENT_CAP): PrepareRefusal {
  // Without a map (no item, or none of its holds yet) only the first hold's variant was sent, which names no cap.
  const intents = item?.intents ?? {};
  const entry = intentEntryOf(intents[txnId]);
  if (entry) return { kind: 'entry', entry };
  if (Object.keys(intents).length >= cap || item?.lockedBy !== undefined) return { kind: 'lockConflict' };
  return { kind: 'business' };
}

/**
 * How long an entry that is the only witness of its answer must stay (a tombstone, the participant's own no,
 * a one-phase `C` until its record): the last moment a prepare of its transaction can still land (a prepare's
 * invocation gives up its item write after 4 s, plus the SDK's request timeout). Commit and abort remove their
 * entry at once: their record, written first, answers, and the stray guard catches a prepare landing after.
 * See the design's "Forgetting".
 */
export const INTENT_HORIZON_MS = 10_000;
/**
 * A prepare whose delivery has run this long sends no more item writes (it fails transiently, and the
 * coordinator's retry is a new delivery that finds the entry): with the SDK's default send of at most 2 × 2.5 s
 * and its back-off, its last write lands inside INTENT_HORIZON_MS of the moment it began.
 */
export const PREPARE_SEND_WINDOW_MS = 4_000;

/** Whether a prepare that began at `began` may still send its item write at `now` (ISO times). */
export const mayStillSendPrepare = (began: string, now: string): boolean => Date.parse(now) - Date.parse(began) < PREPARE_SEND_WINDOW_MS;
/** One write forgets at most this many entries. */
export const FORGET_AT_ONCE = 16;
/** An item with this many entries or more has its one-phase entries tidied by a pass that reads their records. */
export const FORGET_FROM_HELD = 32;

/**
 * Whether a finished entry may go once past the horizon without reading its record: the participant's own no in a
 * two-phase prepare (an `A` with its reason), and a `C` or `A` of commit or abort left by a version that kept them
 * (their record was written first). A two-phase no only ever had to block a late prepare, which the horizon rules
 * out, and a prepare landing later anyway is a stray that the logged decision releases.
 *
 * Not so an entry a `commitOnePhase` may still meet (spin found this; docs/model.md): a one-phase `C` (the decision
 * until its record exists), a one-phase no (`A`, `one`) and a null abort's tombstone (an `A` without a reason, which
 * may be the learning abort of a one-phase commit). A `commitOnePhase` delivery may begin after such an entry was
 * written and before its record exists, read no record, and land after the entry's own age let it go: it would
 * apply its change beside an `ABORTED` record, or a second time. So these go only once their record is old enough
 * (recordCoversEntry).
 */
export const forgettableWithoutRecord = (entry: IntentEntry): boolean => entry.s !== 'P' && entry.one !== true && !(entry.s === 'A' && entry.r === undefined);

/** The finished entries older than the horizon, oldest first, at most FORGET_AT_ONCE: the candidates to forget. */
export function forgettableEntries(intents: Readonly<Record<string, unknown>>, horizon: string): Array<{ txnId: string; entry: IntentEntry }> {
  return Object.entries(intents)
    .flatMap(([txnId, raw]) => {
      const entry = intentEntryOf(raw);
      return entry && entry.s !== 'P' && entry.at < horizon ? [{ txnId, entry }] : [];
    })
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at))
    .slice(0, FORGET_AT_ONCE);
}

/**
 * The entries a write to the item may remove in passing (design: "Forgetting"): finished longer ago than the
 * horizon, needing no record read, never the writer's own transaction; oldest first, at most FORGET_AT_ONCE.
 * `intents` is the item as the writer last saw it (the ALL_NEW of its previous write there).
 */
export function forgottenInPassing(intents: Readonly<Record<string, unknown>>, horizon: string, own: string): string[] {
  return forgettableEntries(
    Object.fromEntries(Object.entries(intents).filter(([txnId, raw]) => txnId !== own && isForgettableWithoutRecord(raw))),
    horizon,
  ).map((c) => c.txnId);
}

/**
 * Whether a write that named `forget` (and `final`) could have been refused for them: one of them is in the item as
 * it was, and not finished before the horizon (its guard in itemIntents.ts fails on such an entry).
 */
export function refusedForForgetting(
  intents: Readonly<Record<string, unknown>>,
  forget: readonly string[],
  horizon: string,
  final: readonly string[] = [],
): boolean {
  const pastHorizon = forget.some((txnId) => {
    if (!(txnId in intents)) return false;
    const entry = intentEntryOf(intents[txnId]);
    return !entry || entry.s === 'P' || entry.at >= horizon;
  });
  // A claimed `C` named to go at once is refused only when something else stands under its txnId (a fence, after another writer forgot it).
  return pastHorizon || final.some((txnId) => txnId in intents && intentEntryOf(intents[txnId])?.s !== 'C');
}

function isForgettableWithoutRecord(raw: unknown): boolean {
  const entry = intentEntryOf(raw);
  return entry !== undefined && forgettableWithoutRecord(entry);
}

/**
 * How long the record of an entry that needs one (forgettableWithoutRecord) must have existed before the entry may
 * go. `commitOnePhase` reads the record before its write, so a delivery that read none sent its write before the record landed, within the 4 s
 * window plus one SDK send (≤ 6 s) of reading; the record's write was sent at most one SDK send before it landed.
 * So such a write lands less than 4 + 6 + 6 = 16 s after the record's `committedAt`: twice the horizon covers it,
 * and the entry's condition refuses it.
 */
export const RECORD_AGE_TO_FORGET_MS = 2 * INTENT_HORIZON_MS;

/** Before this moment (ISO), a record is old enough to let its entry go. */
export const recordHorizonOf = (now: string): string => new Date(Date.parse(now) - RECORD_AGE_TO_FORGET_MS).toISOString();

/** The record's state that covers a finished entry: the outcome the entry itself shows. */
const coveringState = (entry: IntentEntry): DecidedRecordFacts['state'] => (entry.s === 'C' ? 'COMMITTED' : 'ABORTED');

/** When the record that covers a finished entry (it says the entry's own outcome) was decided; undefined without one. */
const coveringDecidedAt = (entry: IntentEntry, record: DecidedRecordFacts | undefined): string | undefined =>
  record?.state === coveringState(entry) ? record.decidedAt : undefined;

/**
 * Whether the transaction's record lets its finished entry go: an entry forgettableWithoutRecord at once, any other
 * finished one once its record says the same outcome and was decided before `recordHorizon` (recordHorizonOf).
 */
export function recordCoversEntry(entry: IntentEntry, record: DecidedRecordFacts | undefined, recordHorizon: string): boolean {
  if (forgettableWithoutRecord(entry)) return true;
  if (entry.k) return claimedEntryCovered(entry, record, recordHorizon);
  // A null abort's tombstone beside a one-phase record claimed first and COMMITTED: it landed after that commit's `C`
  // was forgotten, so the claimer's one send is over, and every other delivery meets the final record: nothing of the
  // transaction can land any more (the fence's rule beside COMMITTED). Kept, it would stay for ever.
  if (entry.s === 'A' && entry.r === undefined && record?.state === 'COMMITTED' && record.claimedAt !== undefined) return true;
  const decidedAt = coveringDecidedAt(entry, record);
  return entry.s !== 'P' && decidedAt !== undefined && decidedAt < recordHorizon;
}

/**
 * A claimed one-phase transaction's entry (`k`), under claim first's rules (spin's `CLAIM_FIRST`, docs/model.md): no
 * write of the transaction can land once its record is final except the claimer's one send, so its `C` goes as soon as
 * the record says COMMITTED (that send has landed: it is the `C`). A fence goes at once beside COMMITTED (it landed
 * after the claimer's `C` was forgotten, so that send is over), and beside ABORTED once the claim is older than the
 * claimer's send can take (twice the horizon, counted from the claim: the claimer sends only within
 * PREPARE_SEND_WINDOW_MS of it, once, bounded by the SDK's request timeout).
 */
function claimedEntryCovered(entry: IntentEntry, record: DecidedRecordFacts | undefined, recordHorizon: string): boolean {
  if (record?.state === 'COMMITTED') return true;
  if (entry.s !== 'A' || record?.state !== 'ABORTED') return false;
  const claimedAt = record.claimedAt ?? record.decidedAt;
  return claimedAt !== undefined && claimedAt < recordHorizon;
}

/** Whether a finished entry waits for its record (and that record's age) before it may go. */
export const needsRecordToGo = (entry: IntentEntry): boolean => entry.s !== 'P' && !forgettableWithoutRecord(entry);

/**
 * The time a kept finished entry's horizon counts from: its own, or for one that needs its record (needsRecordToGo),
 * the moment that record will be old enough, less the horizon nextForgetAt adds. A record the pass did not read (it
 * reads the FORGET_AT_ONCE oldest candidates' only) or that is not written yet is decided no sooner than its entry
 * (a one-phase commit writes the entry, then the record; an abort, its tombstone, then the record), so it counts
 * from the entry's time as if decided then: counted from the entry's own time, a hot item's one-phase entries all
 * looked due 10 s before they were, and the pass ran on nearly every write.
 */
export function forgettingCountsFrom(entry: IntentEntry, record: DecidedRecordFacts | undefined): { at: string } {
  if (!needsRecordToGo(entry)) return { at: entry.at };
  // A claimed `C` goes once its record is final, whatever its age; a fence waits from the claim.
  if (entry.k && entry.s === 'C') return { at: entry.at };
  const decidedAt = (entry.k ? (record?.claimedAt ?? record?.decidedAt) : coveringDecidedAt(entry, record)) ?? entry.at;
  const recordOldEnough = Date.parse(decidedAt) + RECORD_AGE_TO_FORGET_MS - INTENT_HORIZON_MS;
  return { at: new Date(Math.max(recordOldEnough, Date.parse(entry.at))).toISOString() };
}

/**
 * After a pass that left `kept` finished entries in the item (each as forgettingCountsFrom gives it), the moment
 * the next pass can forget a full batch (FORGET_AT_ONCE) of them: the FORGET_AT_ONCE-th oldest past the horizon,
 * or, with fewer kept, the newest; with none left, an entry finishing now. Not the oldest alone: on an item
 * committed in one phase many times a second a kept entry comes of age every few milliseconds, and a pass that
 * forgot each as it came of age ran on nearly every write, reading the whole item and writing again on its whole
 * size to remove one or two entries (the units bench's steady hot one-phase shape: 1.7-2.0 item writes a commit).
 * Waiting is always safe: forgetting later never lets a write through that forgetting sooner would refuse.
 */
export function nextForgetAt(kept: readonly { at: string }[], now: string): string {
  if (kept.length === 0) return new Date(Date.parse(now) + INTENT_HORIZON_MS).toISOString();
  // ISO times sort as text.
  const times = kept.map((entry) => entry.at).sort();
  const batchComplete = times[Math.min(FORGET_AT_ONCE, times.length) - 1] ?? now;
  return new Date(Date.parse(batchComplete) + INTENT_HORIZON_MS).toISOString();
}

/**
 * The fallback guard, for a COMMITTED record that names no landing (`holdId`): written for an entry from before
 * entries carried one. How much newer than its record's decision a `P` entry may be and still be the hold that
 * decision was about. A prepare lands before the coordinator decides, so the decided entry is older than the
 * record (written first, at `committedAt`); half the horizon tolerates Lambda hosts whose clocks disagree by up to
 * that much. Only a guess from clocks: a duplicate prepare that began before the decision and landed after the
 * entry was removed passes it, which is why every new entry carries its landing's id.
 */
export const STRAY_ALLOWANCE_MS = INTENT_HORIZON_MS / 2;

/** The latest `at` of a `P` entry that the record decided at `decidedAt` applies, when the record names no landing. */
export const strayAfterOf = (decidedAt: string): string => new Date(Date.parse(decidedAt) + STRAY_ALLOWANCE_MS).toISOString();

/**
 * Which `P` entry a COMMITTED record applies (docs/design.md, "The stray guard"): the landing the record names,
 * or, for a record that names none, an entry not newer than its decision plus the allowance. Any other `P` entry
 * of the transaction is a stray: a duplicate prepare that landed after the commit removed the real one.
 */
export type AppliedHold = { holdId: string } | { strayAfter: string };

/** The hold a decided record applies: the landing it names, else the allowance after its decision time. */
export function appliedHoldOf(record: { holdId?: string | undefined }, decidedAt: string): AppliedHold {
  return record.holdId !== undefined ? { holdId: record.holdId } : { strayAfter: strayAfterOf(decidedAt) };
}

/** Whether `entry` (a `P` entry of the decided digest) is the hold the record applies. */
export function isAppliedHold(entry: IntentEntry, hold: AppliedHold): boolean {
  // ISO times sort as text.
  return 'holdId' in hold ? entry.n === hold.holdId : entry.at <= hold.strayAfter;
}

/** The item write that finishes a decided transaction's `P` entry: apply the record's outcome to it, or release it as a stray. */
export interface FinishingWrite {
  /** Not the hold a COMMITTED record applies: released (the escrow abort) and removed, never applied. */
  stray: boolean;
}

/**
 * Which finishing write fits the item as it was (ALL_OLD of the write that failed): none when the entry is
 * not this digest's `P` entry any more (finished by a concurrent delivery, or never prepared). An ABORTED
 * outcome releases whichever `P` entry of the digest is there: a stray and the real hold are released alike.
 */
export function finishingWrite(
  entry: IntentEntry | undefined,
  digest: string,
  outcome: 'COMMITTED' | 'ABORTED',
  hold: AppliedHold,
): FinishingWrite | undefined {
  if (entry?.s !== 'P' || entry.d !== digest) return undefined;
  return { stray: outcome === 'COMMITTED' && !isAppliedHold(entry, hold) };
}

/**
 * How long an item must have held nothing before recovery's sweep takes it out of `heldItems` (docs/design.md,
 * "The sparse index"): the sweep's interval, so an item with a transaction a minute or more keeps its keys and
 * its transactions write no index entry, and an idle one leaves within about two sweeps.
 */
export const HELD_IDLE_MS = 60_000;

/** What the sweep reads of an item `heldItems` lists (a consistent read of the whole item). */
export interface ListedItem {
  intents?: unknown;
  prepared?: unknown;
  heldSince?: unknown;
  lastFinishedAt?: unknown;
}

/**
 * An item the index lists that holds nothing and has been idle since before `idleBefore`: no `P` entry, a
 * `prepared` count of 0, in the index since before then, its last commit or abort (`lastFinishedAt`) before
 * then, and every entry it keeps (tombstones, recorded noes and one-phase entries stay until a later write
 * forgets them in passing) last changed before then. An entry that cannot be read
 * keeps the item listed: the index may list an item that holds nothing, never miss one that holds.
 */
export function idleHeldItem(item: ListedItem, idleBefore: string): boolean {
  if (item.prepared !== 0 || typeof item.heldSince !== 'string' || item.heldSince >= idleBefore) return false;
  // The last commit or abort here: its entry is gone at once, so only the item's own time of it dates the item's last use.
  if (item.lastFinishedAt !== undefined && (typeof item.lastFinishedAt !== 'string' || item.lastFinishedAt >= idleBefore)) return false;
  const intents = item.intents ?? {};
  if (typeof intents !== 'object' || intents === null) return false;
  return Object.values(intents).every((raw) => {
    const entry = intentEntryOf(raw);
    return entry !== undefined && entry.s !== 'P' && entry.at < idleBefore;
  });
}
