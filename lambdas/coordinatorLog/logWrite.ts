/**
 * What a write of the coordinator log item is, as plain data: its key, its condition, and what it sets,
 * adds and removes, each value a constant or a named argument. logWriteAsl.ts renders one as the
 * Parameters of a Step Functions DynamoDB task (an argument is then a JSONPath), logWriteSdk.ts as the
 * input of a DocumentClient command (an argument is then a value); logWrites.ts holds every write.
 */
import { LOG_ATTRIBUTES, type LogAttribute, type LogAttributeSpec, type LogAttributeType, expressionName, isLogAttribute } from './logAttributes.js';

/**
 * A value a write uses, by its placeholder name (`:name` in the expressions). An optional argument
 * that is not given drops every clause that uses it, so a write can say "only when there is a note".
 */
export type LogValue =
  | { readonly type: LogAttributeType; readonly constant: string | number | boolean }
  | { readonly type: LogAttributeType; readonly argument: 'required' | 'optional' };

export const constant = <T extends LogAttributeType>(type: T, value: string | number | boolean) => ({ type, constant: value });
export const argument = <T extends LogAttributeType>(type: T) => ({ type, argument: 'required' as const });
export const optionalArgument = <T extends LogAttributeType>(type: T) => ({ type, argument: 'optional' as const });

/** `attribute = :value`, or `attribute = if_not_exists(attribute, :value)` to keep what an earlier write stored. */
export interface Assignment {
  readonly attribute: LogAttribute;
  readonly value: string;
  readonly ifNotExists?: true;
}

interface WriteCommon {
  /** The write in protocol words, for messages and tests. */
  readonly name: string;
  readonly values: Readonly<Record<string, LogValue>>;
  /** A condition expression over the item, its values as `:name` (attributes named as in any expression). */
  readonly condition?: string;
}

/** An UpdateItem: `SET … ADD … REMOVE …` on the item whose key is the value `key`. */
export interface LogUpdate extends WriteCommon {
  readonly action: 'update';
  readonly key: string;
  readonly set: readonly Assignment[];
  /** `ADD attribute :value`: a number added to, or strings added to a set. */
  readonly add?: ReadonlyArray<{ readonly attribute: LogAttribute; readonly value: string }>;
  readonly remove?: readonly LogAttribute[];
}

/** A PutItem: the whole item, each attribute from a value. */
export interface LogPut extends WriteCommon {
  readonly action: 'put';
  readonly set: readonly Assignment[];
}

export type LogWrite = LogUpdate | LogPut;

type ArgumentNames<W extends LogWrite, Kind> = {
  [P in keyof W['values']]: W['values'][P] extends { argument: Kind } ? P : never;
}[keyof W['values']];

/** A value of the given DynamoDB type as the DocumentClient takes it (a string set must be a Set). */
export type LogArgumentValue<T extends LogAttributeType> = T extends 'S' ? string : T extends 'N' ? number : T extends 'BOOL' ? boolean : ReadonlySet<string>;

/** The values a write's arguments take in an SDK call. */
export type SdkArguments<W extends LogWrite> = {
  [P in ArgumentNames<W, 'required'>]: LogArgumentValue<W['values'][P]['type']>;
} & {
  [P in ArgumentNames<W, 'optional'>]?: LogArgumentValue<W['values'][P]['type']> | undefined;
};

/** The JSONPaths (or intrinsic expressions) a write's arguments take in ASL. */
export type AslPaths<W extends LogWrite> = { [P in ArgumentNames<W, 'required'>]: string } & { [P in ArgumentNames<W, 'optional'>]?: string };

const PLACEHOLDER = /:([A-Za-z][A-Za-z0-9]*)/g;
const NAME = /#([A-Za-z][A-Za-z0-9]*)/g;

