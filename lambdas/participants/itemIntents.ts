/**
 * The DynamoDB expressions of a hold that lives in its item (docs/design.md, "Holds that live in the
 * item"): every write here names one item, so none is a TransactWriteItems and none conflicts with
 * another under AWS's rules ("Transaction conflict handling in DynamoDB", developer guide: only an item
 * a transaction is writing refuses a single-item write). Pure builders; ./itemHoldRuntime.ts sends them.
 */
import type { DeleteCommandInput, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type AppliedHold, INTENT_CAP, type IntentEntry } from '../protocol/heldIntent.js';
import { type ItemUpdate, escrowAbort, escrowCommit, escrowOnePhase, escrowPrepare } from './escrow.js';
import type { EscrowPlan } from './kind.js';
import { PARTITION_KEY, recordKeyOf, spreadOf } from './table.js';

/** The record layout of a transaction whose hold lives in its item: written by commit and abort only. */
export const ITEM_HOLD_LAYOUT = 3;

/** The sparse index of items that hold a prepared entry (tableSchemas.ts). */
export const HELD_ITEMS_INDEX = 'heldItems';
export const HELD_SHARD = 'heldShard';
export const HELD_SINCE = 'heldSince';
/** Items are spread over this many index partitions, chosen from the item's key. */
export const HELD_SHARDS = 16;
export const heldShardOf = (pk: string) => `HELD#${spreadOf(pk, HELD_SHARDS)}`;
export const HELD_PARTITIONS: readonly string[] = Array.from({ length: HELD_SHARDS }, (_, i) => `HELD#${i}`);
/** The item's count of `P` entries: the index's keys may leave only while it is 0. */
export const PREPARED_COUNT = 'prepared';
/**
 * When a commit or abort last finished a hold here. Their entries leave at once, so this is what tells a busy
 * item (one finished inside the horizon) from a cold one (HeldKeys), and the sweep an idle item.
 */
export const LAST_FINISHED = 'lastFinishedAt';

/**
 * How long a record of this layout is kept: DynamoDB's TTL deletes it after this (the attribute
 * `expiresAt`, epoch seconds). Far past any transaction's deadline and recovery's window, as docs/design.md
 * requires of forgetting a transaction.
 */
export const RECORD_TTL_SECONDS = 30 * 24 * 3600;
export const RECORD_TTL_ATTRIBUTE = 'expiresAt';
/** The record's TTL, from the time of its first write (epoch seconds). */
const expiresAtOf = (now: string): number => Math.floor(Date.parse(now) / 1000) + RECORD_TTL_SECONDS;

const NAMES: Record<string, string> = {
  '#in': 'intents',
  '#prep': PREPARED_COUNT,
  '#s': 's',
  '#d': 'd',
  '#at': 'at',
  '#op': 'op',
  '#heldShard': HELD_SHARD,
  '#heldSince': HELD_SINCE,
  '#lastFin': LAST_FINISHED,
  '#n': 'n',
};

/** DynamoDB refuses a name placeholder that no expression uses, so only the used ones are given. */
function namesFor(txnId: string, expressions: readonly string[], extra: Record<string, string> = {}): Record<string, string> {
  const all: Record<string, string> = { ...NAMES, '#t': txnId, ...extra };
  const used = new Set(expressions.join(' ').match(/#\w+/g) ?? []);
  return Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name)));
}

type Update = UpdateCommandInput;

