/**
 * The participant runtime: turns a participant kind into the handler that answers prepare, commit,
 * abort and status against the participant's own table. What each delivery means is the one participant
 * step (../protocol/participantStep.ts); the race loop and the record read are the shared driver's
 * (./participantDriver.ts); this file turns the step's effects into this layout's writes.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ParticipantEffect, ParticipantMessage, PrepareMessage } from '../protocol/participantStep.js';
import { ProtocolViolation, REFUSED_OPERATIONS_DIGEST, TransientFailure } from '../protocol/participantState.js';
import type { AbortReason } from '../protocol/vote.js';
import { batchReadConsistent } from './batchRead.js';
import { type CancellationReason, readCancellation } from './cancellation.js';
import { spreadsOverShards } from '../protocol/sharding.js';
import { conflictRetryingClient } from './conflictRetry.js';
import {
  type ItemTarget,
  type Placement,
  type Placements,
  type ShardedKeys,
  needsSplit,
  shardPksOf,
  splitConsumption,
  supplyPlacement,
  supplyShard,
  targetsOf,
} from './hotItems.js';
import type { ParticipantKind } from './kind.js';
import type { StatusAnswer } from '../contract/participantProtocol.js';
import type { ParticipantAnswer } from './message.js';
import { validatedOperations } from './operations.js';
import { type EffectReport, participantDriver } from './participantDriver.js';
import { refuseLayoutless, storedRecord } from './record.js';
import { heldEntryOf } from './heldItemsIndex.js';
import { HOLDS_IN_ITEMS_BY_DEFAULT, holdLayoutOf } from './holdLayout.js';
import { type HeldRecord, heldRecord, isClaim } from './heldRecord.js';
import { itemHolds } from './itemHoldRuntime.js';
import { ITEM_HOLD_LAYOUT } from './itemIntents.js';
import { PARTITION_KEY } from './table.js';
import {
  type PreparedOperations,
  abortTransaction,
  abortedRecord,
  commitOnePhaseTransaction,
  commitTransaction,
  prepareTransaction,
  provisionalRemovals,
  readOnlyCheckTransaction,
} from './transactions.js';
import { dispatchParticipantRequest } from './dispatch.js';
import { InvalidParticipantRequest, classified } from './errors.js';

export interface ParticipantRuntimeOptions {
  /** The participant's name in the config, used in answers and errors. */
  name: string;
  kind: ParticipantKind;
  tableName: string;
  client: DynamoDBDocumentClient;
  /** Hot keys spread over shard items (hotItems.ts), from the participant config. */
  shardedKeys?: ShardedKeys;
  now?: () => string;
  /** Whether one-item escrows hold in their item (holdLayout.ts); the record layout when false. */
  holdsInItems?: boolean;
}

export type ParticipantHandler = (event: unknown) => Promise<ParticipantAnswer>;

const NO_SHARDS: ShardedKeys = new Map();

type Report = EffectReport<HeldRecord>;

