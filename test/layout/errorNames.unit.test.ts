/**
 * Each error name has one definition (lambdas/protocol/errorNames.ts) that the code imports: a
 * `'Pakka.…'` string literal anywhere else in the shipped sources is a copy that could drift. Tests
 * may still spell a name out: there it pins the wire contract.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { sourceFiles } from '../support/importGraph.js';

const DEFINITION = 'lambdas/protocol/errorNames.ts';
const SHIPPED = ['lambdas', 'statemachines/source', 'local', 'infra', 'cli', 'client', 'lib', 'testing', 'console/src'];
const ERROR_LITERAL = /(['"])Pakka\.[A-Z][A-Za-z]*(?:\.[A-Z_]+)?\1/g;

describe('error names', () => {
  it('are written as literals only where they are defined', () => {
    const copies = SHIPPED.flatMap(sourceFiles)
      .filter((file) => file !== DEFINITION)
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(ERROR_LITERAL)].map((m) => `${file}: ${m[0]}`));
    expect(copies).toEqual([]);
  });

  it('are distinct and all in the Pakka namespace', () => {
    const names = Object.values(PAKKA_ERROR);
    expect(new Set(names).size).toBe(names.length);
    // One name has a part below its family: Pakka.VoteAbort.TEAM, the raised no with a team's own reason.
    for (const name of names) expect(name).toMatch(/^Pakka\.[A-Z][A-Za-z]+(?:\.[A-Z_]+)?$/);
  });
});
