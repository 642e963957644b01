/**
 * A log write (logWrite.ts) as the input of a DocumentClient UpdateCommand or PutCommand: each
 * argument's value is given. Recovery and the API's txnId claim call this; neither types an
 * expression itself.
 */
import type { PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOG_KEY } from './logAttributes.js';
import { type LogPut, type LogUpdate, type LogValue, type LogWrite, type SdkArguments, attributeOfName, shapeOf, updateExpression } from './logWrite.js';

function valuesOf(write: LogWrite, args: Readonly<Record<string, unknown>>) {
  for (const name of Object.keys(args)) {
    const spec = write.values[name];
    if (!spec || 'constant' in spec) throw new Error(`log write ${write.name}: a value for :${name}, which is not an argument`);
  }
  const value = (placeholder: string, spec: LogValue): unknown => {
    if ('constant' in spec) return spec.constant;
    const given = args[placeholder];
    if (given === undefined) throw new Error(`log write ${write.name}: no value for :${placeholder}`);
    return given;
  };
  return { value, shape: shapeOf(write, (placeholder) => args[placeholder] !== undefined) };
}

const itemFrom = (write: LogWrite, value: (placeholder: string, spec: LogValue) => unknown, shape: ReturnType<typeof shapeOf>) =>
  Object.fromEntries(shape.set.map((a) => [a.attribute, value(a.value, write.values[a.value] as LogValue)]));

/** The item a put writes. */
export function itemOf<W extends LogPut>(write: W, args: SdkArguments<W>): Record<string, unknown> {
  const { value, shape } = valuesOf(write, args as Readonly<Record<string, unknown>>);
  return itemFrom(write, value, shape);
}

export function toSdk<W extends LogUpdate>(write: W, tableName: string, args: SdkArguments<W>): UpdateCommandInput;
export function toSdk<W extends LogPut>(write: W, tableName: string, args: SdkArguments<W>): PutCommandInput;
export function toSdk<W extends LogWrite>(write: W, tableName: string, args: SdkArguments<W>): UpdateCommandInput | PutCommandInput {
  const { value, shape } = valuesOf(write, args as Readonly<Record<string, unknown>>);
  const values = Object.fromEntries(shape.values.map(([name, spec]) => [`:${name}`, value(name, spec)]));
  const names = shape.names.length ? { ExpressionAttributeNames: Object.fromEntries(shape.names.map((n) => [n, attributeOfName(n)])) } : {};
  const condition = write.condition ? { ConditionExpression: write.condition } : {};
  const withValues = shape.values.length ? { ExpressionAttributeValues: values } : {};
  if (write.action === 'put') return { TableName: tableName, Item: itemFrom(write, value, shape), ...condition, ...names, ...withValues };
  return {
    TableName: tableName,
    Key: { [LOG_KEY]: value(write.key, write.values[write.key] as LogValue) },
    UpdateExpression: updateExpression(shape),
    ...condition,
    ...names,
    ...withValues,
  };
}
