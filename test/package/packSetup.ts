/**
 * The package test's global setup: `npm pack` once for the whole run, so the test files under
 * test/package/, which vitest runs side by side, each install the same tarball. It runs after
 * test/support/globalSetup.ts, which has built the console bundle if it was stale, so the pack's build
 * finds it. The work folder (the tarball, and what a failed test file left behind) is deleted when the
 * run ends.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's work folder: the tarball, and beside it each test file's own project folder. */
    packageWork: string;
    /** The packed library (`npm pack`), which each package test file installs into a project of its own. */
    packageTarball: string;
  }
}

let work: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  work = mkdtempSync(join(tmpdir(), 'pakka-package-'));
  try {
    // prepack runs `npm run build`, so the tarball always holds a fresh dist/. npm prints the
    // tarball's name last, after the build's output.
    const { stdout } = await promisify(execFile)('npm', ['pack', '--pack-destination', work], { cwd: project.config.root, maxBuffer: 64 * 1024 * 1024 });
    const tarball = stdout.trim().split('\n').at(-1) ?? '';
    if (!tarball.endsWith('.tgz')) throw new Error(`npm pack printed no tarball's name last: ${stdout.slice(-2000)}`);
    project.provide('packageWork', work);
    project.provide('packageTarball', join(work, tarball));
  } catch (error) {
    teardown();
    throw error;
  }
}

export function teardown(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
}
