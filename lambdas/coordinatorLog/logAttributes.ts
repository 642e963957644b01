/**
 * The coordinator log item's attributes, declared once: each one's DynamoDB type, and whether its name
 * is a DynamoDB reserved word (then every expression names it through `#name`). The reader's zod schema
 * (coordinatorLog.ts) has one field for each, under the same name, and the type checker holds it to
 * exactly this list; every write (logWrites.ts) may set, add or remove only these.
 */

/** The DynamoDB types the log item holds (a string set for the violations that concurrent sweepers add to). */
export type LogAttributeType = 'S' | 'N' | 'BOOL' | 'SS';

export interface LogAttributeSpec {
  type: LogAttributeType;
  /** The table's partition key. */
  key?: true;
  /** A DynamoDB reserved word ("Reserved words in DynamoDB", DynamoDB developer guide): usable in an expression only as `#name`. */
  reserved?: true;
}

export const LOG_ATTRIBUTES = {
  txnId: { type: 'S', key: true },
  status: { type: 'S', reserved: true },
  createdAt: { type: 'S' },
  timeoutSeconds: { type: 'N' },
  requestDigest: { type: 'S' },
  idempotencyKey: { type: 'S' },
  participantsJson: { type: 'S' },
  executionName: { type: 'S' },
  executionArn: { type: 'S' },
  executionStartedAt: { type: 'S' },
  decision: { type: 'S' },
  onePhase: { type: 'BOOL' },
  decidedAt: { type: 'S' },
  decidedBy: { type: 'S' },
  votesJson: { type: 'S' },
  abortReason: { type: 'S' },
  abortedBy: { type: 'S' },
  abortRule: { type: 'S' },
  phase2StartedAt: { type: 'S' },
  phase2Json: { type: 'S' },
  heuristicHazard: { type: 'BOOL' },
  leftToRecoveryAt: { type: 'S' },
  finishedAt: { type: 'S' },
  decisionNote: { type: 'S' },
  violations: { type: 'SS' },
  recoveredAt: { type: 'S' },
  recoveryAttempts: { type: 'N' },
  lastRecoveryError: { type: 'S' },
  statusPartition: { type: 'S' },
  openPartition: { type: 'S' },
} as const satisfies Record<string, LogAttributeSpec>;

export type LogAttribute = keyof typeof LOG_ATTRIBUTES;

/** Every attribute a log item may hold: a writer that sets any other is wrong (test/coordinator/logWrites.unit.test.ts). */
export const LOG_ITEM_ATTRIBUTES: ReadonlySet<string> = new Set(Object.keys(LOG_ATTRIBUTES));

export const isLogAttribute = (name: string): name is LogAttribute => LOG_ITEM_ATTRIBUTES.has(name);

/** The log table's partition key. */
export const LOG_KEY = 'txnId' satisfies LogAttribute;

/** How an expression names the attribute: `#name` for a reserved word, else the name itself (an undeclared name as it is, for the checks to find). */
export const expressionName = (attribute: LogAttribute): string =>
  (LOG_ATTRIBUTES as Readonly<Record<string, LogAttributeSpec | undefined>>)[attribute]?.reserved ? `#${attribute}` : attribute;

/** A stored attribute's value as the DocumentClient reads and writes it. */
type ValueOf<T extends LogAttributeType> = T extends 'S' ? string : T extends 'N' ? number : T extends 'BOOL' ? boolean : ReadonlySet<string> | string[];

/** A log item as stored, before the reader parses it: any subset of the declared attributes, each of its type. */
export type StoredLogAttributes = { [A in LogAttribute]?: ValueOf<(typeof LOG_ATTRIBUTES)[A]['type']> };

/**
 * A read of only these attributes, as GetItem takes it (the SDK's and the ASL's parameters alike): the projection,
 * and the `#name`s of the reserved words among them.
 */
export function logProjection(...attributes: readonly LogAttribute[]): { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> } {
  const reserved = attributes.filter((attribute) => expressionName(attribute) !== attribute);
  return {
    ProjectionExpression: attributes.map(expressionName).join(', '),
    ...(reserved.length ? { ExpressionAttributeNames: Object.fromEntries(reserved.map((attribute) => [`#${attribute}`, attribute])) } : {}),
  };
}
