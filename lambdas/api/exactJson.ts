/**
 * A request body read so that nothing in it is silently changed: the bytes must be UTF-8, every
 * string (keys too) well-formed Unicode (no lone surrogate, which JSON's \u escapes can spell), and
 * every number written as an integer that a JavaScript number holds exactly. JSON.parse would round
 * `2.99999999999999999` to 3 and `9007199254740993` to its neighbour before any schema saw them, so
 * the body is parsed with lossless-json, which keeps each number's source text, and checked here.
 * (JSON.parse's reviver `context.source` would do the same, but only from Node 21.)
 */
import { isLosslessNumber, parse } from 'lossless-json';

export type ExactJson = { ok: true; value: unknown } | { ok: false; field: string; message: string };

/** Digits only, an optional minus, no leading zero: the only way an integer is taken. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** With the u flag a surrogate pair is one code point, so this matches only a lone surrogate. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const NUMBER_RULE = `must be an integer written with digits only (no fraction or exponent), from ${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`;
const SURROGATE_RULE = 'contains a lone UTF-16 surrogate (such as \\ud800): text must be well-formed Unicode';

/** The text of a body that arrived as bytes; undefined when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

class Refusal extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(rule);
  }
}

const child = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** Checks and converts what lossless-json produced: numbers to JavaScript numbers, exactly. */
function exact(value: unknown, path: string): unknown {
  if (isLosslessNumber(value)) {
    const text = value.value;
    const n = INTEGER_TEXT.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) throw new Refusal(path || 'body', `${NUMBER_RULE}: got ${text}`);
    return n;
  }
  if (typeof value === 'string') {
    if (hasLoneSurrogate(value)) throw new Refusal(path || 'body', SURROGATE_RULE);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => exact(item, child(path, i)));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays a key (and a schema refuses it).
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        if (hasLoneSurrogate(key)) throw new Refusal(child(path, key), `has a name that ${SURROGATE_RULE}`);
        return [key, exact(item, child(path, key))];
      }),
    );
  }
  return value;
}

/**
 * How deep arrays and objects may nest in a body. A transaction request needs 5 levels (body,
 * participants, entry, operations, operation); the limit leaves room for a kind's own nested fields
 * and keeps every parser and walker here far from the call stack's end (thousands of levels threw a
 * RangeError, a 500).
 */
export const MAX_JSON_NESTING = 64;

/** The deepest nesting of arrays and objects in JSON text, counted in one pass; brackets inside strings do not count. */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses JSON text; a refusal names the field (a path like `participants[0].operations[1].amount`) and the rule. */
export function parseExactJson(text: string): ExactJson {
  if (nestingExceeds(text, MAX_JSON_NESTING)) {
    return { ok: false, field: 'body', message: `body nests arrays and objects more than ${MAX_JSON_NESTING} levels deep, the most a request may` };
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    return { ok: false, field: 'body', message: `body is not valid JSON${error instanceof Error ? `: ${error.message}` : ''}` };
  }
  try {
    return { ok: true, value: exact(raw, '') };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, field: error.field, message: `${error.field} ${error.rule}` };
    throw error;
  }
}
