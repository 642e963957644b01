/**
 * AWS's limit on intrinsic functions in one field: "You can nest up to 10 intrinsic functions within a
 * field" (Step Functions developer guide, "Intrinsic functions for JSONPath states"), where its own
 * example of nine calls, at most five deep, counts as nine. So every call in the field counts, however
 * deep. Neither asl-validator nor AWS's ASL language service checks it; Step Functions refuses the
 * definition at deploy.
 */
export const MAX_INTRINSICS_PER_FIELD = 10;

/** How many intrinsic calls one field's value makes; text inside quoted string arguments is not a call. */
export function intrinsicCalls(value: string): number {
  const outsideStrings = value.replace(/'(?:\\.|[^'\\])*'/g, "''");
  return outsideStrings.match(/States\.[A-Za-z0-9]+\(/g)?.length ?? 0;
}

/** Fields that take a path or an intrinsic: payload templates (`name.$`) and a Fail state's paths. */
const takesIntrinsics = (name: string) => name.endsWith('.$') || name === 'CausePath' || name === 'ErrorPath';

/** Every such field of a definition (any depth), with its path and number of calls. */
export function intrinsicFields(value: unknown, path = '$'): Array<{ path: string; calls: number }> {
  if (Array.isArray(value)) return value.flatMap((item, i) => intrinsicFields(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, field]) =>
    takesIntrinsics(name) && typeof field === 'string'
      ? [{ path: `${path}.${name}`, calls: intrinsicCalls(field) }]
      : intrinsicFields(field, `${path}.${name}`),
  );
}

/** The fields of a definition that make more intrinsic calls than AWS allows. */
export function fieldsOverIntrinsicLimit(definition: unknown): Array<{ path: string; calls: number }> {
  return intrinsicFields(definition).filter((field) => field.calls > MAX_INTRINSICS_PER_FIELD);
}
