/**
 * A participant kind (ledger, inventory, booking, outbox) is plain data about its operations:
 * how each one is validated and what prepare holds for it. The participant runtime turns these
 * plans into DynamoDB transactions; a kind never does I/O.
 *
 * What prepare holds is the heart of a kind (docs: "What prepare holds"):
 * - `escrow`: a quantity that many transactions may reserve from (a debit) or promise to (a credit)
 *   at once, as long as the sum fits. No lock, so a hot account never serializes transactions.
 * - `exclusive`: a lock on the item (`lockedBy`), for operations that need one holder (a seat).
 * - `check`: a condition read at prepare; nothing is held and nothing is written (READ_ONLY).
 */
import type { z } from 'zod';
import { type AbortReason, PARTICIPANT_ABORT_REASONS, teamAbortReasonProblem } from '../protocol/vote.js';

export type AttributeValueMap = Record<string, string | number | boolean>;

/** An amount taken from (`consume`) or added to (`supply`) an item's escrowed quantity. */
export interface EscrowPlan {
  hold: 'escrow';
  key: string;
  /** The attribute holding the committed quantity: `balance`, `stock`. */
  quantity: string;
  direction: 'consume' | 'supply';
  amount: number;
  /** Vote reason when the available quantity (consume) or the headroom (supply) does not cover the amount. */
  shortReason: AbortReason;
}

/** An item that one transaction at a time may change: prepare locks it under the business rule. */
export interface ExclusivePlan {
  hold: 'exclusive';
  key: string;
  /** The item may not exist yet and prepare creates it (first hold of a slot, a new outbox key). */
  creates: boolean;
  prepare: {
    /** The business rule, checked atomically with taking the lock. */
    condition?: string;
    values?: AttributeValueMap;
    /** Reason for VOTE_ABORT when `condition` fails. */
    failureReason: AbortReason;
  };
  commit: {
    set?: string[];
    remove?: string[];
    values?: AttributeValueMap;
  };
}

/** A check-only operation: evaluated at prepare, holds nothing, writes nothing. */
export interface CheckPlan {
  hold: 'check';
  key: string;
  condition: string;
  values: AttributeValueMap;
  failureReason: AbortReason;
}

/** One item touched by one operation. */
export type OperationPlan = EscrowPlan | ExclusivePlan | CheckPlan;

export interface ParticipantKind<Op extends { op: string; key: string } = { op: string; key: string }> {
  readonly name: string;
  readonly description: string;
  /** Validates one operation of this kind; the `op` field names it. */
  readonly operation: z.ZodType<Op>;
  readonly operationNames: readonly string[];
  plan(op: Op): OperationPlan;
  /**
   * The attribute this kind's escrow operations hold a quantity in (`balance`, `stock`), if any: only
   * such keys may be spread over shards (`shardedKeys` in the participant config).
   */
  readonly escrowQuantity?: string;
  /** The business view of a committed item, as the API shows it. */
  view(item: Record<string, unknown>): Record<string, unknown>;
  /**
   * Where the participant keeps its prepared state: `table`, the participant's DynamoDB table, which the
   * API reads directly (the default); `participant`, its own store (a SQL participant's database), which
   * the API reads by asking the participant for `status`.
   */
  readonly preparedStateIn?: 'table' | 'participant';
  /**
   * The team's own VOTE_ABORT reasons (contract 1.3), beside the built-in ones: `NO_SUCH_VOUCHER` says
   * what happened where `ALREADY_HELD` would only be near it. Each matches TEAM_ABORT_REASON_PATTERN and
   * is none of Pakka's own; a plan may name only these and the built-in participant reasons.
   */
  readonly abortReasons?: readonly string[];
}

/** The reason a plan's own rule gives when it says no. */
export function planAbortReason(plan: OperationPlan): AbortReason {
  switch (plan.hold) {
    case 'escrow':
      return plan.shortReason;
    case 'exclusive':
      return plan.prepare.failureReason;
    case 'check':
      return plan.failureReason;
  }
}

/** Refuses a kind's declared reasons that are malformed, Pakka's own, or repeated; a kind is defined once, at start. */
function checkedAbortReasons(kindName: string, reasons: readonly string[]): readonly string[] {
  for (const reason of reasons) {
    const problem = teamAbortReasonProblem(reason);
    if (problem) throw new Error(`kind '${kindName}': abortReasons: ${problem}`);
  }
  const repeated = reasons.filter((reason, i) => reasons.indexOf(reason) !== i);
  if (repeated.length) throw new Error(`kind '${kindName}': abortReasons names ${repeated.join(', ')} twice`);
  return reasons;
}

/**
 * Declares a kind with its own operation type; the registry holds kinds of every operation type. Its
 * `abortReasons` are checked here, and each plan's reason when it is made: a plan naming a reason the
 * kind did not declare is a bug in the kind, refused before anything is held.
 */
export function defineKind<Op extends { op: string; key: string }>(kind: ParticipantKind<Op>): ParticipantKind<Op> {
  const declared = checkedAbortReasons(kind.name, kind.abortReasons ?? []);
  const allowed = new Set<string>([...PARTICIPANT_ABORT_REASONS, ...declared]);
  return {
    ...kind,
    plan(op) {
      const plan = kind.plan(op);
      const reason = planAbortReason(plan);
      if (!allowed.has(reason)) {
        throw new Error(
          `kind '${kind.name}' planned the abort reason ${reason}, which is neither a built-in participant reason nor one of its abortReasons (${declared.join(', ') || 'none declared'})`,
        );
      }
      return plan;
    },
  };
}
