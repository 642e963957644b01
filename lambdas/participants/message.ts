/** What a participant Lambda is asked and what it answers: the wire contract with the coordinator. */
import { z } from 'zod';
import type { RecordState } from '../protocol/participantState.js';
import type { VoteAnswer } from '../protocol/vote.js';

const TXN_ID = /^[A-Za-z0-9_-]{1,80}$/;

export const participantRequest = z.strictObject({
  action: z.enum(['prepare', 'commit', 'abort', 'status']),
  txnId: z.string().regex(TXN_ID, 'txnId must be 1-80 letters, digits, _ or -'),
  /** How long the coordinator waits for this answer; informational. */
  timeoutSeconds: z.number().int().positive().optional(),
  /** Required for prepare; for commit and abort the stored redo list is used when absent. */
  operations: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type ParticipantRequest = z.infer<typeof participantRequest>;

export interface PrepareAnswer extends VoteAnswer {
  participant: string;
  txnId: string;
}

export interface PhaseTwoAnswer {
  participant: string;
  txnId: string;
  outcome: 'COMMITTED' | 'ABORTED' | 'READ_ONLY';
  /** True when this delivery found the work already done (an idempotent repeat). */
  repeated: boolean;
}

export interface StatusAnswer {
  participant: string;
  txnId: string;
  state: RecordState | 'UNKNOWN';
  lockedKeys: string[];
  voteReason: string | null;
  preparedAt: string | null;
}

export type ParticipantAnswer = PrepareAnswer | PhaseTwoAnswer | StatusAnswer;
