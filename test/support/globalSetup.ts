/**
 * One DynamoDB Local for the whole test run, stopped by PID when the run ends, whether the tests
 * passed or failed. Test files share it and keep apart by table prefix. The run's synthesized
 * apps (synth.ts, `sharedSynth`) live in one directory, deleted when the run ends.
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

let dynamo: DynamoLocal | undefined;
let synthDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The web console's bundle, once for the run (only when stale), so no test process builds it beside another.
  const [local] = await Promise.all([startDynamoLocal(), ensureConsoleBuilt()]);
  dynamo = local;
  project.provide('dynamoEndpoint', dynamo.endpoint);
  synthDir = mkdtempSync(join(tmpdir(), 'pakka-synth-run-'));
  project.provide('synthDir', synthDir);
  // A test run killed by a signal still stops the Java process.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (dynamo) process.kill(dynamo.pid, 'SIGKILL');
      if (synthDir) rmSync(synthDir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
  if (synthDir) rmSync(synthDir, { recursive: true, force: true });
}
