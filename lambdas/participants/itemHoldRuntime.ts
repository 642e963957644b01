/**
 * The edge of a hold that lives in its item (docs/design.md, "Holds that live in the item"): reads a
 * transaction's state from its record and its item's entry, and performs the participant step's effects
 * as single-item writes (./itemIntents.ts). A record of the older layout (a table holding records from
 * before this layout) is finished by the record layout's own performer, passed in as `recordLayout`.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  FORGET_FROM_HELD,
  type FinishingWrite,
  INTENT_HORIZON_MS,
  type IntentEntry,
  abortedEntry,
  finishingWrite,
  forgettableEntries,
  intentEntryOf,
  intentFacts,
  nextForgetAt,
  prepareRefusal,
  preparedEntry,
  recordCoversEntry,
  strayAfterOf,
} from '../protocol/heldIntent.js';
import { batchReadConsistent } from './batchRead.js';
import type { ParticipantEffect, ParticipantMessage } from '../protocol/participantStep.js';
import type { AbortReason } from '../protocol/vote.js';
import { classified } from './errors.js';
import { escrowUpgrade, isLegacyEscrowItem } from './escrow.js';
import type { ItemHoldTarget } from './holdLayout.js';
import { ITEM_HOLD_LAYOUT, abortedEntryWrite, decideHold, decidedRecordPut, forgetEntries, intentsMap, prepareHold, releaseStrayHold } from './itemIntents.js';
import type { EffectReport, ParticipantDriver } from './participantDriver.js';
import { type StoredRecord, storedRecord } from './record.js';
import { PARTITION_KEY, recordKeyOf } from './table.js';
import type { PreparedOperations } from './transactions.js';

/** A record as the step reads it; for this layout, possibly assembled from the item's entry. */
export type HeldRecord = StoredRecord & { itemBehind?: boolean; recordBehind?: boolean };

type Report = EffectReport<HeldRecord>;
type Perform = (effect: ParticipantEffect, record: HeldRecord | undefined, message: ParticipantMessage) => Promise<Report>;

/** How often one effect re-sends its write when the item moved under it in a way the write itself handles. */
const WRITE_ATTEMPTS = 4;

/** The step's view of a transaction in this layout: the record when it is of this layout, else the entry. */
export function heldRecordOf(txnId: string, record: StoredRecord | undefined, entry: IntentEntry | undefined): HeldRecord | undefined {
  if (record && record.layout !== ITEM_HOLD_LAYOUT) return record;
  const decided =
    record && record.state !== 'PREPARED'
      ? { state: record.state, ...(record.digest !== undefined ? { digest: record.digest } : {}), onePhase: record.onePhase ?? false }
      : undefined;
  const facts = intentFacts(decided, entry);
  if (!facts || facts.state === 'PREPARING') return undefined;
  if (record) return { ...record, ...(facts.itemBehind ? { itemBehind: true } : {}) };
  return {
    txnId,
    state: facts.state,
    layout: ITEM_HOLD_LAYOUT,
    ...(facts.digest !== undefined ? { digest: facts.digest } : {}),
    ...(facts.voteReason !== undefined ? { voteReason: facts.voteReason } : {}),
    ...(facts.onePhase ? { onePhase: true } : {}),
    ...(facts.recordBehind ? { recordBehind: true } : {}),
    ...(entry?.s === 'P' ? { operations: [entry.op], preparedAt: entry.at } : {}),
  };
}

/** When the record decided: the time its write carries. */
const decidedAtOf = (record: HeldRecord): string | undefined => (record.state === 'COMMITTED' ? record.committedAt : record.abortedAt);

export interface ItemHoldsOptions {
  tableName: string;
  client: DynamoDBDocumentClient;
  driver: ParticipantDriver<HeldRecord>;
  now: () => string;
}

