/**
 * POST /transactions, GET /transactions/{txnId} and GET /transactions/{txnId}/inspect. Idempotent
 * submission: a transaction is named by its txnId (the client's, or one derived from the
 * Idempotency-Key), and a repeat with the same body finds the same transaction and starts nothing.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  type CoordinatorLogItem,
  isFinal,
  type ParticipantView,
  type TransactionView,
  type TxnStatus,
  transactionView,
} from '../coordinatorLog/coordinatorLog.js';
import { FAULT_HEADER, requestedFault } from '../request/coordinatorFault.js';
import { type ExecutionInput, executionInput } from '../request/executionInput.js';
import { transactionIdFor, validateTransactionRequest } from '../request/transactionRequest.js';
import type { StoredRecord } from '../participants/record.js';
import type { RecordState } from '../protocol/participantState.js';
import { type TransactionTimeline, transactionTimeline } from '../observability/transactionTimeline.js';
import { onePhaseItem, undecidedStatus } from '../coordinatorLog/transactionStatus.js';
import { ApiError, jsonResponse } from './http.js';
import { booleanQuery, header, idempotencyKey, jsonBody } from './request.js';
import type { TransactionService } from './transactionService.js';
import { earliestPrepared, undecidedView } from './undecidedView.js';

export interface WaitOptions {
  /** How long `?wait=true` waits for the outcome; API Gateway cuts a request at 29 s. */
  waitMs: number;
  /** First and longest pause between two reads of the coordinator log. */
  pollMinMs: number;
  pollMaxMs: number;
}

export const DEFAULT_WAIT: WaitOptions = { waitMs: 25_000, pollMinMs: 25, pollMaxMs: 500 };

export type ParticipantState = RecordState | 'UNKNOWN';
export interface ParticipantStatus extends ParticipantView {
  /** The participant's own prepared-state record for this transaction; UNKNOWN if it holds none. */
  state: ParticipantState;
}
export interface TransactionStatus extends Omit<TransactionView, 'participants'> {
  participants: ParticipantStatus[];
}

/** What POST /transactions answers without `?wait=true` (202): the transaction is on its way. */
export interface Accepted {
  txnId: string;
  status: TxnStatus;
}

/** A participant's operations as the log item or the request names them, when known. */
type Planned = ReadonlyArray<{ name: string; operations: readonly unknown[] }>;

async function withParticipantStates(service: TransactionService, view: TransactionView, planned: Planned = []): Promise<TransactionStatus> {
  const records = await Promise.all(view.participants.map((p) => participantRecord(service, p.name, view.txnId, planned)));
  return { ...view, participants: view.participants.map((p, i) => ({ ...p, state: records[i]?.state ?? 'UNKNOWN' })) };
}

async function participantRecord(service: TransactionService, name: string, txnId: string, planned: Planned): Promise<StoredRecord | undefined> {
  // A participant removed from the config since the transaction ran has no table to read.
  return service.config.has(name) ? service.readParticipantRecord(name, txnId, planned.find((p) => p.name === name)?.operations) : undefined;
}

interface Found {
  view: TransactionView;
  item?: CoordinatorLogItem;
  input?: ExecutionInput;
  /** The participants' records, when read to find a transaction with no log item. */
  records?: ReadonlyMap<string, StoredRecord>;
}

