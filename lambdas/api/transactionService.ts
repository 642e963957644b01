/**
 * The port between the HTTP API and whatever runs the coordinator. The API's route logic only
 * talks to this interface: locally it is backed by LocalPakka, on AWS by Step Functions and
 * DynamoDB. Reads go to the same tables in both places (see `tableReads.ts`).
 */
import type { ParticipantConfig } from '../config/participantConfig.js';
import type { ParticipantFunctions } from '../config/participantFunctions.js';
import type { CoordinatorVariant } from '../config/coordinatorVariant.js';
import type { CoordinatorLogItem } from '../coordinatorLog/coordinatorLog.js';
import type { ExecutionInput } from '../request/executionInput.js';
import type { ClaimOutcome } from '../request/txnClaim.js';
import type { StoredRecord } from '../participants/record.js';
import type { ItemHolds } from './itemReads.js';
import type { HeldReader } from './stuckListing.js';

/**
 * What starting an execution named after the transaction did. Mirrors Step Functions: the same name
 * with the same input is a no-op (`duplicate`), the same name with another input is refused (`conflict`).
 */
export type StartOutcome = 'started' | 'duplicate' | 'conflict';

/** An execution that runs but has not logged its decision yet (the log item is written only then). */
export interface RunningExecution {
  /** The execution's input, when the runner can tell it. */
  input?: ExecutionInput;
  /** When it started, when the runner can tell. */
  startedAt?: string;
}

/** A position in the byStatus index (txnId, statusPartition, createdAt), as DynamoDB's LastEvaluatedKey gives it. */
export type LogKey = Record<string, string>;

export interface LogPage {
  items: CoordinatorLogItem[];
  /** Where the next page starts; absent when the index holds no more. */
  next?: LogKey;
}

export interface StartOptions {
  /**
   * The caller waits up to this long for the outcome (`?wait=true`). A runner that can start
   * synchronously (Express: StartSyncExecution) returns only when the execution ended or the wait
   * ran out, which spares the caller polling the log; others return at once.
   */
  waitMs?: number;
}

export interface TransactionService {
  readonly config: ParticipantConfig;
  /** The function of each participant, as the execution input names it for the state machine. */
  readonly functions: ParticipantFunctions;
  /** The workflow that runs the transactions: its limits apply to every request (Express: at most five minutes). */
  readonly variant: CoordinatorVariant;
  /**
   * Claims the txnId for this request by writing its log item, before anything starts (txnClaim.ts):
   * the first request under a txnId is its only one, on both workflows.
   */
  claim(input: ExecutionInput): Promise<ClaimOutcome>;
  startExecution(input: ExecutionInput, options?: StartOptions): Promise<StartOutcome>;
  runningExecution(txnId: string): Promise<RunningExecution | undefined>;
  /** The coordinator log item as stored (undefined until the txnId is claimed). */
  readLog(txnId: string): Promise<CoordinatorLogItem | undefined>;
  /** The log item with its status derived from the participants' records (see transactionStatus.ts). */
  readTransaction(txnId: string): Promise<CoordinatorLogItem | undefined>;
  /** The log items of one byStatus partition (`<status>#<shard>`), newest first, statuses derived. */
  listLog(statusPartition: string, limit: number, startAfter?: LogKey): Promise<LogPage>;
  /** What is held for transactions (PREPARED records, open log items), oldest first: the stuck listings page through it. */
  heldFrom: HeldReader['heldFrom'];
  /** The views of held transactions, and the one ref each is listed under. */
  describeHeld: HeldReader['describeHeld'];
  /** `operations`, the transaction's operations at that participant when known, name the item a hold in the item lives in. */
  readParticipantRecord(participant: string, txnId: string, operations?: readonly unknown[]): Promise<StoredRecord | undefined>;
  /** The records these participants hold for the transaction, by participant; one batch read per table. */
  readParticipantRecords(txnId: string, participants: readonly string[]): Promise<Map<string, StoredRecord>>;
  /** A participant's business item, raw (kind attributes, escrow sums, lockedBy...); a sharded key summed over its shards. */
  readParticipantItem(participant: string, key: string): Promise<Record<string, unknown> | undefined>;
  /** The prepared transactions holding something on the item: reservations, promised credits, a lock. */
  readItemHolds(participant: string, key: string): Promise<ItemHolds>;
}