export function participantHandler(options: ParticipantRuntimeOptions): ParticipantHandler {
  const { name, kind, tableName } = options;
  const client = conflictRetryingClient(options.client);
  const sharded = options.shardedKeys ?? NO_SHARDS;
  const now = options.now ?? (() => new Date().toISOString());
  const driver = participantDriver({ name, holder: 'items', tableName, client, parse: heldRecord });
  const holds = itemHolds({ tableName, client, driver, now });
  const layoutOf = (prepared: PreparedOperations) => holdLayoutOf(prepared.plans, sharded, options.holdsInItems);

  function prepareOperations(raw: readonly unknown[], field: string): PreparedOperations {
    const { operations, digest } = validatedOperations(kind.operation, raw, field);
    const plans = operations.map((op) => kind.plan(op));
    plans.forEach((plan, i) => {
      if (sharded.has(plan.key) && !spreadsOverShards(plan)) {
        throw new InvalidParticipantRequest(`${field}[${i}]: key ${plan.key} is sharded, and only credits and debits can spread over shards`);
      }
    });
    return { operations, plans, digest, readOnly: plans.every((p) => p.hold === 'check') };
  }

  /**
   * An abort whose operations this participant refuses as invalid: its prepare refused them too, so
   * they hold nothing here, and the abort still ends the transaction (a tombstone, or the record's
   * own answer), never an InvalidRequest that would leave it ABORTING for ever (issue 21 D14).
   */
  function refusesAsInvalid(raw: readonly unknown[]): boolean {
    try {
      prepareOperations(raw, 'operations');
      return false;
    } catch (error) {
      if (error instanceof InvalidParticipantRequest) return true;
      throw error;
    }
  }

  /**
   * Where each escrowed operation on a sharded key lands: credits on the shard the txnId picks,
   * debits split over what the shards hold now (one consistent read of them). Undefined placements
   * mean the shards together cannot cover a debit.
   */
  async function placementsFor(txnId: string, prepared: PreparedOperations): Promise<{ placements: Placements } | { short: AbortReason }> {
    const placements: Record<string, Placement[]> = {};
    for (const plan of prepared.plans) {
      const shards = sharded.get(plan.key);
      if (shards === undefined || plan.hold !== 'escrow') continue;
      if (plan.direction === 'supply') {
        placements[plan.key] = supplyPlacement(txnId, plan, shards);
        continue;
      }
      const pks = shardPksOf(plan.key, shards);
      const items = await classified(
        batchReadConsistent(
          client,
          tableName,
          pks.map((pk) => ({ [PARTITION_KEY]: pk })),
        ),
      );
      const byPk = new Map(items.map((item) => [item[PARTITION_KEY] as string, item]));
      const available = pks.map((pk) => {
        const item = byPk.get(pk);
        const value = item?.available ?? item?.[plan.quantity];
        return typeof value === 'number' ? value : 0;
      });
      const split = splitConsumption(plan.amount, available, supplyShard(txnId, plan.key, shards));
      if (!split) return { short: plan.shortReason };
      placements[plan.key] = split.map((p) => ({ pk: pks[p.index]!, amount: p.amount }));
    }
    return { placements };
  }

  /** What a cancelled prepare or check means, in the step's words. */
  async function refused(txnId: string, message: PrepareMessage, reasons: CancellationReason[], targets: readonly ItemTarget[]): Promise<Report> {
    const verdict = readCancellation(txnId, reasons, targets);
    switch (verdict.kind) {
      case 'recordExists':
        return verdict.record ? { kind: 'moved', record: storedRecord(verdict.record) } : { kind: 'moved' };
      case 'voteAbort':
        return { kind: 'report', message: { action: 'refused', prepare: message, reason: verdict.reason }, from: 'nothing' };
      case 'resplit':
        return { kind: 'again' };
      case 'transient':
        throw new TransientFailure(`prepare of ${txnId} was cancelled by a concurrent write; retry`);
      case 'unexpected':
        throw new Error(`prepare of ${txnId} was cancelled for an unexpected reason: ${verdict.codes.join(', ')}`);
    }
  }

  /** The redo list a transition applies: the message's (checked against the record's digest by the step) or the record's. */
  function redoList(txnId: string, given: PreparedOperations | undefined, record: HeldRecord | undefined, to: 'COMMITTED' | 'ABORTED'): PreparedOperations {
    if (given) return given;
    if (record?.operations) return prepareOperations(record.operations, 'stored operations');
    if (to === 'COMMITTED') throw new ProtocolViolation('COMMIT_WITHOUT_PREPARE', txnId, name);
    throw new Error(`record of ${txnId} is PREPARED but holds no operations`);
  }

  function performer(txnId: string, given: PreparedOperations | undefined) {
    return async (effect: ParticipantEffect, record: HeldRecord | undefined, message: ParticipantMessage): Promise<Report> => {
      const moved = (written: boolean): Report => (written ? { kind: 'done' } : { kind: 'moved' });
      if ('call' in effect) throw new Error(`participant ${name}: Pakka holds its items itself; there is no team ${effect.call} to call`);
      switch (effect.write) {
        case 'check': {
          if (!given || message.action !== 'prepare') throw new Error('a check needs the prepare that asked for it');
          const targets = targetsOf(given.plans, txnId, sharded);
          const reasons = await driver.transact(readOnlyCheckTransaction(tableName, txnId, targets));
          return reasons === null ? { kind: 'done' } : refused(txnId, message, reasons, targets);
        }
        case 'prepare': {
          if (!given || message.action !== 'prepare') throw new Error('a prepare needs its operations');
          const placed = await placementsFor(txnId, given);
          if ('short' in placed) return { kind: 'report', message: { action: 'refused', prepare: message, reason: placed.short }, from: 'nothing' };
          const targets = targetsOf(given.plans, txnId, sharded, placed.placements);
          const build = effect.onePhase ? commitOnePhaseTransaction : prepareTransaction;
          const reasons = await driver.transact(build(tableName, txnId, given, targets, placed.placements, now()));
          return reasons === null ? { kind: 'done' } : refused(txnId, message, reasons, targets);
        }
        case 'decide': {
          refuseLayoutless(txnId, record);
          const prepared = redoList(txnId, given, record, effect.outcome);
          const targets = targetsOf(prepared.plans, txnId, sharded, record?.placements);
          const build = effect.outcome === 'COMMITTED' ? commitTransaction : abortTransaction;
          return moved((await driver.transact(build(tableName, txnId, { ...prepared, readOnly: false }, targets, now()))) === null);
        }
        case 'releaseProvisional': {
          refuseLayoutless(txnId, record);
          // What the record prepared: a repeated abort may carry no operations.
          const prepared = record?.operations ? prepareOperations(record.operations, 'stored operations') : redoList(txnId, given, record, 'ABORTED');
          const targets = targetsOf(prepared.plans, txnId, sharded, record?.placements);
          // Each removal's condition makes it a no-op wherever the item is not provisional.
          for (const removal of provisionalRemovals(tableName, txnId, targets)) await driver.write(new DeleteCommand(removal));
          return { kind: 'done' };
        }
        case 'aborted':
          return moved(await driver.write(new PutCommand(abortedRecord(tableName, txnId, now(), given?.digest, effect.reason, effect.onePhase))));
        case 'onePhaseRecord':
          throw new Error(`participant ${name}: a one-phase commit of the record layout is its record; it is never missing`);
        case 'resolveClaim':
          throw new Error(`participant ${name}: a one-phase claim is a hold in its item's; the record layout claims nothing`);
        case 'intent':
        case 'preparedFromIntent':
        case 'abortedFromIntent':
        case 'dropIntent':
          throw new Error(`participant ${name}: ${effect.write} is the barrier's; Pakka's runtime never writes an intent`);
      }
    };
  }

  function prepare(txnId: string, prepared: PreparedOperations, onePhase: boolean) {
    const message: PrepareMessage = { action: 'prepare', digest: prepared.digest, onePhase, readOnly: prepared.readOnly };
    // Fast path: no record yet is the common case, and the first write's condition keeps out any other.
    const layout = layoutOf(prepared);
    if (layout.kind === 'item') {
      const perform = holds.performer(txnId, prepared, layout.target, performer(txnId, prepared));
      return driver.drive({ txnId, message, start: { assume: undefined }, read: () => holds.read(txnId, layout.target.pk), perform });
    }
    return driver.drive({ txnId, message, start: { assume: undefined }, perform: performer(txnId, prepared) });
  }

  /**
   * Commit and abort: when the message carries the operations and nothing forces a read, the transition is
   * sent at once on the assumption that the record is PREPARED with them (its condition checks that); a
   * split debit is wherever prepare put it, and a check-only list prepared nothing, so only the record knows.
   */
  function phaseTwo(txnId: string, raw: readonly unknown[] | undefined, to: 'COMMITTED' | 'ABORTED') {
    const refused = to === 'ABORTED' && raw !== undefined && refusesAsInvalid(raw);
    const given = raw && !refused ? prepareOperations(raw, 'operations') : undefined;
    const message: ParticipantMessage =
      to === 'COMMITTED'
        ? { action: 'commit', digest: given?.digest, readOnly: given?.readOnly ?? false }
        : { action: 'abort', digest: refused ? REFUSED_OPERATIONS_DIGEST : given?.digest };
    const layout = given ? layoutOf(given) : { kind: 'record' as const };
    if (layout.kind === 'item') {
      // The state is in two places (the record once decided, the entry until then). A `P` entry this process
      // wrote is still `P` while no record exists, and the record's write checks that, so nothing is read first;
      // otherwise the entry is read, and the record only when the entry is not this digest's `P` (itemHoldRuntime.ts).
      const { pk } = layout.target;
      const perform = holds.performer(txnId, given, layout.target, performer(txnId, given));
      const start = holds.knowsHeld(txnId, pk, given?.digest)
        ? { assume: { state: 'PREPARED' as const, digest: given?.digest, redo: true } }
        : ('read' as const);
      return driver.drive({ txnId, message, start, read: () => holds.readPhaseTwo(txnId, pk, given?.digest), perform });
    }
    const read = !given || given.readOnly || given.plans.some((p) => needsSplit(p, sharded));
    const start = read ? ('read' as const) : { assume: { state: 'PREPARED' as const, digest: given.digest, redo: true } };
    return driver.drive({ txnId, message, start, perform: performer(txnId, given) });
  }

  /**
   * The operations of a hold that lives in its item, for a message that carries none (an operator's resolve of
   * a transaction with no log item, recovery asking about an orphan): only the operations name the item, so
   * it is found through the sparse heldItems index, and its `P` entry keeps its one operation.
   */
  async function heldOperations(txnId: string): Promise<unknown[] | undefined> {
    // A participant that keeps every hold in a record may have a table without the index (an imported one).
    if (!(options.holdsInItems ?? HOLDS_IN_ITEMS_BY_DEFAULT)) return undefined;
    const entry = await classified(heldEntryOf(client, tableName, txnId));
    return entry?.s === 'P' && entry.op !== undefined ? [entry.op] : undefined;
  }

  /** A commit or abort without operations finds its hold in the item only where no record answers for the transaction. */
  async function heldOperationsWithoutRecord(txnId: string): Promise<unknown[] | undefined> {
    const record = await driver.read(txnId);
    // A one-phase claim is resolved in its item, which only its operations name.
    if (isClaim(record)) return record?.operations;
    return record ? undefined : heldOperations(txnId);
  }

  async function statusOf(txnId: string, raw: readonly unknown[]): Promise<StatusAnswer> {
    const given = refusesAsInvalid(raw) ? undefined : prepareOperations(raw, 'operations');
    const layout = given ? layoutOf(given) : undefined;
    if (layout?.kind !== 'item') return driver.status(txnId);
    const held = await holds.read(txnId, layout.target.pk);
    if (held?.layout !== ITEM_HOLD_LAYOUT) return driver.status(txnId);
    // A `P` entry beside a decided record still holds (a crash between the record and the item write, or a duplicate
    // prepare that landed after the entry went): phase 2 is not done here, so the answer is PREPARED and recovery,
    // even for a log it already made final, sends the logged decision, which finishes the hold or releases the stray.
    const state = held.itemBehind ? 'PREPARED' : held.state;
    return {
      participant: name,
      txnId,
      state,
      lockedKeys: state === 'PREPARED' ? [layout.target.plan.key] : [],
      voteReason: held.voteReason ?? null,
      preparedAt: held.preparedAt ?? null,
    };
  }

  return dispatchParticipantRequest({
    operations: prepareOperations,
    prepare: (txnId, prepared) => prepare(txnId, prepared, false),
    commitOnePhase: (txnId, prepared) => prepare(txnId, prepared, true),
    // The contract lets commit and abort leave out the operations (the redo list recorded at prepare is used):
    // a hold in the item keeps its redo list in its `P` entry, found like the status finds it.
    commit: async (txnId, raw) => phaseTwo(txnId, raw ?? (await heldOperationsWithoutRecord(txnId)), 'COMMITTED'),
    abort: async (txnId, raw) => phaseTwo(txnId, raw ?? (await heldOperationsWithoutRecord(txnId)), 'ABORTED'),
    status: async (txnId, raw) => {
      if (raw !== undefined) return statusOf(txnId, raw);
      const answer = await driver.status(txnId);
      if (answer.state !== 'UNKNOWN') return answer;
      const found = await heldOperations(txnId);
      return found ? statusOf(txnId, found) : answer;
    },
  });
}