/** Before its decision a transaction is visible through its participants' records, or (Standard) its running execution. */
async function findTransaction(service: TransactionService, txnId: string): Promise<Found | undefined> {
  const item = await service.readTransaction(txnId);
  if (item?.decision) return { view: transactionView(item), item };
  if (item) {
    // Claimed, undecided: a one-phase commit whose receipt is lost has decided all the same, by its participant's record.
    const records = await service.readParticipantRecords(
      txnId,
      item.participantsJson.map((p) => p.name),
    );
    const learnt = onePhaseItem(txnId, records, item);
    return learnt ? { view: transactionView(learnt), item: learnt } : { view: transactionView(item), item };
  }
  const [running, records] = await Promise.all([service.runningExecution(txnId), service.readParticipantRecords(txnId, [...service.config.keys()])]);
  const status = undecidedStatus(records, running !== undefined);
  if (!status) return undefined;
  // The decision may have been logged between the reads.
  const late = await service.readTransaction(txnId);
  if (late) return { view: transactionView(late), item: late };
  const learnt = onePhaseItem(txnId, records);
  if (learnt) return { view: transactionView(learnt), item: learnt };
  // Every view of an undecided transaction is built by undecidedView, from the execution when it tells, else from the records.
  const view = undecidedView({
    txnId,
    participants: running?.input ? running.input.participants.map((p) => p.name) : [...records.keys()].sort(),
    createdAt: running?.startedAt ?? earliestPrepared(records.values()) ?? new Date().toISOString(),
    ...(running?.input ? { timeoutSeconds: running.input.timeoutSeconds } : {}),
  });
  return { view, records, ...(running?.input ? { input: running.input } : {}) };
}

const plannedOf = (found: Found): Planned => found.item?.participantsJson ?? found.input?.participants ?? [];

const notFound = (txnId: string) => new ApiError(404, 'TRANSACTION_NOT_FOUND', `no transaction ${txnId}`, 'txnId');

