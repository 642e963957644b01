/**
 * The kind of a participant that Pakka's runtime does not run: a team's own function (a barrier
 * participant over a card gateway, any Lambda that speaks the protocol). The API still validates its
 * operations with the kind's schema, so a request it would refuse never starts; what prepare holds is
 * the team's code, so the kind has no plan of its own.
 */
import type { z } from 'zod';
import type { ParticipantKind } from '../kind.js';

export interface OwnFunctionKindOptions<Op extends { op: string; key: string }> {
  /** The name the participant config gives as `kind`. */
  name: string;
  description: string;
  /** Validates one operation; usually the barrier definition's `operation`. */
  operation: z.ZodType<Op>;
  operationNames: readonly string[];
  /** What GET /participants/{name}/items/{key} shows of an item in the participant's table, if it keeps any. */
  view?: (item: Record<string, unknown>) => Record<string, unknown>;
  /**
   * `participant` when the team's function keeps its prepared state in its own store (a SQL participant:
   * the database's prepared transactions and its record table), so the API asks it for `status` instead of
   * reading the participant's DynamoDB table. A barrier participant keeps its records in the table.
   */
  preparedStateIn?: 'table' | 'participant';
}

const OWN_FUNCTION_KINDS = new WeakSet<object>();

export function ownFunctionKind<Op extends { op: string; key: string }>(options: OwnFunctionKindOptions<Op>): ParticipantKind<Op> {
  const kind: ParticipantKind<Op> = {
    name: options.name,
    description: options.description,
    operation: options.operation,
    operationNames: options.operationNames,
    view: options.view ?? ((item) => item),
    preparedStateIn: options.preparedStateIn ?? 'table',
    plan() {
      // LocalPakka and the CDK participant refuse such a kind without the team's function, so this is never reached.
      throw new Error(`kind '${options.name}' is answered by the team's own function; Pakka's runtime has no plan for it`);
    },
  };
  OWN_FUNCTION_KINDS.add(kind);
  return kind;
}

/** True for a kind declared with ownFunctionKind: it needs the team's own function (or entry) to take part. */
export const isOwnFunctionKind = (kind: ParticipantKind): boolean => OWN_FUNCTION_KINDS.has(kind);
