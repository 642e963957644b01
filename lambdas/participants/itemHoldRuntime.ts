/**
 * The edge of a hold that lives in its item (docs/design.md, "Holds that live in the item"): reads a
 * transaction's state from its record and its item's entry, and performs the participant step's effects
 * as single-item writes (./itemIntents.ts). A record of the older layout (a table holding records from
 * before this layout) is finished by the record layout's own performer, passed in as `recordLayout`.
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AppliedHold,
  FORGET_AT_ONCE,
  FORGET_FROM_HELD,
  type FinishingWrite,
  INTENT_HORIZON_MS,
  type IntentEntry,
  abortedEntry,
  appliedHoldOf,
  claimOutcomeOf,
  fenceEntry,
  finishingWrite,
  forgettableEntries,
  forgettableWithoutRecord,
  forgettingCountsFrom,
  forgottenInPassing,
  intentEntryOf,
  mayStillSendPrepare,
  needsRecordToGo,
  nextForgetAt,
  recordHorizonOf,
  prepareRefusal,
  preparedEntry,
  recordCoversEntry,
  refusedForForgetting,
} from '../protocol/heldIntent.js';
import { batchReadConsistent } from './batchRead.js';
import type { ParticipantEffect, ParticipantMessage, PrepareMessage } from '../protocol/participantStep.js';
import type { AbortReason } from '../protocol/vote.js';
import { TransientFailure } from '../protocol/participantState.js';
import { SendWindowPassed, UnknownWriteOutcome, classified } from './errors.js';
import type { ItemHoldTarget } from './holdLayout.js';
import {
  type HeldKeys,
  ITEM_HOLD_LAYOUT,
  heldKeysGuess,
  type IntentsMapAs,
  LAST_FINISHED,
  PREPARED_COUNT,
  abortedEntryWrite,
  claimRecordPut,
  decideHold,
  decidedRecordPut,
  finalizeClaim,
  forgetEntries,
  prepareHold,
  releaseStrayHold,
  withdrawClaim,
} from './itemIntents.js';
import { type HeldRecord, heldRecordOf } from './heldRecord.js';
import type { ConditionalOutcome, EffectReport, ParticipantDriver } from './participantDriver.js';
import { sentOnce } from './sendOnce.js';
import { type StoredRecord, storedRecord } from './record.js';
import { PARTITION_KEY, recordKeyOf } from './table.js';
import type { PreparedOperations } from './transactions.js';

/** A one-phase claim as its resolver needs it: the digest its fence carries, when it was put, and its claimer's landing. */
interface Claim {
  digest: string | undefined;
  preparedAt: string | undefined;
  holdId: string | undefined;
}

/** What this process last saw of an item: the finished entries it may forget, every entry's txnId, its `P` count, its last finish. */
interface SeenItem {
  finished: Record<string, unknown>;
  entries: readonly string[];
  prepared: number | undefined;
  lastFinishedAt: string | undefined;
}

type Report = EffectReport<HeldRecord>;
type Perform = (effect: ParticipantEffect, record: HeldRecord | undefined, message: ParticipantMessage) => Promise<Report>;

/** How often one effect re-sends its write when the item moved under it in a way the write itself handles. */
const WRITE_ATTEMPTS = 4;
/** Items whose last seen entries one process keeps (for forgetting in passing). */
const SEEN_ITEMS = 1000;
/** Transactions whose `P` entry one process wrote and has not seen finished (commit and abort skip their reads). */
const HELD_HERE = 10_000;
/** Claimed `C` entries one process keeps per item to forget at once (older ones wait for the pass that reads records). */
const FINAL_HERE_PER_ITEM = 64;

/** Why the item refused a prepare's or commitOnePhase's write, read from the item as it was (its ALL_OLD). */
const refusalOf = (old: Record<string, unknown> | undefined, txnId: string) =>
  prepareRefusal(
    old && {
      intents: old.intents as Record<string, unknown>,
      ...(typeof old.lockedBy === 'string' ? { lockedBy: old.lockedBy } : {}),
    },
    txnId,
  );

/** The edge's report of a refused prepare: the step answers it as the participant's no (or "not now"). */
const refusedReport = (prepare: PrepareMessage, reason: AbortReason): Report => ({
  kind: 'report',
  message: { action: 'refused', prepare, reason },
  from: 'nothing',
});

/** When the record decided: the time its write carries. */
const decidedAtOf = (record: HeldRecord): string | undefined => (record.state === 'COMMITTED' ? record.committedAt : record.abortedAt);

export interface ItemHoldsOptions {
  tableName: string;
  client: DynamoDBDocumentClient;
  driver: ParticipantDriver<HeldRecord>;
  now: () => string;
}