/** One conditional update of the item, escrow's names and values included; ALL_OLD tells the caller why it failed. */
function intentUpdate(
  tableName: string,
  pk: string,
  txnId: string,
  escrow: ItemUpdate,
  UpdateExpression: string,
  ConditionExpression: string,
  values: Record<string, unknown>,
): Update {
  return {
    TableName: tableName,
    Key: { [PARTITION_KEY]: pk },
    UpdateExpression,
    ConditionExpression,
    ExpressionAttributeNames: namesFor(txnId, [UpdateExpression, ConditionExpression], escrow.ExpressionAttributeNames),
    ExpressionAttributeValues: { ...escrow.ExpressionAttributeValues, ...values },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * How a write finds the item's `intents` map. `map`: it exists (the usual case), so the write sets the
 * transaction's entry in it and may remove, in passing, finished entries past the horizon (`forget`, from
 * heldIntent.ts forgottenInPassing). `fresh`: the item, or its map, does not exist yet; DynamoDB refuses
 * `SET intents.#t` there, so the write sets the whole map to the one entry, on `attribute_not_exists`.
 */
export type IntentsMapAs =
  | {
      kind: 'map';
      forget: readonly string[];
      horizon: string;
      /** Claimed one-phase `C` entries whose record the writer made COMMITTED: they go at once, whatever their age. */
      final?: readonly string[];
    }
  | { kind: 'fresh' };

export const EXISTING_MAP: IntentsMapAs = { kind: 'map', forget: [], horizon: '' };

/**
 * Finished entries removed by a write that goes to the item anyway, each on the condition that it is gone
 * already (another writer forgot it first) or finished and older than the horizon: never a prepared one.
 * `present`: each must still be there (the cold release counts the map's entries, so none may be gone).
 */
function forgetting(forget: readonly string[], horizon: string, present = false, final: readonly string[] = []) {
  const names: Record<string, string> = {};
  const removals: string[] = [];
  const guards: string[] = [];
  forget.forEach((forgotten, i) => {
    names[`#o${i}`] = forgotten;
    removals.push(`#in.#o${i}`);
    const finished = `#in.#o${i}.#s <> :p AND #in.#o${i}.#at < :horizon`;
    guards.push(present ? `(attribute_exists(#in.#o${i}) AND ${finished})` : `(attribute_not_exists(#in.#o${i}) OR (${finished}))`);
  });
  // A claimed `C` whose record is COMMITTED: still `C` (nothing else is ever written under its txnId while it is there), or gone.
  final.forEach((forgotten, i) => {
    names[`#f${i}`] = forgotten;
    removals.push(`#in.#f${i}`);
    guards.push(`(attribute_not_exists(#in.#f${i}) OR #in.#f${i}.#s = :committedEntry)`);
  });
  const values: Record<string, unknown> = {
    ...(forget.length ? { ':p': 'P', ':horizon': horizon } : {}),
    ...(final.length ? { ':committedEntry': 'C' } : {}),
  };
  return { names, removals, guards, values };
}

/** The entry's SET, the removals in passing, the condition, and the names and values they need. */
function entryWrite(txnId: string, entry: IntentEntry, as: IntentsMapAs, cap?: number) {
  if (as.kind === 'fresh') {
    return { set: '#in = :map', removals: [] as string[], condition: 'attribute_not_exists(#in)', names: {}, values: { ':map': { [txnId]: entry } } };
  }
  const passing = forgetting(as.forget, as.horizon, false, as.final);
  const condition = ['attribute_exists(#in) AND attribute_not_exists(#in.#t)', ...(cap === undefined ? [] : ['size(#in) < :cap']), ...passing.guards].join(
    ' AND ',
  );
  const values = { ':entry': entry, ...(cap === undefined ? {} : { ':cap': cap }), ...passing.values };
  return { set: '#in.#t = :entry', removals: passing.removals, condition, names: passing.names, values };
}

const removing = (removals: readonly string[]) => (removals.length ? ` REMOVE ${removals.join(', ')}` : '');

/**
 * Prepare (or commitOnePhase): the escrow update and the entry in one conditional write. The condition
 * is the intent's (no entry of this txnId: not prepared, not finished, no tombstone), the cap, and the
 * escrow bound; ALL_OLD lets the caller tell which failed (heldIntent.ts prepareRefusal).
 */
export function prepareHold(
  tableName: string,
  pk: string,
  txnId: string,
  plan: EscrowPlan,
  entry: IntentEntry,
  as: IntentsMapAs = EXISTING_MAP,
  max?: number,
): Update {
  const onePhase = entry.s === 'C';
  const escrow = onePhase ? escrowOnePhase(plan, max) : escrowPrepare(plan, max);
  const write = entryWrite(txnId, entry, as, INTENT_CAP);
  const sets = [write.set];
  // Only a P entry is in doubt: it joins the index when the item gains its first one (if_not_exists keeps the keys after).
  if (!onePhase) {
    sets.push(
      '#prep = if_not_exists(#prep, :zero) + :inc',
      `${HELD_SHARD} = if_not_exists(${HELD_SHARD}, :shard)`,
      `${HELD_SINCE} = if_not_exists(${HELD_SINCE}, :at)`,
    );
  }
  const UpdateExpression = `${escrow.UpdateExpression}, ${sets.join(', ')}${removing(write.removals)}`;
  const ConditionExpression = `${write.condition} AND (${escrow.ConditionExpression})`;
  const withNames = { ...escrow, ExpressionAttributeNames: { ...escrow.ExpressionAttributeNames, ...write.names } };
  return intentUpdate(tableName, pk, txnId, withNames, UpdateExpression, ConditionExpression, {
    ...write.values,
    ...(onePhase ? {} : { ':inc': 1, ':zero': 0, ':shard': heldShardOf(pk), ':at': entry.at }),
  });
}

/** An `A` entry where none is: the participant's own no, or a null abort's tombstone. Holds nothing. */
export function abortedEntryWrite(tableName: string, pk: string, txnId: string, entry: IntentEntry, as: IntentsMapAs = EXISTING_MAP): Update {
  const write = entryWrite(txnId, entry, as);
  const UpdateExpression = `SET ${write.set}${removing(write.removals)}`;
  return {
    TableName: tableName,
    Key: { [PARTITION_KEY]: pk },
    UpdateExpression,
    ConditionExpression: write.condition,
    ExpressionAttributeNames: namesFor(txnId, [UpdateExpression, write.condition], write.names),
    ExpressionAttributeValues: write.values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * How commit or abort treats the item's `heldItems` keys (docs/design.md, "The sparse index"). `keep`: the
 * item is busy (another hold finished here inside the horizon, another entry, or other `P` entries), so its keys
 * stay and leave lazily (recovery's sweep removes them once the item has held nothing for a while, heldKeysTidy
 * below): the next prepare there writes no index entry. `cold`: the entry is the item's only `P` and, once the
 * entries named to forget are gone, its only entry at all, and no hold finished here inside the horizon; the keys
 * go in the same write (one index delete, and no tidy later). The write's condition enforces the variant, so a
 * wrong guess is a refused write, never a held item missing from the index.
 */
export type HeldKeys = 'keep' | 'cold';

/** What a process last saw of an item, for the cold-or-busy guess: every entry's txnId, its `P` count, its last finish. */
export interface HeldKeysView {
  entries: readonly string[];
  prepared: number | undefined;
  lastFinishedAt: string | undefined;
}

/**
 * The variant a commit or abort of `txnId` sends, from the item as last seen: cold when the entry is its only `P`,
 * every other entry is among those the write forgets, and no hold finished here since `horizon`. No view: busy,
 * which is never refused for it (the tidy takes the keys later).
 */
export function heldKeysGuess(view: HeldKeysView | undefined, txnId: string, forget: readonly string[], horizon: string): HeldKeys {
  if (view?.prepared !== 1 || !view.entries.includes(txnId)) return 'keep';
  if (view.lastFinishedAt !== undefined && view.lastFinishedAt >= horizon) return 'keep';
  return view.entries.every((id) => id === txnId || forget.includes(id)) ? 'cold' : 'keep';
}

/** The entry is this digest's `P`. */
const HELD_ENTRY_IS = '#in.#t.#s = :p AND #in.#t.#d = :d';

/** The condition that the `P` entry is the hold a COMMITTED record applies (heldIntent.ts AppliedHold), and its values. */
function appliedHoldCondition(hold: AppliedHold): { condition: string; values: Record<string, unknown> } {
  return 'holdId' in hold
    ? { condition: '#in.#t.#n = :holdId', values: { ':holdId': hold.holdId } }
    : { condition: '#in.#t.#at <= :strayAfter', values: { ':strayAfter': hold.strayAfter } };
}

/**
 * The item's half of commit or abort: the entry removed (the record, written first, answers from now on; docs/design.md,
 * "Forgetting"), the escrow commit or release, one prepared fewer, the time of this finish (`lastFinishedAt`), and
 * finished entries past the horizon removed in passing; the index keys as `keys` says (HeldKeys). A commit applies only
 * the hold its record names (`hold`); any other `P` entry of the transaction is a stray, which releaseStrayHold releases
 * instead. An abort releases whichever `P` entry of the digest is there.
 */
export function decideHold(
  tableName: string,
  pk: string,
  txnId: string,
  plan: EscrowPlan,
  digest: string,
  outcome: 'COMMITTED' | 'ABORTED',
  at: string,
  hold: AppliedHold,
  forget: readonly string[] = [],
  horizon = '',
  keys: HeldKeys = 'keep',
  final: readonly string[] = [],
): Update {
  const escrow = outcome === 'COMMITTED' ? escrowCommit(plan) : escrowAbort(plan);
  // Cold counts the map's entries, so it never also removes claimed ones (heldKeysGuess sees them and says keep).
  const cold = keys === 'cold' && final.length === 0;
  const passing = forgetting(forget, horizon, cold, final);
  // A commit whose record names the hold by landing, and any abort, leave at once: the stray guard then needs no entry
  // (an abort releases any landing alike). A commit of an entry from before entries carried a landing (the guard is the
  // clock's) keeps `{s, at}` for the horizon, as then: the clock's guard is safe only while that entry blocks a late prepare.
  const atOnce = 'holdId' in hold || outcome === 'ABORTED';
  const entry = atOnce ? ['#in.#t'] : ['#in.#t.#op', '#in.#t.#d'];
  const remove = [...entry, ...passing.removals, ...(cold ? ['#heldShard', '#heldSince'] : [])];
  const finished = atOnce ? '' : ', #in.#t.#s = :to, #in.#t.#at = :at';
  const UpdateExpression = `${escrow.UpdateExpression}, #prep = #prep - :inc, #lastFin = :at${finished} REMOVE ${remove.join(', ')}`;
  const applied = outcome === 'COMMITTED' ? appliedHoldCondition(hold) : { condition: undefined, values: {} };
  // Cold: this is the item's last `P` (so `prepared` goes to 0 with the keys: I5), nothing else stays in the map, and no
  // other hold finished here inside the horizon.
  const coldGuard = cold ? ['#prep = :inc', 'size(#in) = :entries', '(attribute_not_exists(#lastFin) OR #lastFin < :coldSince)'] : [];
  const ConditionExpression = [
    HELD_ENTRY_IS,
    ...(applied.condition ? [applied.condition] : []),
    ...coldGuard,
    ...passing.guards,
    `(${escrow.ConditionExpression})`,
  ].join(' AND ');
  const withNames = { ...escrow, ExpressionAttributeNames: { ...escrow.ExpressionAttributeNames, ...passing.names } };
  return intentUpdate(tableName, pk, txnId, withNames, UpdateExpression, ConditionExpression, {
    ...passing.values,
    ...applied.values,
    ...(cold ? { ':entries': 1 + forget.length, ':coldSince': horizon } : {}),
    ...(atOnce ? {} : { ':to': 'C' }),
    ':p': 'P',
    ':d': digest,
    ':at': at,
    ':inc': 1,
  });
}

/**
 * A stray `P` entry (not the hold its COMMITTED record applies: a duplicate prepare that landed after the commit
 * removed the real one) is released and removed: it was never part of that decision, so applying it would apply
 * the transaction twice.
 */
export function releaseStrayHold(tableName: string, pk: string, txnId: string, plan: EscrowPlan, digest: string, hold: AppliedHold): Update {
  const escrow = escrowAbort(plan);
  const applied = appliedHoldCondition(hold);
  const UpdateExpression = `${escrow.UpdateExpression}, #prep = #prep - :inc REMOVE #in.#t`;
  const ConditionExpression = `${HELD_ENTRY_IS} AND NOT (${applied.condition}) AND (${escrow.ConditionExpression})`;
  return intentUpdate(tableName, pk, txnId, escrow, UpdateExpression, ConditionExpression, { ':p': 'P', ':d': digest, ':inc': 1, ...applied.values });
}

export interface DecidedRecord {
  txnId: string;
  state: 'COMMITTED' | 'ABORTED';
  digest: string | undefined;
  operations: readonly unknown[] | undefined;
  onePhase: boolean;
  now: string;
  /** When the entry was prepared, as its `P` entry said: the timeline's prepare span (a record of the older layout keeps it too). */
  preparedAt?: string | undefined;
  /** The landing of the `P` entry this decision is about (its `n`): the one hold a commit applies. */
  holdId?: string | undefined;
}

/**
 * The record of this layout, written before the item (so every finished entry has its record): no
 * record yet, or the same outcome with the same digest already (the same write sent again: a repeated delivery,
 * or the SDK's resend). Its callers without `exclusive` are the records that follow an `A` entry (a null abort's,
 * the participant's own no's) and a one-phase commit's.
 * `exclusive`: no record yet, nothing else (commit and abort of a `P` entry, sent before any read of the
 * record): a record already there is never rewritten, so its time, which the stray guard counts from, stays
 * the first decision's, and ALL_OLD hands it back for the step to answer from (`ReturnValuesOnConditionCheckFailure`
 * on PutItem, DynamoDB API Reference, "PutItem": no read capacity consumed).
 */
export function decidedRecordPut(tableName: string, record: DecidedRecord, exclusive = false): PutCommandInput {
  const { txnId, state, digest, operations, onePhase, now, preparedAt, holdId } = record;
  const same = digest === undefined || exclusive ? '' : ' OR (#state = :state AND digest = :digest)';
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(txnId),
      txnId,
      state,
      layout: ITEM_HOLD_LAYOUT,
      ...(digest !== undefined ? { digest } : {}),
      ...(operations ? { operations } : {}),
      ...(onePhase ? { onePhase: true } : {}),
      ...(preparedAt !== undefined ? { preparedAt } : {}),
      ...(holdId !== undefined ? { holdId } : {}),
      [state === 'COMMITTED' ? 'committedAt' : 'abortedAt']: now,
      [RECORD_TTL_ATTRIBUTE]: expiresAtOf(now),
    },
    ConditionExpression: `attribute_not_exists(${PARTITION_KEY})${same}`,
    ...(same === '' ? {} : { ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':state': state, ':digest': digest } }),
    ...(exclusive ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
  };
}

export interface ClaimedRecord {
  txnId: string;
  digest: string;
  operations: readonly unknown[];
  /** When the claim is put: its `preparedAt`, which the claimer's send window and a fence's wait count from. */
  now: string;
  /** The claimer's landing: only it makes the claim final as COMMITTED without a fence, and only it takes the claim back. */
  holdId: string;
}

/**
 * A `commitOnePhase`'s claim (docs/design.md, "Claim first"): the record, PREPARED and `onePhase`, put only where no
 * record is, before the one item write. A record already there is handed back (ALL_OLD, no read capacity): a final
 * one answers, a claim is resolved.
 */
export function claimRecordPut(tableName: string, claim: ClaimedRecord): PutCommandInput {
  const { txnId, digest, operations, now, holdId } = claim;
  return {
    TableName: tableName,
    Item: {
      ...recordKeyOf(txnId),
      txnId,
      state: 'PREPARED',
      layout: ITEM_HOLD_LAYOUT,
      digest,
      operations,
      onePhase: true,
      preparedAt: now,
      holdId,
      [RECORD_TTL_ATTRIBUTE]: expiresAtOf(now),
    },
    ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * The claim made final with the outcome the item shows, while it is still a claim. `holdId`: the claimer's own finalize
 * (its item write landed, or its bound refused it), which only its claim allows. `voteReason`: the participant's own no.
 */
export function finalizeClaim(
  tableName: string,
  txnId: string,
  outcome: 'COMMITTED' | 'ABORTED',
  now: string,
  holdId?: string,
  voteReason?: string,
): UpdateCommandInput {
  const at = outcome === 'COMMITTED' ? 'committedAt' : 'abortedAt';
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    UpdateExpression: `SET #state = :to, #decidedAt = :now${voteReason !== undefined ? ', #voteReason = :reason' : ''}`,
    ConditionExpression: `#state = :claimed AND #onePhase = :true${holdId !== undefined ? ' AND #holdId = :holdId' : ''}`,
    ExpressionAttributeNames: {
      '#state': 'state',
      '#decidedAt': at,
      '#onePhase': 'onePhase',
      ...(voteReason !== undefined ? { '#voteReason': 'voteReason' } : {}),
      ...(holdId !== undefined ? { '#holdId': 'holdId' } : {}),
    },
    ExpressionAttributeValues: {
      ':to': outcome,
      ':now': now,
      ':claimed': 'PREPARED',
      ':true': true,
      ...(voteReason !== undefined ? { ':reason': voteReason } : {}),
      ...(holdId !== undefined ? { ':holdId': holdId } : {}),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** The claimer takes its claim back when its item write was refused as "not now" (a full item): nothing was sent that may land. */
export function withdrawClaim(tableName: string, txnId: string, holdId: string): DeleteCommandInput {
  return {
    TableName: tableName,
    Key: recordKeyOf(txnId),
    ConditionExpression: '#state = :claimed AND #holdId = :holdId',
    ExpressionAttributeNames: { '#state': 'state', '#holdId': 'holdId' },
    ExpressionAttributeValues: { ':claimed': 'PREPARED', ':holdId': holdId },
  };
}

/**
 * Every attribute recovery's tidy names (the key, the index's two keys, the count its condition reads): its IAM
 * grant on participant tables is limited to these (infra/constructs/recovery.ts, `dynamodb:Attributes`).
 */
export const HELD_TIDY_ATTRIBUTES: readonly string[] = [PARTITION_KEY, HELD_SHARD, HELD_SINCE, PREPARED_COUNT];

/**
 * Recovery's sweep takes an idle item out of `heldItems` (docs/design.md, "The sparse index"): the index's keys
 * go, on the condition that the item holds no `P` entry and has been in the index since before `idleBefore`.
 * One single-item write, so a prepare racing it either lands first (then `prepared` is not 0 and the tidy is
 * refused) or after (then its `if_not_exists` sets the keys again). Every name is a placeholder, so the
 * attributes the request names are exactly HELD_TIDY_ATTRIBUTES; no ReturnValues, which IAM's grant requires.
 */
export function heldKeysTidy(tableName: string, pk: string, idleBefore: string): Update {
  return {
    TableName: tableName,
    Key: { [PARTITION_KEY]: pk },
    UpdateExpression: 'REMOVE #shard, #since',
    ConditionExpression: '#prep = :zero AND #since < :idleBefore',
    ExpressionAttributeNames: { '#shard': HELD_SHARD, '#since': HELD_SINCE, '#prep': PREPARED_COUNT },
    ExpressionAttributeValues: { ':zero': 0, ':idleBefore': idleBefore },
  };
}

/** Forgets finished entries past the horizon in a write of its own (the pass that read their records first). */
export function forgetEntries(tableName: string, pk: string, txnIds: readonly string[], horizon: string): Update {
  const passing = forgetting(txnIds, horizon);
  return {
    TableName: tableName,
    Key: { [PARTITION_KEY]: pk },
    UpdateExpression: `REMOVE ${passing.removals.join(', ')}`,
    ConditionExpression: passing.guards.join(' AND '),
    ExpressionAttributeNames: { '#in': 'intents', '#s': 's', '#at': 'at', ...passing.names },
    ExpressionAttributeValues: passing.values,
  };
}
