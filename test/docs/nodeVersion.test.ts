/**
 * The README's Node version tells the truth: package.json's `engines` is the floor it names, and every
 * dependency that declares a higher floor (npm warns EBADENGINE for it on a fresh install) is named in
 * the README with that warning, so a user who sees the warning finds it explained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/synth.js';

const readJson = (path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as Record<string, unknown>;
/** The major version a range like ">=22.0.0" or ">= 20" starts at (a "^20 || >=22" range: its lowest). */
const floorOf = (range: string) => Math.min(...[...range.matchAll(/(\d+)(?:\.\d+)*/g)].map((m) => Number(m[1])));

describe('the Node version the README states', () => {
  const pkg = readJson('package.json') as { engines: { node: string }; dependencies: Record<string, string>; peerDependencies: Record<string, string> };
  const floor = floorOf(pkg.engines.node);
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  it('is the floor package.json declares', () => {
    expect(readme).toContain(`Node.js ${floor} or newer`);
  });

  it('explains the EBADENGINE warning of every dependency that wants a newer Node', () => {
    const higher = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter((name) => {
      const engines = (readJson(join('node_modules', name, 'package.json')) as { engines?: { node?: string } }).engines;
      return engines?.node !== undefined && floorOf(engines.node) > floor;
    });
    expect(higher.length).toBeGreaterThan(0);
    expect(readme).toContain('EBADENGINE');
    for (const name of higher) expect(readme, `the README does not explain ${name}'s engines warning`).toContain(`\`${name}\``);
  });
});
