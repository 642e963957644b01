/**
 * A participant kind (ledger, inventory, booking, outbox) is plain data about its operations:
 * how each one is validated, what it checks and locks at prepare, and what it writes at commit.
 * The participant runtime turns these plans into DynamoDB transactions; a kind never does I/O.
 */
import type { z } from 'zod';
import type { AbortReason } from '../protocol/vote.js';

export type AttributeValueMap = Record<string, string | number | boolean>;

/** One item touched by one operation. */
export interface OperationPlan {
  key: string;
  /** A check-only operation: it writes nothing at commit. */
  readOnly: boolean;
  /** The item may not exist yet and prepare creates it (credit to a new account, first hold of a slot). */
  creates: boolean;
  prepare: {
    /** The business rule, checked atomically with taking the lock. */
    condition?: string;
    /** Set at prepare so that commit's update expressions always find the attribute. */
    initialise?: string[];
    values?: AttributeValueMap;
    /** Reason for VOTE_ABORT when `condition` fails; the current item is passed, undefined if missing. */
    failureReason: (item: Record<string, unknown> | undefined) => AbortReason;
  };
  commit: {
    set?: string[];
    remove?: string[];
    values?: AttributeValueMap;
  };
}

export interface ParticipantKind<Op extends { op: string; key: string } = { op: string; key: string }> {
  readonly name: string;
  readonly description: string;
  /** Validates one operation of this kind; the `op` field names it. */
  readonly operation: z.ZodType<Op>;
  readonly operationNames: readonly string[];
  plan(op: Op): OperationPlan;
  /** The business view of an item, as the API shows it. */
  view(item: Record<string, unknown>): Record<string, unknown>;
}

/** Declares a kind with its own operation type; the registry holds kinds of every operation type. */
export function defineKind<Op extends { op: string; key: string }>(kind: ParticipantKind<Op>): ParticipantKind<Op> {
  return kind;
}
