/**
 * A log write (logWrite.ts) as the Parameters of a Step Functions DynamoDB task: each argument's value
 * is a JSONPath or intrinsic expression (`"S.$": "$.x"`), as the local engine runs them (JSONPath
 * only, no JSONata or Variables). The ASL generator calls this; it never types an expression itself.
 */
import { LOG_KEY, type LogAttributeType } from './logAttributes.js';
import { type AslPaths, type LogValue, type LogWrite, attributeOfName, shapeOf, updateExpression } from './logWrite.js';

/** JSON as a state machine definition holds it (the same shape as statemachines/source/asl.ts's Json). */
export type AslJson = string | number | boolean | null | AslJson[] | { [key: string]: AslJson };

/** The task resource of each kind of write (Step Functions' optimized DynamoDB integration). */
export const ASL_RESOURCE = {
  update: 'arn:aws:states:::dynamodb:updateItem',
  put: 'arn:aws:states:::dynamodb:putItem',
} as const;

/**
 * A number goes to DynamoDB as a string, and ASL has no number-to-string path: States.Format makes one
 * of whatever the path or intrinsic yields.
 */
function fromPath(type: LogAttributeType, path: string): { [key: string]: AslJson } {
  return type === 'N' ? { 'N.$': `States.Format('{}', ${path})` } : { [`${type}.$`]: path };
}

function fromConstant(type: LogAttributeType, value: string | number | boolean): { [key: string]: AslJson } {
  if (type === 'N') return { N: String(value) };
  if (type === 'SS') throw new Error('a string set is never a constant of a log write');
  return { [type]: value };
}

function rendered(write: LogWrite, placeholder: string, spec: LogValue, paths: Readonly<Record<string, string | undefined>>) {
  if ('constant' in spec) return fromConstant(spec.type, spec.constant);
  const path = paths[placeholder];
  if (path === undefined) throw new Error(`log write ${write.name}: no path for :${placeholder}`);
  return fromPath(spec.type, path);
}

/** The Parameters of the task (TableName first, as AWS's examples write it); an optional argument without a path drops its clauses. */
export function toAsl<W extends LogWrite>(write: W, tableName: string, paths: AslPaths<W>): { [key: string]: AslJson } {
  const given = paths as Readonly<Record<string, string | undefined>>;
  for (const name of Object.keys(given)) {
    const spec = write.values[name];
    if (!spec || 'constant' in spec) throw new Error(`log write ${write.name}: a path for :${name}, which is not an argument`);
  }
  const shape = shapeOf(write, (placeholder) => given[placeholder] !== undefined);
  const values = Object.fromEntries(shape.values.map(([name, spec]) => [`:${name}`, rendered(write, name, spec, given)]));
  type Fields = { [key: string]: AslJson };
  const names: Fields = shape.names.length ? { ExpressionAttributeNames: Object.fromEntries(shape.names.map((n) => [n, attributeOfName(n)])) } : {};
  const condition: Fields = write.condition ? { ConditionExpression: write.condition } : {};
  const withValues: Fields = shape.values.length ? { ExpressionAttributeValues: values } : {};
  if (write.action === 'put') {
    const item = Object.fromEntries(shape.set.map((a) => [a.attribute, rendered(write, a.value, write.values[a.value] as LogValue, given)]));
    return { TableName: tableName, Item: item, ...condition, ...names, ...withValues };
  }
  return {
    TableName: tableName,
    Key: { [LOG_KEY]: rendered(write, write.key, write.values[write.key] as LogValue, given) },
    UpdateExpression: updateExpression(shape),
    ...condition,
    ...names,
    ...withValues,
  };
}
