/**
 * What the package test files share: the environment a team's commands run in, a folder of each
 * file's own beside the run's tarball (packed once by packSetup.ts), and followPage, which follows a
 * page's section in such a folder, empty but for the tarball.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, inject, it } from 'vitest';
import type { FirstHourStep } from './firstHour.js';

export const run = promisify(execFile);
export const ENV = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };

/**
 * A folder of the test file's own in the run's work folder, made before its tests and deleted after
 * them. An installed project (aws-cdk-lib and all) is slow to delete on a busy machine, so each file
 * deletes its own while the other files still run; the global setup's teardown deletes the rest.
 */
export function projectFolder(name: string): { path: string } {
  const at = { path: '' };
  beforeAll(() => {
    at.path = join(inject('packageWork'), name);
    mkdirSync(at.path);
  });
  afterAll(() => {
    if (at.path) rmSync(at.path, { recursive: true, force: true });
  }, 600_000);
  return at;
}

// npm's own settings for an unattended run (from its cache where it can); the page's commands are run as written.
const NPM_QUIET = { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

/**
 * Follows a page's section in a new, empty folder holding only the tarball: writes each file, runs each
 * command (with `env` beside the usual), and keeps what each printed, by the command as the page writes it.
 */
export function followPage(folder: string, steps: readonly FirstHourStep[], env: () => Record<string, string> = () => ({})) {
  const printed = new Map<string, string>();
  const at = projectFolder(folder);
  // "copy it into a new, empty folder"
  beforeAll(() => cpSync(inject('packageTarball'), join(at.path, basename(inject('packageTarball')))));
  for (const step of steps) {
    if ('file' in step) {
      it(`writes ${step.file}`, () => {
        mkdirSync(dirname(join(at.path, step.file)), { recursive: true });
        writeFileSync(join(at.path, step.file), step.text);
      });
    } else {
      it(`runs ${step.command}`, async () => {
        const { stdout } = await run('bash', ['-c', step.command], { cwd: at.path, env: { ...ENV, ...NPM_QUIET, ...env() }, maxBuffer: 64 * 1024 * 1024 });
        printed.set(step.command, stdout);
      }, 600_000);
    }
  }
  return { printed, at };
}