/** The placeholders an expression uses, without their colon. */
export const placeholdersIn = (expression: string | undefined): string[] => [...(expression ?? '').matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');

/**
 * The write with the clauses of every optional argument not given left out, as rendered: the SET, ADD
 * and REMOVE clauses, the values its expressions use (in the order the write declares them; a put's
 * item values are not among them) and the `#name`s its expressions use.
 */
export function shapeOf(write: LogWrite, given: (placeholder: string) => boolean) {
  const kept = (value: string) => {
    const spec = write.values[value];
    if (!spec) throw new Error(`log write ${write.name} uses :${value}, which it does not declare`);
    return !('argument' in spec) || spec.argument === 'required' || given(value);
  };
  const set = write.set.filter((a) => kept(a.value));
  const add = write.action === 'update' ? (write.add ?? []).filter((a) => kept(a.value)) : [];
  const remove = write.action === 'update' ? (write.remove ?? []) : [];
  // A put's item names its attributes as they are: only its condition is an expression.
  const inExpressions = write.action === 'update' ? [...set.map((a) => a.value), ...add.map((a) => a.value)] : [];
  const used = new Set([...inExpressions, ...placeholdersIn(write.condition)]);
  const values = Object.entries(write.values).filter(([name]) => used.has(name));
  const attributes = write.action === 'update' ? [...set.map((a) => a.attribute), ...add.map((a) => a.attribute), ...remove] : [];
  const names = [
    ...new Set([...attributes.filter((a) => expressionName(a) !== a).map(expressionName), ...[...(write.condition ?? '').matchAll(NAME)].map((m) => m[0])]),
  ];
  return { set, add, remove, values, names };
}

/** The UpdateExpression of an update, with only the clauses kept. */
export function updateExpression(shape: Pick<ReturnType<typeof shapeOf>, 'set' | 'add' | 'remove'>): string {
  const value = (a: Assignment) => (a.ifNotExists ? `if_not_exists(${expressionName(a.attribute)}, :${a.value})` : `:${a.value}`);
  return [
    shape.set.length ? `SET ${shape.set.map((a) => `${expressionName(a.attribute)} = ${value(a)}`).join(', ')}` : '',
    shape.add.length ? `ADD ${shape.add.map((a) => `${expressionName(a.attribute)} :${a.value}`).join(', ')}` : '',
    shape.remove.length ? `REMOVE ${shape.remove.map(expressionName).join(', ')}` : '',
  ]
    .filter((clause) => clause !== '')
    .join(' ');
}

/** `#name` back to the attribute it stands for. */
export const attributeOfName = (name: string): string => (name.startsWith('#') ? name.slice(1) : name);

/**
 * What is wrong with a write description, in words (empty when nothing): an attribute the log item
 * does not declare, a value of another type than its attribute's, a placeholder used but not declared
 * or declared but never used (DynamoDB refuses both), an optional argument in the condition, the key
 * written by an update, or an update clause in a put.
 */
export function problemsOf(write: LogWrite): string[] {
  const problems: string[] = [];
  const touched: Array<{ attribute: string; value?: string; clause: string }> = [
    ...write.set.map((a) => ({ attribute: a.attribute as string, value: a.value, clause: 'SET' })),
    ...(write.action === 'update' ? (write.add ?? []).map((a) => ({ attribute: a.attribute as string, value: a.value, clause: 'ADD' })) : []),
    ...(write.action === 'update' ? (write.remove ?? []).map((a) => ({ attribute: a as string, clause: 'REMOVE' })) : []),
  ];
  for (const { attribute, value, clause } of touched) {
    if (!isLogAttribute(attribute)) {
      problems.push(`${write.name}: ${clause} ${attribute}, an attribute the log item does not declare`);
      continue;
    }
    const expected: LogAttributeSpec = LOG_ATTRIBUTES[attribute];
    if (write.action === 'update' && expected.key) problems.push(`${write.name}: an update must not write the key ${attribute}`);
    if (value === undefined) continue;
    const spec = write.values[value];
    if (!spec) problems.push(`${write.name}: ${attribute} takes :${value}, which is not declared`);
    // ADD to a number adds a number, ADD to a string set adds a string set: the same type either way.
    else if (spec.type !== expected.type) problems.push(`${write.name}: ${attribute} is ${expected.type} but :${value} is ${spec.type}`);
  }
  const setValues = write.set.map((a) => a.value);
  const used = new Set([
    ...setValues,
    ...(write.action === 'update' ? [write.key, ...(write.add ?? []).map((a) => a.value)] : []),
    ...placeholdersIn(write.condition),
  ]);
  for (const name of used) if (!(name in write.values)) problems.push(`${write.name}: :${name} is used but not declared`);
  for (const name of Object.keys(write.values)) if (!used.has(name)) problems.push(`${write.name}: :${name} is declared but never used`);
  for (const name of placeholdersIn(write.condition)) {
    const spec = write.values[name];
    if (spec && 'argument' in spec && spec.argument === 'optional') problems.push(`${write.name}: the condition uses the optional :${name}`);
  }
  for (const [, name] of (write.condition ?? '').matchAll(NAME)) {
    if (!name || !isLogAttribute(name) || expressionName(name) === name) problems.push(`${write.name}: the condition names #${name}, not a reserved attribute`);
  }
  if (write.action === 'put') {
    if (write.set.some((a) => a.ifNotExists)) problems.push(`${write.name}: a put has no if_not_exists`);
    if (!write.set.some((a) => a.attribute === 'txnId')) problems.push(`${write.name}: a put must write the key txnId`);
  }
  return problems;
}
