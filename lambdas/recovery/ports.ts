/**
 * What the recovery sweeper needs from the world, as interfaces: the same sweep runs on AWS (DynamoDB,
 * Lambda) and locally (DynamoDB Local, in-process participants). It never asks whether a coordinator
 * still runs: the write-once decision makes acting beside a running one safe (docs/design.md, "Recovery").
 */
import type { CoordinatorLogItem, PhaseTwoOutcome } from '../coordinatorLog/coordinatorLog.js';
import type { InDoubtRequest } from '../contract/participantProtocol.js';
import type { ParticipantAnswer } from '../participants/message.js';
import type { Decision } from '../protocol/vote.js';

/** Who logs a decision besides the coordinator: `recovery`, or `operator:<name>` with a note. */
export interface DecisionAuthor {
  decidedBy: string;
  note?: string;
}

export type DecisionWrite = { won: true; item: CoordinatorLogItem } | { won: false; item: CoordinatorLogItem | undefined };

export interface PhaseTwoRecord {
  decision: Decision;
  outcomes: PhaseTwoOutcome[];
  violations: string[];
  /** When this delivery of the decision began (phase2StartedAt, unless the coordinator began it earlier). */
  startedAt: string;
  now: string;
}

export interface CoordinatorLogPort {
  /** txnIds from the sparse `open` index created no later than `createdBefore`, oldest first. */
  openTransactions(createdBefore: string, limit: number): Promise<string[]>;
  /** Open log items created at or after `from` (every one without it), oldest first, as far as every shard has been read. */
  openFrom(from: string | undefined, limit: number): Promise<{ open: Array<{ txnId: string; createdAt: string }>; exhausted: boolean }>;
  /** A consistent read: the index is eventually consistent, so every action starts from this. */
  read(txnId: string): Promise<CoordinatorLogItem | undefined>;
  /** The conditional decision write (`attribute_not_exists(decision)`): the only arbiter between writers. */
  logDecision(txnId: string, decision: Decision, author: DecisionAuthor, now: string): Promise<DecisionWrite>;
  /**
   * A transaction that has no log item, only participants' records: its coordinator never logged a
   * decision (the item is written only then). Creates the item with this decision, conditionally
   * (`attribute_not_exists(decision)`), listing the participants that hold records; a late
   * coordinator's decision write then fails and obeys it. It joins the open index until final.
   */
  logOrphanDecision(
    txnId: string,
    decision: Decision,
    author: DecisionAuthor,
    participants: readonly OrphanHolder[],
    createdAt: string,
    now: string,
  ): Promise<DecisionWrite>;
  /** Every participant answered: COMMITTED/ABORTED, finishedAt, out of the open index. */
  markFinal(txnId: string, record: PhaseTwoRecord): Promise<void>;
  /** Some participant did not answer: the item stays open for the next sweep. */
  recordPending(txnId: string, record: PhaseTwoRecord, error: string): Promise<void>;
  /** A violation found while delivering the logged decision to a straggler of a final transaction. */
  addViolations(txnId: string, violations: string[]): Promise<void>;
}

/** A participant an orphan's log item lists, with the redo list recovery found (a hold in its item), if any. */
export interface OrphanHolder {
  name: string;
  operations?: Array<Record<string, unknown>>;
}

export interface PreparedRecordRef {
  participant: string;
  txnId: string;
  inDoubtSince: string;
  /**
   * A hold that lives in its item (found through `heldItems`, not a record): the entry's redo list. Its
   * status and its abort must carry it, since only the operations name the item the state is in.
   */
  operations?: Array<Record<string, unknown>>;
}

/** A page of the PREPARED records read oldest first from some instant: see InDoubtPort.heldFrom. */
export interface HeldPage {
  refs: PreparedRecordRef[];
  /** Nothing is held beyond these refs. */
  exhausted: boolean;
}

/** What a sweep reads of the PREPARED records: the oldest `limit` old enough to act on, and the oldest of all. */
export interface InDoubtRead {
  /** Prepared no later than the sweep's `before`, oldest first. */
  refs: PreparedRecordRef[];
  /** When the oldest PREPARED record was prepared, however young (the age alarm's figure); absent when none is held. */
  oldestSince?: string;
}

export interface InDoubtPort {
  /** PREPARED records from every participant's sparse `inDoubt` index, prepared no later than `before`, and the oldest one's age, in one read. */
  preparedBefore(before: string, limit: number): Promise<InDoubtRead>;
  /** Every participant whose table the index covers (an operator's resolve asks each what it holds for a txnId with no log item). */
  readonly participants?: readonly string[];
  /**
   * PREPARED records prepared at or after `from` (every one without it), oldest first: up to about
   * `limit` per participant, and only as far as every participant's index has been read, so nothing
   * older than the last ref is missing. The listings of stuck transactions page through this.
   */
  heldFrom(from: string | undefined, limit: number): Promise<HeldPage>;
}

export type ParticipantMessage =
  | { action: 'commit' | 'abort' | 'status'; txnId: string; operations?: Array<Record<string, unknown>> }
  /** Only to a participant that keeps its prepared state in its own store (participantInDoubt.ts). */
  | InDoubtRequest;

export interface ParticipantPort {
  /**
   * Sends one message to a participant. Throws an Error named as the participant named it
   * (`Pakka.ProtocolViolation`, `Pakka.Transient`, ...) when it fails.
   */
  send(participant: string, message: ParticipantMessage): Promise<ParticipantAnswer>;
}

export interface RecoveryPorts {
  log: CoordinatorLogPort;
  inDoubt: InDoubtPort;
  participants: ParticipantPort;
  /** Milliseconds since the epoch; tests move it forward instead of sleeping. */
  now: () => number;
}
