/** The shapes the console reads from Pakka's HTTP API (the API's own contract, as JSON). */

export type TxnStatus = 'PREPARING' | 'COMMITTING' | 'ABORTING' | 'COMMITTED' | 'ABORTED';
export const TXN_STATUSES: readonly TxnStatus[] = ['PREPARING', 'COMMITTING', 'ABORTING', 'COMMITTED', 'ABORTED'];
export const OPEN_STATUSES: readonly TxnStatus[] = ['PREPARING', 'COMMITTING', 'ABORTING'];

export interface ParticipantView {
  name: string;
  vote: 'VOTE_COMMIT' | 'VOTE_ABORT' | 'READ_ONLY' | null;
  reason: string | null;
  /** For the participant whose answer aborted the transaction: the rule it broke, in words. */
  rule?: string;
  phaseTwo: 'ACKED' | 'SKIPPED' | 'PENDING' | 'HEURISTIC_HAZARD' | null;
  state?: string;
}

export interface TransactionView {
  txnId: string;
  status: TxnStatus;
  decision: 'COMMIT' | 'ABORT' | null;
  reason: string | null;
  participants: ParticipantView[];
  heuristicHazard: boolean;
  decidedBy?: string | null;
  decisionNote?: string | null;
  violations?: string[];
  createdAt: string;
  decidedAt: string | null;
  finishedAt: string | null;
  deadline: string;
  timings: { prepareMs: number | null; decideMs: number | null; commitMs?: number | null; abortMs?: number | null; totalMs: number | null };
}

export interface TransactionList {
  transactions: TransactionView[];
  nextCursor: string | null;
}

export interface TimeSpan {
  startedAt: string | null;
  endedAt: string | null;
  ms: number | null;
}

export interface Timeline {
  phases: Array<TimeSpan & { phase: string }>;
  participants: Array<{
    name: string;
    prepare: TimeSpan & { vote: string | null; reason: string | null; preparedAt: string | null };
    phaseTwo: (TimeSpan & { action: 'commit' | 'abort'; outcome: string | null }) | null;
  }>;
  slowest: { prepare: { participant: string; ms: number } | null; phaseTwo: { participant: string; ms: number } | null };
  decidedBy: string | null;
  recovery: { leftToRecoveryAt: string | null; recoveredAt: string | null; attempts: number; lastError: string | null } | null;
}

export interface InspectedItem {
  key: string;
  exists: boolean;
  lockedBy: string | null;
  view: Record<string, unknown> | null;
}

export interface InspectedParticipant {
  name: string;
  kind: string | null;
  vote: ParticipantView['vote'];
  reason: string | null;
  phaseTwo: ParticipantView['phaseTwo'];
  record: Record<string, unknown> | null;
  items: InspectedItem[];
}

export interface Inspection {
  transaction: TransactionView;
  log: Record<string, unknown> | null;
  participants: InspectedParticipant[];
  timeline?: Timeline | null;
}

export interface ParticipantInfo {
  name: string;
  kind: string;
  description: string;
  operations: string[];
  prepareTimeoutSeconds: number;
  commitTimeoutSeconds: number;
}

/** One prepared transaction's hold on an item: what it reserved, and since when. */
export interface ItemHold {
  txnId: string;
  op: string;
  amount?: number;
  /** Who holds the item, for a kind whose holds name one (a seat's holder). */
  holder?: string;
  preparedAt: string | null;
}

/**
 * GET /participants/{name}/items/{key}: the escrow item view. The kind's committed value (balance,
 * stock, heldBy...), what prepared transactions hold on it (available, reserved, incoming where the
 * kind sums them), the lock holder, the shard count of a hot key, and each hold. 404 for an item
 * only an uncommitted transaction created.
 */
export interface ItemView {
  participant: string;
  key: string;
  available?: number;
  reserved?: number;
  incoming?: number;
  lockedBy?: string;
  shards?: number;
  holds: ItemHold[];
  /** False when the item has more holds than one look reads. */
  holdsComplete?: false;
  [field: string]: unknown;
}

export interface ApiErrorBody {
  error: { code: string; message: string; field: string | null };
  logged?: { decision: string; decidedBy: string; decidedAt: string | null; note: string | null };
}

export interface Resolved {
  txnId: string;
  decision: 'COMMIT' | 'ABORT';
  final: boolean;
  phaseTwo?: string[];
  violations?: string[];
  errors?: string[];
  transaction?: TransactionView;
}