export function itemHolds({ tableName, client, driver, now }: ItemHoldsOptions) {
  /** The record and the item's entry, each read consistently. */
  async function read(txnId: string, pk: string): Promise<HeldRecord | undefined> {
    const [record, item] = await Promise.all([
      driver.read(txnId),
      classified(
        client.send(
          new GetCommand({
            TableName: tableName,
            Key: { [PARTITION_KEY]: pk },
            ConsistentRead: true,
            ProjectionExpression: '#in.#t',
            ExpressionAttributeNames: { '#in': 'intents', '#t': txnId },
          }),
        ),
      ),
    ]);
    const intents = item.Item?.intents as Record<string, unknown> | undefined;
    return heldRecordOf(txnId, record, intentEntryOf(intents?.[txnId]));
  }

  /** A nested write needs the item's `intents` map; create it when the item as it was had none. */
  async function withIntents(send: () => ReturnType<ParticipantDriver<HeldRecord>['update']>, pk: string) {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const out = await send();
      if (out.written || out.old?.intents !== undefined) return out;
      await driver.write(new UpdateCommand(intentsMap(tableName, pk)));
    }
    throw new Error(`item ${pk}: its intents map could not be created`);
  }

  async function prepare(txnId: string, target: ItemHoldTarget, given: PreparedOperations, message: ParticipantMessage, onePhase: boolean): Promise<Report> {
    if (message.action !== 'prepare') throw new Error('a prepare needs the prepare that asked for it');
    const { pk, plan } = target;
    const entry = preparedEntry(given.digest, given.operations[0], now(), onePhase);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const out = await withIntents(
        () => driver.update(new UpdateCommand({ ...prepareHold(tableName, pk, txnId, plan, entry), ReturnValues: 'UPDATED_NEW' })),
        pk,
      );
      if (out.written) {
        if (typeof out.attributes?.held === 'number' && out.attributes.held >= FORGET_FROM_HELD) await forget(pk);
        return { kind: 'done' };
      }
      const old = out.old;
      const refusal = prepareRefusal(
        old && {
          intents: old.intents as Record<string, unknown>,
          ...(typeof old.held === 'number' ? { held: old.held } : {}),
          ...(typeof old.lockedBy === 'string' ? { lockedBy: old.lockedBy } : {}),
          legacy: isLegacyEscrowItem(old, plan.quantity),
        },
        txnId,
      );
      const refused = (reason: AbortReason): Report => ({ kind: 'report', message: { action: 'refused', prepare: message, reason }, from: 'nothing' });
      switch (refusal.kind) {
        case 'noIntents':
          continue;
        case 'entry':
          return { kind: 'moved' };
        case 'lockConflict':
          // A full item: forget what may be forgotten, so the coordinator's retry of this prepare finds room.
          await forget(pk, true);
          return refused('LOCK_CONFLICT');
        case 'business':
          return refused(plan.shortReason);
        case 'upgrade':
          await driver.write(new UpdateCommand({ TableName: tableName, Key: { [PARTITION_KEY]: pk }, ...escrowUpgrade(plan.quantity) }));
          continue;
      }
    }
    throw new Error(`prepare of ${txnId} on ${pk} kept meeting an item it had to change first`);
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
    const notBefore = forgetNotBefore.get(pk);
    if (!force && notBefore !== undefined && at < notBefore) return;
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
    const candidates = forgettableEntries(intents, horizon);
    const records = candidates.length
      ? new Map(
          (
            await batchReadConsistent(
              client,
              tableName,
              candidates.map(({ txnId }) => recordKeyOf(txnId)),
            )
          ).map((item) => {
            const record = storedRecord(item);
            return [record.txnId, record] as const;
          }),
        )
      : new Map<string, StoredRecord>();
    const covered = new Set(
      candidates
        .filter(({ txnId, entry }) => {
          const record = records.get(txnId);
          return recordCoversEntry(entry, record && record.state !== 'PREPARED' ? { state: record.state } : undefined);
        })
        .map((c) => c.txnId),
    );
    if (covered.size) await driver.write(new UpdateCommand(forgetEntries(tableName, pk, [...covered], horizon)));
    const kept = Object.entries(intents).flatMap(([txnId, raw]) => {
      const entry = intentEntryOf(raw);
      return entry && entry.s !== 'P' && !covered.has(txnId) ? [entry] : [];
    });
    forgetNotBefore.set(pk, nextForgetAt(kept, at));
  }

  /** The record first, then the item: every finished entry has its record, and a crash between is finished by a repeat. */
  async function decide(txnId: string, target: ItemHoldTarget, prepared: PreparedOperations, outcome: 'COMMITTED' | 'ABORTED'): Promise<Report> {
    const at = now();
    const put = decidedRecordPut(tableName, { txnId, state: outcome, digest: prepared.digest, operations: prepared.operations, onePhase: false, now: at });
    if (!(await driver.write(new PutCommand(put)))) return { kind: 'moved' };
    return finishItem(txnId, target, prepared.digest, outcome, at);
  }

  /** The item write of a decided record (`decidedAt`, its time): applies the entry the decision was about, releases a stray one. */
  async function finishItem(txnId: string, { pk, plan }: ItemHoldTarget, digest: string, outcome: 'COMMITTED' | 'ABORTED', decidedAt: string): Promise<Report> {
    const strayAfter = strayAfterOf(decidedAt);
    let write: FinishingWrite = { stray: false, last: false };
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const update = write.stray
        ? releaseStrayHold(tableName, pk, txnId, plan, digest, strayAfter, write.last)
        : decideHold(tableName, pk, txnId, plan, digest, outcome, now(), write.last, strayAfter);
      const out = await driver.update(new UpdateCommand(update));
      if (out.written) return { kind: 'done' };
      const next = finishingWrite(intentEntryOf((out.old?.intents as Record<string, unknown> | undefined)?.[txnId]), digest, strayAfter, out.old?.prepared);
      // Finished by a concurrent delivery, or never prepared: the step reads again and answers.
      if (!next) return { kind: 'moved' };
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
  ): Promise<Report> {
    const at = now();
    const out = await withIntents(() => driver.update(new UpdateCommand(abortedEntryWrite(tableName, pk, txnId, abortedEntry(digest, at, reason)))), pk);
    if (!out.written) return { kind: 'moved' };
    if (reason !== undefined) return { kind: 'done' };
    const put = decidedRecordPut(tableName, { txnId, state: 'ABORTED', digest, operations, onePhase: false, now: at });
    return (await driver.write(new PutCommand(put))) ? { kind: 'done' } : { kind: 'moved' };
  }

  /** The one-phase commit's entry is the decision; the record follows in the same delivery. */
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
    return async (effect, record, message) => {
      if (record !== undefined && record.layout !== ITEM_HOLD_LAYOUT) return recordLayout(effect, record, message);
      if ('call' in effect) throw new Error(`a hold in an item is Pakka's own; there is no team ${effect.call} to call`);
      switch (effect.write) {
        case 'prepare': {
          if (!given) throw new Error('a prepare needs its operations');
          const report = await prepare(txnId, target, given, message, effect.onePhase);
          if (report.kind === 'done' && effect.onePhase) await onePhaseRecord(txnId, given);
          return report;
        }
        case 'decide': {
          const prepared = given;
          if (!prepared) throw new Error(`${effect.outcome} of ${txnId}: a hold in an item is finished with the operations the message carries`);
          // A repeat after a crash between the two writes: the record stands, the item is behind.
          if (record?.itemBehind) return finishItem(txnId, target, prepared.digest, effect.outcome, decidedAtOf(record) ?? now());
          return decide(txnId, target, prepared, effect.outcome);
        }
        case 'aborted':
          return aborted(txnId, target, given?.digest, given?.operations, effect.reason);
        case 'onePhaseRecord':
          // A crash came between the one-phase commit's item write and its record: the outcome is learnt, the record written.
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

  return { read, performer };
}

/** The driver's parse of a stored record, typed for this layout's view. */
export const heldRecord = (item: Record<string, unknown>): HeldRecord => storedRecord(item);