export async function getTransaction(service: TransactionService, txnId: string): Promise<APIGatewayProxyResult> {
  const found = await findTransaction(service, txnId);
  if (!found) throw notFound(txnId);
  return jsonResponse(200, await withParticipantStates(service, found.view, plannedOf(found)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the coordinator log (and, once decided, the participants' records) until the transaction is final or the bound passes. */
async function waitForOutcome(service: TransactionService, txnId: string, wait: WaitOptions): Promise<CoordinatorLogItem | undefined> {
  const deadline = Date.now() + wait.waitMs;
  let pause = wait.pollMinMs;
  for (;;) {
    const item = await service.readTransaction(txnId);
    if (item && isFinal(item)) return item;
    const left = deadline - Date.now();
    if (left <= 0) return item;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, wait.pollMaxMs);
  }
}

const conflict = (txnId: string) =>
  new ApiError(409, 'IDEMPOTENCY_CONFLICT', `transaction ${txnId} already exists with a different request; use a new txnId or Idempotency-Key`, 'txnId');

export async function submitTransaction(
  service: TransactionService,
  event: APIGatewayProxyEvent,
  wait: WaitOptions,
  faultInjection = false,
): Promise<APIGatewayProxyResult> {
  const shouldWait = booleanQuery(event, 'wait');
  const key = idempotencyKey(event);
  const asked = requestedFault(header(event, FAULT_HEADER), faultInjection);
  if (!asked.ok) throw new ApiError(400, 'INVALID_REQUEST', asked.message, FAULT_HEADER);
  const validated = validateTransactionRequest(jsonBody(event), service.config, service.variant);
  if (!validated.ok) throw new ApiError(400, validated.error.code, validated.error.message, validated.error.field);
  if (key !== undefined && validated.value.txnId !== undefined) {
    // Two names for one transaction could disagree on a retry and run it twice: take exactly one.
    throw new ApiError(400, 'INVALID_REQUEST', 'txnId and the Idempotency-Key header name the transaction twice; send one of them', 'txnId');
  }
  const txnId = transactionIdFor(validated.value, key);
  // The earliest this request's transaction can have begun: its createdAt while nothing else tells it.
  const receivedAt = new Date().toISOString();
  const input = { ...executionInput(txnId, validated.value, service.config, service.functions, key), ...(asked.fault ? { fault: asked.fault } : {}) };

  // The claim, not the start, keeps a txnId to one request: Express never refuses a second execution of one name.
  const claim = await service.claim(input);
  if (claim.kind === 'conflict') throw conflict(txnId);
  // A retry of an undecided request starts it again: the first start may never have happened (the
  // API died after its claim), and a twin of the same request is harmless (same digest, one decision).
  if (claim.kind === 'claimed' || !claim.decided) await service.startExecution(input, shouldWait ? { waitMs: wait.waitMs } : {});

  const location = { Location: `/transactions/${txnId}` };
  if (!shouldWait) {
    const item = await service.readTransaction(txnId);
    return jsonResponse(202, { txnId, status: item?.status ?? 'PREPARING' } satisfies Accepted, location);
  }
  const item = await waitForOutcome(service, txnId, wait);
  const undecided = item ? undefined : await findTransaction(service, txnId);
  const view = item
    ? transactionView(item)
    : (undecided?.view ??
      undecidedView({ txnId, participants: input.participants.map((p) => p.name), createdAt: receivedAt, timeoutSeconds: input.timeoutSeconds }));
  return jsonResponse(item && isFinal(item) ? 200 : 202, await withParticipantStates(service, view, input.participants), location);
}

export interface InspectedItem {
  key: string;
  exists: boolean;
  lockedBy: string | null;
  /** The business view of the item (balance, stock, heldBy...), as GET /participants/{name}/items/{key} shows it. */
  view: Record<string, unknown> | null;
}

export interface InspectedParticipant {
  name: string;
  kind: string | null;
  vote: ParticipantStatus['vote'];
  reason: string | null;
  phaseTwo: ParticipantStatus['phaseTwo'];
  record: StoredRecord | null;
  items: InspectedItem[];
}

/** GET /transactions/{txnId}/inspect. */
export interface Inspection {
  transaction: TransactionStatus;
  log: CoordinatorLogItem | null;
  participants: InspectedParticipant[];
  /** Per phase and per participant; before the decision, the prepare phase as the records show it. */
  timeline: TransactionTimeline;
}

/** The coordinator log record beside each participant's record and the items (and locks) it touches. */
export async function inspectTransaction(service: TransactionService, txnId: string): Promise<APIGatewayProxyResult> {
  const found = await findTransaction(service, txnId);
  if (!found) throw notFound(txnId);
  const planned = plannedOf(found);
  const keysOf = (name: string, record: StoredRecord | null): string[] => {
    // The request's operations when known; else (an undecided transaction, an item recovery logged with none) what the record holds.
    const operations = planned.find((p) => p.name === name)?.operations ?? [];
    const fromRecord = [...(record?.operations ?? []), ...(record?.lockedKeys ?? []).map((key) => ({ key }))];
    const keys = (operations.length ? operations : fromRecord).flatMap((op) =>
      typeof op === 'object' && op !== null && 'key' in op && typeof op.key === 'string' ? [op.key] : [],
    );
    return [...new Set(keys)];
  };
  const status = await withParticipantStates(service, found.view, planned);
  const participants = await Promise.all(
    status.participants.map(async (p): Promise<InspectedParticipant> => {
      const spec = service.config.get(p.name);
      const kind = spec?.definition;
      const record = (await participantRecord(service, p.name, txnId, planned)) ?? null;
      const items = spec
        ? await Promise.all(
            keysOf(p.name, record).map(async (key): Promise<InspectedItem> => {
              const item = await service.readParticipantItem(p.name, key);
              return {
                key,
                exists: item !== undefined,
                lockedBy: typeof item?.lockedBy === 'string' ? item.lockedBy : null,
                view: item && kind ? kind.view(item) : null,
              };
            }),
          )
        : [];
      return { name: p.name, kind: spec?.kind ?? null, vote: p.vote, reason: p.reason, phaseTwo: p.phaseTwo, record, items };
    }),
  );
  // Before the decision there is no log item: the timeline of its prepare phase comes from the records, from createdAt on.
  const timelineItem: CoordinatorLogItem = found.item ?? {
    txnId,
    status: 'PREPARING',
    createdAt: found.view.createdAt,
    timeoutSeconds: (Date.parse(found.view.deadline) - Date.parse(found.view.createdAt)) / 1000,
    participantsJson: participants.map((p) => ({ name: p.name, operations: [], prepareTimeoutSeconds: 0, commitTimeoutSeconds: 0 })),
  };
  const timeline = transactionTimeline(timelineItem, participants);
  return jsonResponse(200, { transaction: status, log: found.item ?? null, participants, timeline } satisfies Inspection);
}
