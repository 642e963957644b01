/**
 * The external tools some tests drive (spin and gcc, promtool, Chromium). Away from CI a missing tool
 * skips those tests with a warning; with CI set (any value but "" , "0" or "false") it is a failing
 * test that names the package to install, never a silent skip: CI must run every proof.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it } from 'vitest';
import type { Availability } from '../../local/sqlServers.js';

export const ON_CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

export interface Tool {
  name: string;
  /** The Debian package that brings it (.ci/run installs it). */
  debianPackage: string;
  present: () => boolean;
}

export const commandRuns = (command: string, args: string[]) => (): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
export const fileExists = (path: string) => (): boolean => existsSync(path);

/**
 * Whether the tests that need these tools can run here. Call it inside the describe block of those
 * tests: on CI a missing tool adds a failing test there; elsewhere it prints why they are skipped.
 */
export function toolsPresent(...tools: Tool[]): boolean {
  const missing = tools.filter((tool) => !tool.present());
  if (missing.length === 0) return true;
  const message = missing.map((t) => `${t.name} is missing (Debian package "${t.debianPackage}")`).join('; ');
  if (ON_CI) {
    it(`needs ${missing.map((t) => t.name).join(', ')}`, () => {
      throw new Error(`${message}: CI must install it (.ci/run does)`);
    });
  } else {
    console.warn(`${message}: the tests that need it are skipped here; with CI set they fail`);
  }
  return false;
}

/** A test file's gate on a SQL server (local/sqlServers.ts): skip with the reason locally, fail under CI (where .ci/run installs both servers). */
export function requireServer(availability: Availability): boolean {
  if (availability.ok) return true;
  if (ON_CI) throw new Error(`${availability.why}: .ci/run installs it; CI must not skip these tests`);
  console.warn(`skipping: ${availability.why}`);
  return false;
}
