/**
 * The environment for a DynamoDB Local that a test starts and stops within seconds (Pakka's own, in a
 * spawned `npm start`, or one the test starts itself): Java's start was more than half the CPU of a
 * spawned in-memory `npm start` (about 4.1 of 7 s). Measured on a 2-core machine, spawn to first
 * answer: about 4.1 s of CPU by default, 2.7 s without telemetry, 1.4 s with the JIT's first tier only
 * as well.
 *
 * - `DDB_LOCAL_TELEMETRY=0`: AWS's documented switch that turns DynamoDB Local's telemetry off for a
 *   session (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocalTelemetry.html);
 *   sending it is work a test has no use for. vitest.config.ts sets it for the whole run, so every test
 *   process and what it spawns inherit it, the run's shared DynamoDB Local included.
 * - `JDK_JAVA_OPTIONS=-XX:TieredStopAtLevel=1`, set here: read by the `java` launcher (JDK 9 and later);
 *   the client compiler only, which compiles quickly and never spends a core on the optimizing compiler
 *   for code that a process of a few requests never runs hot.
 *
 * Neither changes what Pakka does: it starts, stops and names DynamoDB Local the same way; the Java
 * process only starts cheaper. The run's shared DynamoDB Local (globalSetup.ts) is long-lived and
 * keeps the optimizing compiler.
 */
import { vi } from 'vitest';

export function shortLivedDynamoLocalEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    JDK_JAVA_OPTIONS: [env.JDK_JAVA_OPTIONS, '-XX:TieredStopAtLevel=1'].filter(Boolean).join(' '),
  };
}

/**
 * For a DynamoDB Local started in this test file's own process (it inherits this environment): call in
 * beforeAll; vitest restores the environment with `vi.unstubAllEnvs()` in afterAll.
 */
export function useShortLivedDynamoLocalEnv(): void {
  for (const [name, value] of Object.entries(shortLivedDynamoLocalEnv())) vi.stubEnv(name, value);
}
