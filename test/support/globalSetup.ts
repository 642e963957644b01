/**
 * One DynamoDB Local for the whole test run, stopped by PID when the run ends, whether the tests
 * passed or failed. Test files share it and keep apart by table prefix. The run's synthesized
 * apps (synth.ts, `sharedSynth`) live in one directory, deleted when the run ends.
 *
 * vitest runs a project's global setup once per project (express and standard, and package), each in
 * a module scope of its own, but all in the one main process: the run's resources are kept on
 * `globalThis`, so the first project starts them, the others share them (tables are apart by prefix
 * whatever the project), and the last project's teardown stops them. One JVM to start and warm up,
 * not one per project.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureConsoleBuilt } from '../../local/consoleAssets.js';
import { type DynamoLocal, startDynamoLocal } from '../../local/dynamoLocal.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** The run's directory of shared cloud assemblies (synth.ts, `sharedSynth`). */
    synthDir: string;
  }
}

interface RunResources {
  dynamo: DynamoLocal;
  synthDir: string;
  /** The projects set up on these and not yet torn down. */
  projects: number;
}

const RUN = Symbol.for('pakka.test.runResources');
const holder = globalThis as { [RUN]?: Promise<RunResources> };

async function startRunResources(): Promise<RunResources> {
  // The web console's bundle, once for the run (only when stale), so no test process builds it beside another.
  const [dynamo] = await Promise.all([startDynamoLocal(), ensureConsoleBuilt()]);
  const run: RunResources = { dynamo, synthDir: mkdtempSync(join(tmpdir(), 'pakka-synth-run-')), projects: 0 };
  // A test run killed by a signal still stops the Java process.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.kill(run.dynamo.pid, 'SIGKILL');
      rmSync(run.synthDir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  return run;
}

export async function setup(project: TestProject): Promise<void> {
  holder[RUN] ??= startRunResources();
  const run = await holder[RUN];
  run.projects++;
  project.provide('dynamoEndpoint', run.dynamo.endpoint);
  project.provide('synthDir', run.synthDir);
}

/** Each project's teardown (vitest calls it once per project set up); the last one stops the run's resources. */
export async function teardown(): Promise<void> {
  const pending = holder[RUN];
  if (!pending) return;
  const run = await pending;
  if (--run.projects > 0) return;
  delete holder[RUN];
  await run.dynamo.stop();
  rmSync(run.synthDir, { recursive: true, force: true });
}
