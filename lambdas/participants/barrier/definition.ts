/**
 * What a team writes to make a participant over its own system (a card gateway, a REST service, a SQL
 * ledger): the operation schema and three functions. Pakka's barrier decides when each may run.
 */
import type { z } from 'zod';
import type { AbortReason } from '../../protocol/vote.js';

/** What the team's prepare wants back at commit and abort (an authorization id, a reservation number); flat, so it stores as-is. */
export type Hold = Record<string, string | number | boolean | null>;

export interface BarrierCall<Op> {
  /**
   * The transaction. Pass it (with the operation's key if one transaction makes several external calls)
   * as the idempotency key of every request to the external system: the barrier may call the same
   * function again for the same txnId after a crash, and the external system must do the work once.
   */
  txnId: string;
  participant: string;
  /** The operations this participant prepared, validated by `operation`, in request order. */
  operations: readonly Op[];
}

export interface PhaseTwoCall<Op> extends BarrierCall<Op> {
  /**
   * What prepare returned with its yes. Undefined when abort runs for a prepare that never finished
   * (it may or may not have reached the external system) or that voted no: abort then finds the
   * external work by its idempotency key.
   */
  hold: Hold | undefined;
}

export type TeamPrepareAnswer = { vote: 'VOTE_COMMIT'; hold?: Hold } | { vote: 'VOTE_ABORT'; reason: AbortReason } | { vote: 'READ_ONLY' };

export interface BarrierParticipantDefinition<Op extends { op: string; key: string }> {
  /** Validates one operation; the `op` field names it, `key` names what it touches. */
  readonly operation: z.ZodType<Op>;
  /**
   * Checks the business rule and makes the outcome certain to be appliable (authorize, reserve).
   * A VOTE_ABORT may leave a partial hold: the barrier runs `abort` for it before recording the no.
   * Answers the same for the same txnId every time it is called.
   */
  prepare(call: BarrierCall<Op>): Promise<TeamPrepareAnswer>;
  /** Applies what prepare held (capture, confirm). Must succeed eventually: it is retried, never skipped. */
  commit(call: PhaseTwoCall<Op>): Promise<void>;
  /** Releases whatever prepare may have held (void, cancel); a no-op when nothing is held. */
  abort(call: PhaseTwoCall<Op>): Promise<void>;
}

export function defineBarrierParticipant<Op extends { op: string; key: string }>(
  definition: BarrierParticipantDefinition<Op>,
): BarrierParticipantDefinition<Op> {
  return definition;
}
