/** A request's operations checked against a participant's schema, for every runtime: one copy of the rules and their messages. */
import type { z } from 'zod';
import { InvalidParticipantRequest } from './errors.js';
import { digestOf } from './transactions.js';

export interface ValidatedOperations<Op> {
  operations: Op[];
  keys: string[];
  /** Identifies exactly this redo list; commit and abort must present the same one. */
  digest: string;
}

export function validatedOperations<Op extends { key: string }>(schema: z.ZodType<Op>, raw: readonly unknown[], field: string): ValidatedOperations<Op> {
  const operations = raw.map((op, i) => {
    const parsed = schema.safeParse(op);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidParticipantRequest(`${field}[${i}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  });
  if (operations.length === 0) throw new InvalidParticipantRequest(`${field}: at least one operation is required`);
  const keys = operations.map((o) => o.key);
  if (new Set(keys).size !== keys.length) throw new InvalidParticipantRequest(`${field}: each key may appear once per participant`);
  return { operations, keys, digest: digestOf(operations) };
}