export function itemHolds({ tableName, client, driver, now }: ItemHoldsOptions) {
  /** The item, read consistently, with only the attributes `projection` names. */
  async function readItem(pk: string, projection: string, names: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const out = await classified(
      client.send(
        new GetCommand({
          TableName: tableName,
          Key: { [PARTITION_KEY]: pk },
          ConsistentRead: true,
          ProjectionExpression: projection,
          ExpressionAttributeNames: names,
        }),
      ),
    );
    return out.Item;
  }

  /** The transaction's entry in its item, read consistently. */
  async function readEntry(txnId: string, pk: string): Promise<IntentEntry | undefined> {
    const item = await readItem(pk, '#in.#t', { '#in': 'intents', '#t': txnId });
    return intentEntryOf((item?.intents as Record<string, unknown> | undefined)?.[txnId]);
  }

  /**
   * The whole map, the prepared count and the last finish, read consistently (a read unit per 4 KB either way):
   * commit and abort learn from it whether the item is cold (heldKeysOf) when this process has not seen it.
   */
  async function readItemEntry(txnId: string, pk: string): Promise<IntentEntry | undefined> {
    const item = await readItem(pk, '#in, #prep, #lastFin', { '#in': 'intents', '#prep': PREPARED_COUNT, '#lastFin': LAST_FINISHED });
    saw(pk, item);
    return intentEntryOf((item?.intents as Record<string, unknown> | undefined)?.[txnId]);
  }

  /** The record and the item's entry, each read consistently. */
  async function read(txnId: string, pk: string): Promise<HeldRecord | undefined> {
    const [record, entry] = await Promise.all([driver.read(txnId), readEntry(txnId, pk)]);
    return heldRecordOf(txnId, record, entry);
  }

  /**
   * What commit and abort start from: the entry alone when it is this digest's `P`, else the record too. A `P`
   * entry beside a record (a decision whose item write a crash cut off, or the other outcome's) is no reason to
   * read the record first: `decide` writes it only where none is, and its refusal hands the record back.
   */
  async function readPhaseTwo(txnId: string, pk: string, digest: string | undefined): Promise<HeldRecord | undefined> {
    const entry = await readItemEntry(txnId, pk);
    if (entry?.s === 'P' && entry.d !== undefined && entry.d === digest) return heldRecordOf(txnId, undefined, entry);
    return heldRecordOf(txnId, await driver.read(txnId), entry);
  }

  /**
   * `P` entries this process wrote (its prepare's write succeeded) and has not yet seen finished. Such an entry
   * leaves `P` only by a commit or abort that wrote the transaction's record first (`decide`, and `finishItem`
   * after it), and an item holding a `P` entry is never deleted (its reservation or promise is not zero), so while
   * no record exists the entry is still `P` with this digest: commit and abort send their record first, with no
   * read, and a record already there refuses it (`decide`). Per process, so only an optimisation.
   */
  const heldHere = new Map<string, { pk: string; digest: string; at: string; holdId: string | undefined }>();

  /** Whether this process wrote the transaction's `P` entry with this digest in this item and has not seen it finished. */
  function knowsHeld(txnId: string, pk: string, digest: string | undefined): boolean {
    const held = heldHere.get(txnId);
    return held !== undefined && held.pk === pk && held.digest === digest;
  }

  /**
   * What this process last saw of each item it wrote (its writes' ALL_NEW, which costs no write unit): the
   * finished entries the next write there may remove in passing. Only an optimisation: another process's
   * writes forget what this one has not seen, and a stale view only names entries already gone.
   */
  const seen = new Map<string, SeenItem>();

  function remember(pk: string, view: SeenItem): void {
    seen.delete(pk);
    seen.set(pk, view);
    // Oldest first: a long-lived process forgets the items it has not written for longest.
    if (seen.size > SEEN_ITEMS) seen.delete(seen.keys().next().value as string);
  }

  function saw(pk: string, item: Record<string, unknown> | undefined): void {
    const intents = item?.intents;
    if (typeof intents !== 'object' || intents === null) return;
    // The oldest ones only: one write forgets at most FORGET_AT_ONCE, and its ALL_NEW shows the next.
    const finished = Object.entries(intents as Record<string, unknown>)
      .flatMap(([txnId, raw]) => {
        const entry = intentEntryOf(raw);
        return entry && forgettableWithoutRecord(entry) ? [[txnId, entry] as const] : [];
      })
      .sort(([, a], [, b]) => a.at.localeCompare(b.at))
      .slice(0, FORGET_AT_ONCE);
    const prepared = typeof item?.[PREPARED_COUNT] === 'number' ? (item[PREPARED_COUNT] as number) : undefined;
    const lastFinishedAt = typeof item?.[LAST_FINISHED] === 'string' ? (item[LAST_FINISHED] as string) : undefined;
    remember(pk, { finished: Object.fromEntries(finished), entries: Object.keys(intents), prepared, lastFinishedAt });
    // Forgetting in passing leaves the entries that need their record (one-phase ones, tombstones): a busy item's pass reads it.
    const entries = Object.values(intents as Record<string, unknown>);
    if (entries.length >= FORGET_FROM_HELD && entries.map(intentEntryOf).some((entry) => entry !== undefined && needsRecordToGo(entry))) recordPassDue.add(pk);
  }

  /**
   * Claimed one-phase `C` entries whose record this process made COMMITTED, by item: the next write there removes them,
   * whatever their age (heldIntent.ts claimedEntryCovered), so a hot item committed in one phase holds about one such
   * entry per process writing it instead of every commit of the last 20 s. Per process, so only an optimisation: the
   * pass that reads records forgets the others.
   */
  const finalHere = new Map<string, Set<string>>();

  function rememberFinal(pk: string, txnId: string): void {
    const final = finalHere.get(pk) ?? new Set<string>();
    final.add(txnId);
    if (final.size > FINAL_HERE_PER_ITEM) final.delete(final.values().next().value as string);
    finalHere.delete(pk);
    finalHere.set(pk, final);
    if (finalHere.size > SEEN_ITEMS) finalHere.delete(finalHere.keys().next().value as string);
  }

  /** After a write to `pk` that named `as.final`: those entries are gone. */
  function forgotFinal(pk: string, as: IntentsMapAs): void {
    if (as.kind !== 'map' || !as.final?.length) return;
    const final = finalHere.get(pk);
    for (const txnId of as.final) final?.delete(txnId);
  }

  /** How the next write to `pk` for `txnId` finds the map, with the finished entries it may forget on the way. */
  function inPassing(pk: string, txnId: string): IntentsMapAs & { kind: 'map' } {
    const horizon = new Date(Date.parse(now()) - INTENT_HORIZON_MS).toISOString();
    const final = [...(finalHere.get(pk) ?? [])].filter((id) => id !== txnId).slice(0, FORGET_AT_ONCE);
    return { kind: 'map', forget: forgottenInPassing(seen.get(pk)?.finished ?? {}, horizon, txnId), horizon, final };
  }

  /**
   * The hybrid leaving of `heldItems` (itemIntents.ts HeldKeys): cold when the item as this process last saw it
   * holds this transaction's entry as its only `P`, nothing else but the entries this write forgets, and no hold
   * finished there since the horizon. A guess from a view that may be stale; the write's condition checks it, and
   * a refusal hands back the item as it is.
   */
  function heldKeysOf(pk: string, txnId: string, forget: readonly string[], horizon: string): HeldKeys {
    return heldKeysGuess(seen.get(pk), txnId, forget, horizon);
  }

  /** Items this process saw with FORGET_FROM_HELD entries or more, some needing their record to go: the next prepare there runs the pass that reads records. */
  const recordPassDue = new Set<string>();

  /**
   * A write that sets the transaction's entry: first in the item's map (forgetting in passing), and when
   * the item as it was had none, the first hold's variant that creates the map with the entry in it.
   */
  async function entryWrite(
    pk: string,
    txnId: string,
    build: (as: IntentsMapAs) => UpdateCommand,
    send: (command: UpdateCommand) => Promise<ConditionalOutcome> = driver.update,
  ): Promise<ConditionalOutcome> {
    let as: IntentsMapAs = inPassing(pk, txnId);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const out = await send(build(as));
      if (out.written) {
        saw(pk, out.attributes);
        forgotFinal(pk, as);
        return out;
      }
      const fresh = out.old?.intents === undefined;
      if (!fresh && as.kind === 'map' && refusedForForgetting(out.old?.intents as Record<string, unknown>, as.forget, as.horizon, as.final)) {
        // Refused for an entry named to forget that is not finished (never so, by the horizon), or a claimed `C` that is
        // not there as such: learn the item as it was and send the write once more without them; a second refusal is
        // the write's own.
        saw(pk, out.old);
        forgotFinal(pk, as);
        as = { ...as, forget: [], final: [] };
        continue;
      }
      // The map appeared or went between the two reads of it: the other variant.
      if (fresh === (as.kind === 'fresh')) return out;
      as = fresh ? { kind: 'fresh' } : inPassing(pk, txnId);
    }
    throw new Error(`item ${pk}: its intents map kept appearing and going`);
  }

  async function prepare(txnId: string, target: ItemHoldTarget, given: PreparedOperations, message: ParticipantMessage, began: string): Promise<Report> {
    if (message.action !== 'prepare') throw new Error('a prepare needs the prepare that asked for it');
    const { pk, plan } = target;
    // Which landing this is: a duplicate of this prepare that lands after the commit removed the entry carries another (the stray guard).
    const entry = preparedEntry(given.digest, given.operations[0], now(), false, randomBytes(6).toString('base64url'));
    // The horizon of forgetting counts on a prepare's write landing soon after its delivery began (heldIntent.ts).
    const prepareWrite = (as: IntentsMapAs) => {
      if (!mayStillSendPrepare(began, now())) throw new TransientFailure(`prepare of ${txnId} ran too long to send its item write; retry`);
      return new UpdateCommand({ ...prepareHold(tableName, pk, txnId, plan, entry, as), ReturnValues: 'ALL_NEW' });
    };
    // A prepare sends one write, and beside it (not after it) a consistent read of the record: the write reads
    // nothing, so only the record tells of a tombstone or a decision this txnId already has (a null abort sent
    // without operations, a repeat naming another item).
    const [out, record] = await Promise.all([entryWrite(pk, txnId, prepareWrite), driver.read(txnId)]);
    if (out.written) {
      if (record) return answeredByRecord(txnId, target, entry, given.digest, record);
      heldHere.set(txnId, { pk, digest: given.digest, at: entry.at, holdId: entry.n });
      if (heldHere.size > HELD_HERE) heldHere.delete(heldHere.keys().next().value as string);
      if (recordPassDue.delete(pk)) await forget(pk);
      return { kind: 'done' };
    }
    const refusal = refusalOf(out.old, txnId);
    // A record answers before the item's refusal: the late prepare after a tombstone votes its VOTE_ABORT, not the item's reason.
    if (record && refusal.kind !== 'entry') return { kind: 'moved', record: heldRecordOf(txnId, record, undefined) };
    switch (refusal.kind) {
      case 'entry':
        // A repeat: the refused write's ALL_OLD is the entry, and the record read beside it answers once it exists.
        return { kind: 'moved', record: heldRecordOf(txnId, record, refusal.entry) };
      case 'lockConflict':
        // A full item: forget what may be forgotten, so the coordinator's retry of this prepare finds room.
        await forget(pk, true);
        return refusedReport(message, 'LOCK_CONFLICT');
      case 'business':
        return refusedReport(message, plan.shortReason);
    }
  }

  /** The record a claim's write handed back (ALL_NEW when written, ALL_OLD when refused), for the step to answer from. */
  const movedTo = (txnId: string, item: Record<string, unknown> | undefined): Report =>
    item ? { kind: 'moved', record: heldRecordOf(txnId, storedRecord(item), undefined) } : { kind: 'moved' };

  /**
   * A one-phase commit, claim first (docs/design.md, "One-phase commit", "Claim first"; spin's `CLAIM_FIRST`): the record
   * is claimed (PREPARED, `onePhase`, naming this landing) where none is; the item write, the escrow's net change and a
   * `C` entry, is sent once (never re-sent when its outcome is unknown: sendOnce.ts) and only within the send window of
   * the claim; the claim is then made final. A write whose outcome is unknown, or a claim too old to send, is resolved
   * like anyone else's claim: fenced in the item, and made final with what the item shows. So the `C` entry may go as
   * soon as the record is COMMITTED: no other write of the transaction can land after it.
   */
  async function commitOnePhase(txnId: string, target: ItemHoldTarget, given: PreparedOperations, message: ParticipantMessage): Promise<Report> {
    if (message.action !== 'prepare') throw new Error('a commitOnePhase needs the message that asked for it');
    const { pk, plan } = target;
    const claimedAt = now();
    const holdId = randomBytes(6).toString('base64url');
    const claim = await driver.put(
      new PutCommand(claimRecordPut(tableName, { txnId, digest: given.digest, operations: given.operations, now: claimedAt, holdId })),
    );
    // A final record answers; another delivery's claim is resolved by the step that reads it. Its own claim comes back
    // when the SDK re-sent the put after an answer was lost: it is still this delivery's to send under.
    if (!claim.written && !(claim.old?.state === 'PREPARED' && claim.old.holdId === holdId)) return movedTo(txnId, claim.old);
    const ownClaim: Claim = { digest: given.digest, preparedAt: claimedAt, holdId };
    const entry = preparedEntry(given.digest, given.operations[0], claimedAt, true, holdId);
    const write = (as: IntentsMapAs) => new UpdateCommand({ ...prepareHold(tableName, pk, txnId, plan, entry, as), ReturnValues: 'ALL_NEW' });
    // Checked before every attempt, the SDK's own retries of a throttle and a conflict's retries included.
    const mayStillSend = () => mayStillSendPrepare(claimedAt, now());
    let out: ConditionalOutcome;
    try {
      // Each refused variant is a definite no (DynamoDB evaluated its condition), so sending the next is no resend.
      out = await entryWrite(pk, txnId, write, (command) => driver.update(sentOnce(command, mayStillSend)));
    } catch (error) {
      if (error instanceof UnknownWriteOutcome || error instanceof SendWindowPassed) return resolveClaim(txnId, target, ownClaim);
      // Refused before it was applied (a throttle or conflict the SDK gave up on): nothing travels, so the claim is taken
      // back and the coordinator's retry claims again.
      if (error instanceof TransientFailure) await driver.write(new DeleteCommand(withdrawClaim(tableName, txnId, holdId)));
      throw error;
    }
    if (out.written) {
      const final = await driver.update(new UpdateCommand({ ...finalizeClaim(tableName, txnId, 'COMMITTED', now(), holdId), ReturnValues: 'ALL_NEW' }));
      if (!final.written) return movedTo(txnId, final.old);
      rememberFinal(pk, txnId);
      // The entries no process will name in passing (their finalizer went, a resolver's, a fence) go by the pass that reads records.
      if (recordPassDue.delete(pk)) await forget(pk);
      return { kind: 'done' };
    }
    const refusal = refusalOf(out.old, txnId);
    switch (refusal.kind) {
      case 'entry':
        // A two-phase prepare of this txnId holds here (a sender outside Pakka's coordinator): the claim goes, as this
        // write was refused and nothing of it travels, and the step answers as a repeated prepare, from the entry.
        if (refusal.entry.s === 'P') {
          const withdrawn = await driver.write(new DeleteCommand(withdrawClaim(tableName, txnId, holdId)));
          return withdrawn ? { kind: 'moved', record: heldRecordOf(txnId, undefined, refusal.entry) } : { kind: 'moved' };
        }
        // A fence (someone resolved this claim), or an entry an older version wrote: the item decides.
        return resolveClaim(txnId, target, ownClaim);
      case 'lockConflict': {
        // "Not now": nothing was applied, so the claim goes and nothing is recorded; the coordinator may retry.
        if (!(await driver.write(new DeleteCommand(withdrawClaim(tableName, txnId, holdId))))) return { kind: 'moved' };
        await forget(pk, true);
        return refusedReport(message, 'LOCK_CONFLICT');
      }
      case 'business': {
        // The participant's own no, in the record alone: no entry, since the one send is over and refused.
        const final = await driver.update(
          new UpdateCommand({ ...finalizeClaim(tableName, txnId, 'ABORTED', now(), holdId, plan.shortReason), ReturnValues: 'ALL_NEW' }),
        );
        return movedTo(txnId, final.written ? final.attributes : final.old);
      }
    }
  }

  /**
   * Resolves a claimed one-phase record: the fence (an `A` entry where the transaction has none, no escrow change), then
   * the claim made final with the outcome the item shows: `C` if the claimer's write landed first, else ABORTED. Safe to
   * repeat and to run beside the claimer: every finalize reads the same entry, which stays until the record is final.
   */
  async function resolveClaim(txnId: string, { pk }: ItemHoldTarget, claim: Claim): Promise<Report> {
    const fence = fenceEntry(claim.digest, now());
    const out = await entryWrite(pk, txnId, (as) => new UpdateCommand({ ...abortedEntryWrite(tableName, pk, txnId, fence, as), ReturnValues: 'ALL_NEW' }));
    const shown = out.written ? fence : intentEntryOf((out.old?.intents as Record<string, unknown> | undefined)?.[txnId]);
    if (!shown) throw new TransientFailure(`the fence of ${txnId}'s one-phase claim on ${pk} was refused, yet the item shows no entry; retry`);
    if (shown.s === 'P') {
      // A two-phase hold of this txnId keeps the fence out, and the claimer's write too while it stays; it leaves only by
      // a commit or abort, whose record the claim refuses. Once the claim is older than any send of its claimer can take,
      // no write of it can land, so the claim is taken away and the hold is finished as any other.
      if (claim.preparedAt === undefined || claim.preparedAt >= recordHorizonOf(now()) || claim.holdId === undefined) {
        throw new TransientFailure(`${txnId} holds in ${pk} in two phases beside a young one-phase claim; retry`);
      }
      await driver.write(new DeleteCommand(withdrawClaim(tableName, txnId, claim.holdId)));
      return { kind: 'moved' };
    }
    const outcome = claimOutcomeOf(shown);
    // Over an older version's own no (an `A` with its reason), the final record keeps that reason.
    const reason = outcome === 'ABORTED' ? shown.r : undefined;
    const final = await driver.update(new UpdateCommand({ ...finalizeClaim(tableName, txnId, outcome, now(), undefined, reason), ReturnValues: 'ALL_NEW' }));
    // Only a claimed `C` goes at once (an older version's `C` keeps its rules).
    if (final.written && outcome === 'COMMITTED' && shown.k) rememberFinal(pk, txnId);
    return movedTo(txnId, final.written ? final.attributes : final.old);
  }

  /**
   * The prepare's `P` entry landed, yet the record read beside it says the transaction already has an answer here
   * (a null abort's tombstone, a decision, a hold of the older layout). The entry is finished in the same delivery,
   * as a repeat of the record's decision would finish it (finishItem, with the stray guard): applied only when the
   * record committed this very digest in this layout and names this landing (a concurrent duplicate of this prepare
   * voted from this entry and the commit followed), released in every other case. Then the record answers, as for
   * any repeated prepare.
   */
  async function answeredByRecord(txnId: string, target: ItemHoldTarget, entry: IntentEntry, digest: string, record: StoredRecord): Promise<Report> {
    const itsDecision = record.layout === ITEM_HOLD_LAYOUT && record.state === 'COMMITTED' && record.digest === digest;
    // A record of the older layout is released as ABORTED here, whatever its time says.
    const outcome = itsDecision ? 'COMMITTED' : 'ABORTED';
    const hold = appliedHoldOf(record, decidedAtOf(record) ?? entry.at);
    // The landing is this delivery's own: a commit naming another is released at once, not after a refused commit write.
    await finishItem(txnId, target, digest, outcome, hold, finishingWrite(entry, digest, outcome, hold));
    return { kind: 'moved', record: heldRecordOf(txnId, record, undefined) };
  }

  /**
   * Forgetting (design: "Forgetting"): the item's finished entries older than the horizon, each only once
   * its record says the same (a consistent read, no write unit), go in one conditional write. Best effort:
   * a concurrent writer that forgot some first makes this one a no-op, and the next busy write tries again.
   */
  /**
   * When this process may next find something to forget in an item (nextForgetAt): a hot item's prepares
   * inside the horizon skip the pass's reads instead of repeating them. Per process, so only an optimisation.
   */
  const forgetNotBefore = new Map<string, string>();

  async function forget(pk: string, force = false): Promise<void> {
    const at = now();
    recordPassDue.delete(pk);
    const notBefore = forgetNotBefore.get(pk);
    if (!force && notBefore !== undefined && at < notBefore) return;
    // Until this pass sets the next moment, the deliveries beside it in this process skip theirs: one pass at a time.
    forgetNotBefore.set(pk, nextForgetAt([], at));
    const out = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { [PARTITION_KEY]: pk },
        ConsistentRead: true,
        ProjectionExpression: '#in',
        ExpressionAttributeNames: { '#in': 'intents' },
      }),
    );
    const intents = (out.Item?.intents ?? {}) as Record<string, unknown>;
    const horizon = new Date(Date.parse(at) - INTENT_HORIZON_MS).toISOString();
    const recordHorizon = recordHorizonOf(at);
    const candidates = forgettableEntries(intents, horizon);
    // Only an entry a commitOnePhase may still meet needs its record read (heldIntent.ts forgettableWithoutRecord).
    const toRead = candidates.filter(({ entry }) => needsRecordToGo(entry));
    const records = toRead.length
      ? new Map(
          (
            await batchReadConsistent(
              client,
              tableName,
              toRead.map(({ txnId }) => recordKeyOf(txnId)),
            )
          ).map((item) => {
            const record = storedRecord(item);
            return [record.txnId, record] as const;
          }),
        )
      : new Map<string, StoredRecord>();
    const factsOf = (txnId: string) => {
      const record = records.get(txnId);
      if (!record || record.state === 'PREPARED') return undefined;
      // A one-phase record's `preparedAt` is its claim's time (claimRecordPut), which a fence's wait counts from.
      return { state: record.state, decidedAt: decidedAtOf(record), ...(record.onePhase && record.preparedAt ? { claimedAt: record.preparedAt } : {}) };
    };
    const covered = new Set(candidates.filter(({ txnId, entry }) => recordCoversEntry(entry, factsOf(txnId), recordHorizon)).map((c) => c.txnId));
    if (covered.size) await driver.write(new UpdateCommand(forgetEntries(tableName, pk, [...covered], horizon)));
    const kept = Object.entries(intents).flatMap(([txnId, raw]) => {
      const entry = intentEntryOf(raw);
      return entry && entry.s !== 'P' && !covered.has(txnId) ? [forgettingCountsFrom(entry, factsOf(txnId))] : [];
    });
    forgetNotBefore.set(pk, nextForgetAt(kept, at));
  }

  /**
   * The record first, then the item: every finished entry has its record, and a crash between is finished by a
   * repeat. The step saw this digest's `P` entry (read, or known from this process's prepare: `knowsHeld`) and
   * no record, which it may not have read: the put goes only where no record is, and when one is, its ALL_OLD is
   * that record, so the step answers from it beside the `P` entry (a repeat finishes the item from the record's
   * time; the other outcome is the violation) without reading it. Should the entry have been finished meanwhile,
   * the item write's own condition refuses and the step reads both. The record keeps the `P` entry's time as
   * `preparedAt` and its landing as `holdId` (read, or remembered from this process's prepare): a commit applies
   * that landing and releases any other.
   */
  async function decide(
    txnId: string,
    target: ItemHoldTarget,
    prepared: PreparedOperations,
    outcome: 'COMMITTED' | 'ABORTED',
    seen: { preparedAt?: string | undefined; holdId?: string | undefined } | undefined,
  ): Promise<Report> {
    const at = now();
    const here = heldHere.get(txnId);
    const decided = {
      txnId,
      state: outcome,
      digest: prepared.digest,
      operations: prepared.operations,
      onePhase: false,
      now: at,
      preparedAt: seen?.preparedAt ?? here?.at,
      holdId: seen?.holdId ?? here?.holdId,
    };
    const out = await driver.put(new PutCommand(decidedRecordPut(tableName, decided, true)));
    if (!out.written) {
      heldHere.delete(txnId);
      if (!out.old) return { kind: 'moved' };
      const entry: IntentEntry = { s: 'P', d: prepared.digest, at };
      return { kind: 'moved', record: heldRecordOf(txnId, storedRecord(out.old), entry) };
    }
    return finishItem(txnId, target, prepared.digest, outcome, appliedHoldOf(decided, at));
  }

  /** The item write of a decided record: applies the hold the decision was about (`hold`), releases a stray one. */
  async function finishItem(
    txnId: string,
    { pk, plan }: ItemHoldTarget,
    digest: string,
    outcome: 'COMMITTED' | 'ABORTED',
    hold: AppliedHold,
    first: FinishingWrite = { stray: false },
  ): Promise<Report> {
    let write: FinishingWrite = first;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const as = inPassing(pk, txnId);
      const { forget, horizon } = as;
      // A stray's release forgets nothing in passing.
      const final = write.stray ? [] : (as.final ?? []);
      const update = write.stray
        ? releaseStrayHold(tableName, pk, txnId, plan, digest, hold)
        : decideHold(tableName, pk, txnId, plan, digest, outcome, now(), hold, forget, horizon, heldKeysOf(pk, txnId, forget, horizon), final);
      const out = await driver.update(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      // Gone with the write, or left to the pass when it was refused (their guard may be what refused it): either way the
      // next attempt does not name them again.
      forgotFinal(pk, { ...as, final });
      if (out.written) {
        saw(pk, out.attributes);
        heldHere.delete(txnId);
        return { kind: 'done' };
      }
      // The next attempt names only what the item as it was shows finished, guesses cold or busy from it, or releases a stray.
      saw(pk, out.old);
      const next = finishingWrite(intentEntryOf((out.old?.intents as Record<string, unknown> | undefined)?.[txnId]), digest, outcome, hold);
      // Finished by a concurrent delivery, or never prepared: the step reads again and answers.
      if (!next) {
        heldHere.delete(txnId);
        return { kind: 'moved' };
      }
      write = next;
    }
    throw new Error(`${outcome === 'COMMITTED' ? 'commit' : 'abort'} of ${txnId} on ${pk} kept racing`);
  }

  /**
   * An `A` entry where none is. With a reason, the participant's own no, recorded in the item alone. Without,
   * a null abort's tombstone: the entry first, where a late prepare or commitOnePhase looks (anti-hanging),
   * then the record. The entry goes first because a commitOnePhase landing between the two writes would
   * otherwise commit in the item beside an ABORTED record; this way one of the two item writes fails, and
   * its writer reads the other's.
   */
  async function aborted(
    txnId: string,
    { pk }: ItemHoldTarget,
    digest: string | undefined,
    operations: readonly unknown[] | undefined,
    reason: AbortReason | undefined,
    onePhase: boolean,
  ): Promise<Report> {
    const at = now();
    const entry = abortedEntry(digest, at, reason, onePhase);
    const out = await entryWrite(pk, txnId, (as) => new UpdateCommand({ ...abortedEntryWrite(tableName, pk, txnId, entry, as), ReturnValues: 'ALL_NEW' }));
    if (!out.written) return { kind: 'moved' };
    if (reason !== undefined) return { kind: 'done' };
    const put = decidedRecordPut(tableName, { txnId, state: 'ABORTED', digest, operations, onePhase: false, now: at });
    return (await driver.write(new PutCommand(put))) ? { kind: 'done' } : { kind: 'moved' };
  }

  /** The record of this participant's own no, written by the abort that follows it; the entry is already `A`. */
  async function abortRecord(txnId: string, prepared: PreparedOperations, voteReason: AbortReason | undefined): Promise<Report> {
    const put = decidedRecordPut(tableName, { txnId, state: 'ABORTED', digest: prepared.digest, operations: prepared.operations, onePhase: false, now: now() });
    // With its reason, so a late duplicate prepare still answers the same no once the record is what it reads.
    const item = { ...put.Item, ...(voteReason !== undefined ? { voteReason } : {}) };
    return (await driver.write(new PutCommand({ ...put, Item: item }))) ? { kind: 'done' } : { kind: 'moved' };
  }

  /** The record of a one-phase `C` entry the version before claim first left without one. */
  async function onePhaseRecord(txnId: string, given: PreparedOperations): Promise<void> {
    const put = decidedRecordPut(tableName, { txnId, state: 'COMMITTED', digest: given.digest, operations: given.operations, onePhase: true, now: now() });
    if (!(await driver.write(new PutCommand(put)))) {
      const record = await driver.read(txnId);
      throw new Error(`commitOnePhase of ${txnId}: committed in its item, but its record is ${record?.state ?? 'gone'} with another digest`);
    }
  }

  /**
   * The performer for one delivery. `given` is the message's redo list (this layout's are always one
   * escrow operation on one item, `target`); `recordLayout` performs the effects of a record of the
   * older layout.
   */
  function performer(txnId: string, given: PreparedOperations | undefined, target: ItemHoldTarget, recordLayout: Perform): Perform {
    const began = now();
    return async (effect, record, message) => {
      if (record !== undefined && record.layout !== ITEM_HOLD_LAYOUT) return recordLayout(effect, record, message);
      if ('call' in effect) throw new Error(`a hold in an item is Pakka's own; there is no team ${effect.call} to call`);
      switch (effect.write) {
        case 'prepare':
          if (!given) throw new Error('a prepare needs its operations');
          return effect.onePhase ? commitOnePhase(txnId, target, given, message) : prepare(txnId, target, given, message, began);
        case 'resolveClaim':
          // Someone else's claim inside its send window: its claimer is most likely alive and milliseconds from making it
          // final, and a fence now would abort a commit a duplicate start or an Express re-run merely raced. Waiting is
          // always safe (only a fence decides ABORTED); the caller's retry (the state machine's, recovery's next sweep)
          // comes back, and once the window has passed, the claimer can no longer send and the fence goes in.
          if (record?.preparedAt !== undefined && mayStillSendPrepare(record.preparedAt, now())) {
            throw new TransientFailure(`${txnId}: a one-phase commit of it is in flight here (claimed at ${record.preparedAt}); retry`);
          }
          return resolveClaim(txnId, target, { digest: record?.digest ?? given?.digest, preparedAt: record?.preparedAt, holdId: record?.holdId });
        case 'decide': {
          const prepared = given;
          if (!prepared) throw new Error(`${effect.outcome} of ${txnId}: a hold in an item is finished with the operations the message carries`);
          // A repeat after a crash between the two writes: the record stands, the item is behind.
          if (record?.itemBehind) return finishItem(txnId, target, prepared.digest, effect.outcome, appliedHoldOf(record, decidedAtOf(record) ?? now()));
          // The abort after this participant's own no: the item holds the `A` entry already, the record follows.
          if (record?.recordBehind && record.state === 'ABORTED') return abortRecord(txnId, prepared, record.voteReason);
          return decide(txnId, target, prepared, effect.outcome, record);
        }
        case 'aborted':
          return aborted(txnId, target, given?.digest, given?.operations, effect.reason, effect.onePhase);
        case 'onePhaseRecord':
          // A `C` entry of the version before claim first without its record (a crash came between the one-phase commit's
          // item write and its record): the outcome is learnt, the record written.
          if (!given) throw new Error(`the record of ${txnId}'s one-phase commit is written with the operations the message carries`);
          await onePhaseRecord(txnId, given);
          return { kind: 'done' };
        case 'releaseProvisional':
          // The item keeps the abort's entry, so it is not removed here (an aborted credit to a new item
          // leaves an item with no `version`, which every reader treats as absent).
          return { kind: 'done' };
        case 'check':
        case 'intent':
        case 'preparedFromIntent':
        case 'abortedFromIntent':
        case 'dropIntent':
          throw new Error(`${effect.write} has no hold in an item`);
      }
    };
  }

  return { read, readPhaseTwo, knowsHeld, performer };
}
