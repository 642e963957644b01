/** The body parser's limits (issue 21 D15): nesting past the documented limit is a 400 that names the rule, never a RangeError. */
import { describe, expect, it } from 'vitest';
import { MAX_JSON_NESTING, parseExactJson } from '../../lambdas/api/exactJson.js';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('nesting', () => {
  it.each([2_500, 6_000, 100_000])('refuses %i levels with the rule, not an exception', (levels) => {
    expect(parseExactJson(nested(levels))).toEqual({ ok: false, field: 'body', message: expect.stringContaining(`more than ${MAX_JSON_NESTING} levels`) });
    expect(parseExactJson(`{"participants":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`)).toMatchObject({ ok: false, field: 'body' });
  });

  it('takes the limit itself, and counts no bracket inside a string', () => {
    expect(parseExactJson(nested(MAX_JSON_NESTING))).toMatchObject({ ok: true });
    expect(parseExactJson(nested(MAX_JSON_NESTING + 1))).toMatchObject({ ok: false });
    expect(parseExactJson(JSON.stringify({ note: '['.repeat(10_000), quoted: '\\"[[[' }))).toMatchObject({ ok: true });
  });
});
