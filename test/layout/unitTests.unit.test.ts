/**
 * The naming rule of the test projects (docs/architecture.md, "Tests"): a `*.unit.test.ts` file runs
 * with no global setup, so it must not reach, through any import, a fixture that needs DynamoDB Local,
 * the console bundle, a CDK synth, a browser or an external tool. A test that needs one is named
 * `*.test.ts` and runs in the integration projects.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, reachableFrom } from '../support/importGraph.js';

/** What only the integration projects provide, as it shows in a source file. */
const INTEGRATION_ONLY: Array<[string, RegExp]> = [
  ['DynamoDB Local from the global setup', /\binject\(\s*'dynamoEndpoint'/],
  ['starting DynamoDB Local', /\bstartDynamoLocal\(/],
  ['the console bundle', /\bensureConsoleBuilt\(/],
  ['a CDK synth', /\bsharedSynth\(|\.synth\(\)|Template\.fromStack\(/],
  ['a browser', /\bchromium\b/],
  ['spin or gcc', /\b(?:execFileSync|spawnSync|execFile|spawn)\(\s*'(?:spin|gcc)'/],
];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(REPO, path)] : [];
  });
}

const unitFiles = testFiles(resolve(REPO, 'test')).filter((f) => f.endsWith('.unit.test.ts'));

describe('unit test files reach no integration fixture', () => {
  it('finds the unit files', () => {
    expect(unitFiles.length).toBeGreaterThan(10);
  });

  it.each(unitFiles)('%s', (file) => {
    const offences: string[] = [];
    // Test code is where a fixture is called; the modules it imports only define them.
    for (const reached of [...reachableFrom(file)].filter((f) => f.startsWith('test/'))) {
      const source = readFileSync(resolve(REPO, reached), 'utf8');
      for (const [what, pattern] of INTEGRATION_ONLY) if (pattern.test(source)) offences.push(`${reached} uses ${what}`);
    }
    expect(offences, `${file} needs the integration setup: name it *.test.ts, not *.unit.test.ts`).toEqual([]);
  });

  it('the check itself sees an integration fixture through an import', () => {
    // coordinator.test.ts calls inject itself and also through test/support/pakka.ts.
    const reached = [...reachableFrom('test/coordinator/coordinator.test.ts')];
    const injecting = reached.filter((f) => INTEGRATION_ONLY[0]?.[1].test(readFileSync(resolve(REPO, f), 'utf8')));
    expect(injecting).toContain('test/support/pakka.ts');
  });
});
