/**
 * The transaction request a client submits, and every rule it must pass before it may reach the
 * state machine. Pure: the API, the CLI and the programmatic entry point all validate through here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ParticipantConfig } from '../config/participantConfig.js';
import { type CoordinatorVariant, EXECUTION_TIMEOUT_SECONDS, MAX_TRANSACTION_TIMEOUT_SECONDS } from '../config/coordinatorVariant.js';
import { spreadsOverShards } from '../protocol/sharding.js';

export const LIMITS = {
  /** Participants per transaction. */
  maxParticipants: 16,
  /** Operations per participant: with the prepared-state record they must fit one TransactWriteItems (100 items). */
  maxOperationsPerParticipant: 25,
  /** Request body, so the request, its votes and the log item stay far below Step Functions' 256 KB and DynamoDB's 400 KB. */
  maxBodyBytes: 64 * 1024,
  minTimeoutSeconds: 1,
  maxTimeoutSeconds: 300,
  defaultTimeoutSeconds: 30,
} as const;

export const TXN_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
export const TXN_ID_RULE = 'must be 1-80 characters: letters, digits, _ or -';

const operation = z.looseObject({ op: z.string({ error: 'must be a string naming the operation' }) });

const requestSchema = z.strictObject({
  txnId: z.string({ error: 'must be a string' }).regex(TXN_ID_PATTERN, TXN_ID_RULE).optional(),
  participants: z
    .array(
      z.strictObject({
        name: z.string({ error: 'must be a string' }),
        operations: z
          .array(operation, { error: 'must be an array of operations' })
          .min(1, 'must hold at least one operation')
          .max(LIMITS.maxOperationsPerParticipant, `must hold at most ${LIMITS.maxOperationsPerParticipant} operations`),
      }),
      { error: 'must be an array of participants' },
    )
    .min(1, 'must name at least one participant')
    .max(LIMITS.maxParticipants, `must name at most ${LIMITS.maxParticipants} participants`),
  timeoutSeconds: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(LIMITS.minTimeoutSeconds, `must be at least ${LIMITS.minTimeoutSeconds}`)
    .max(LIMITS.maxTimeoutSeconds, `must be at most ${LIMITS.maxTimeoutSeconds}`)
    .optional(),
});

/** The body of POST /transactions as a client writes it (before the kinds check the operations). */
export type TransactionRequestBody = z.input<typeof requestSchema>;

export interface ParticipantWork {
  name: string;
  operations: Array<Record<string, unknown>>;
}

export interface TransactionRequest {
  txnId?: string;
  participants: ParticipantWork[];
  timeoutSeconds: number;
}

export interface ValidationError {
  code: 'INVALID_REQUEST';
  message: string;
  /** Where the problem is, e.g. `participants[0].operations[1].amount`. */
  field: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; error: ValidationError };

function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

function invalid(field: string, message: string): Validated<never> {
  return { ok: false, error: { code: 'INVALID_REQUEST', field: field || 'body', message: `${field || 'body'} ${message}` } };
}

/**
 * Validates a parsed JSON body against the rules and the configured participants and kinds. Given the
 * coordinator variant, also refuses a timeout longer than that workflow can run (Express: five minutes in all).
 */
export function validateTransactionRequest(body: unknown, config: ParticipantConfig, variant?: CoordinatorVariant): Validated<TransactionRequest> {
  // reportInput: tells a missing field (input undefined) from one of the wrong type.
  const parsed = requestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) return invalid('body', 'is invalid');
    const message = issue.code === 'unrecognized_keys' ? `has unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    const field = issue.code === 'unrecognized_keys' ? fieldOf([...issue.path, issue.keys[0] ?? '']) : fieldOf(issue.path);
    return invalid(field, issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : message);
  }
  const longest = variant ? MAX_TRANSACTION_TIMEOUT_SECONDS[variant] : LIMITS.maxTimeoutSeconds;
  if (parsed.data.timeoutSeconds !== undefined && parsed.data.timeoutSeconds > longest) {
    return invalid(
      'timeoutSeconds',
      `must be at most ${longest} on the ${variant} coordinator, which must also finish phase 2 within its ${EXECUTION_TIMEOUT_SECONDS[variant ?? 'standard']} s; deploy the standard variant for longer transactions`,
    );
  }
  const seen = new Set<string>();
  const participants: ParticipantWork[] = [];
  for (const [i, participant] of parsed.data.participants.entries()) {
    const at = `participants[${i}]`;
    const spec = config.get(participant.name);
    if (!spec) return invalid(`${at}.name`, `names an unknown participant '${participant.name}'; known: ${[...config.keys()].join(', ')}`);
    if (seen.has(participant.name)) return invalid(`${at}.name`, `names participant '${participant.name}' twice; merge its operations into one entry`);
    seen.add(participant.name);
    const kind = spec.definition;
    const keys = new Set<string>();
    const operations: Array<Record<string, unknown>> = [];
    for (const [j, op] of participant.operations.entries()) {
      const opAt = `${at}.operations[${j}]`;
      if (!kind.operationNames.includes(op.op)) {
        return invalid(
          `${opAt}.op`,
          `is '${op.op}', not an operation of ${spec.kind} participant '${participant.name}'; allowed: ${kind.operationNames.join(', ')}`,
        );
      }
      // The operation as the client sent it, not the loose copy: a copy would turn an own `__proto__` key into a prototype.
      const raw = (body as { participants: Array<{ operations: unknown[] }> }).participants[i]?.operations[j];
      const checked = kind.operation.safeParse(raw, { reportInput: true });
      if (!checked.success) {
        const issue = checked.error.issues[0];
        if (!issue) return invalid(opAt, 'is invalid');
        if (issue.code === 'unrecognized_keys') return invalid(fieldOf([opAt, issue.keys[0] ?? '']), `is not a field of '${op.op}'`);
        const field = `${opAt}${issue.path.length ? `.${fieldOf(issue.path)}` : ''}`;
        return invalid(field, issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message);
      }
      if (keys.has(checked.data.key)) return invalid(`${opAt}.key`, `repeats key '${checked.data.key}'; each key may appear once per participant`);
      // The participant refuses it as invalid too; accepted here, it would only end ABORTED with an ERROR.
      if (spec.shardedKeys.has(checked.data.key) && !spreadsOverShards(kind.plan(checked.data))) {
        return invalid(
          `${opAt}.op`,
          `is '${op.op}', but key '${checked.data.key}' of participant '${participant.name}' is sharded, and only operations that escrow a quantity (credit, debit) can spread over its shards`,
        );
      }
      keys.add(checked.data.key);
      operations.push(checked.data);
    }
    participants.push({ name: participant.name, operations });
  }
  return {
    ok: true,
    value: {
      ...(parsed.data.txnId !== undefined ? { txnId: parsed.data.txnId } : {}),
      participants,
      timeoutSeconds: parsed.data.timeoutSeconds ?? LIMITS.defaultTimeoutSeconds,
    },
  };
}

/** Identifies the request's content, so a repeat with a different body is told apart from a retry. */
export function requestDigest(request: TransactionRequest): string {
  const canonical = JSON.stringify({ participants: request.participants, timeoutSeconds: request.timeoutSeconds });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The txnId of a request: the client's own, else one derived from its Idempotency-Key (so a retried
 * POST maps to the same transaction), else a fresh one.
 */
export function transactionIdFor(request: TransactionRequest, idempotencyKey?: string): string {
  if (request.txnId) return request.txnId;
  if (idempotencyKey) return `idem-${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 40)}`;
  return `txn-${randomUUID()}`;
}
