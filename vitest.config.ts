import { defineConfig } from 'vitest/config';

// The SDK warns on Node 20 about a future release; the warning is noise in every test run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The run's DynamoDB Local (started by the global setup, which inherits this) sends no telemetry: AWS's documented
// switch, about 1.3 s of CPU less at its start.
process.env.DDB_LOCAL_TELEMETRY ??= '0';
// Tracing is off outside Lambda, yet importing the X-Ray SDK (through Powertools' Tracer) installs an async hook that
// slows every promise: 5-11 % of a test process's CPU in profiles. Manual mode installs none; no test reads a segment.
process.env.AWS_XRAY_MANUAL_MODE ??= '1';

/**
 * The tests that run the coordinator end to end run once per workflow variant: the whole suite on
 * the default (express), and these files again on standard (PAKKA_TEST_COORDINATOR, read by
 * test/support/variant.ts).
 */
const COORDINATOR_TESTS = [
  'test/coordinator/coordinator.test.ts',
  'test/coordinator/faults.test.ts',
  'test/recovery/recovery.test.ts',
  'test/recovery/recovery-races.test.ts',
  // An operator's resolve and recovery's timings hold on both workflows (docs/design.md, "Recovery").
  'test/recovery/recovery-resolve.test.ts',
  'test/recovery/recovery-timings.test.ts',
  'test/coordinator/duplicateExecution.test.ts',
  'test/coordinator/onePhase.test.ts',
  'test/coordinator/txnClaim.test.ts',
  // A team's own abort reasons cross the state machine's Choice and Catch rules of both workflows.
  'test/coordinator/teamAbortReasons.test.ts',
];

/**
 * The naming rule (docs/architecture.md, "Tests"): `*.unit.test.ts` is a pure test, run by the unit
 * project with no global setup (`npm run test:unit`); every other `*.test.ts` is an integration test
 * and gets DynamoDB Local and the console bundle. test/layout/unitTests.unit.test.ts fails when a unit
 * file reaches an integration fixture.
 */
const UNIT_TESTS = 'test/**/*.unit.test.ts';
/** Packs, installs and synthesizes: `npm run test:package` (vitest.package.config.ts), run by .ci/run. */
export const PACKAGE_TESTS = 'test/package/**/*.test.ts';
const INTEGRATION_SETUP = ['test/support/globalSetup.ts'];

export default defineConfig({
  test: {
    exclude: [PACKAGE_TESTS, 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DynamoDB Local runs transactions one at a time; two test files at once is what 2 cores carry.
    maxWorkers: 2,
    // A worker runs its project's files one after another in one module graph, not a fresh graph per
    // file: the AWS SDK, CDK and the protocol modules are imported once per worker instead of once per
    // file (the suite's summed import time fell from 565 s to 240 s, its CPU time by a fifth). What a
    // file changes it restores (vi.stubEnv with unstubAllEnvs, fake timers, stubbed globals) and vitest
    // restores mocks between files; the table pool (test/support/tablePool.ts) is the worker's. A file
    // that cannot share a worker would go in a project of its own with `isolate: true`; none needs it
    // (checked with --sequence.shuffle.files).
    isolate: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT_TESTS],
          // No global setup, so no DynamoDB Local: an AWS SDK call that a unit test makes by mistake
          // goes to a closed port and fails, never to AWS.
          env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'unit', AWS_SECRET_ACCESS_KEY: 'unit' },
        },
      },
      {
        extends: true,
        test: {
          name: 'express',
          include: ['test/**/*.test.ts'],
          exclude: [PACKAGE_TESTS, 'node_modules/**', UNIT_TESTS],
          globalSetup: INTEGRATION_SETUP,
          env: { PAKKA_TEST_COORDINATOR: 'express' },
        },
      },
      { extends: true, test: { name: 'standard', include: COORDINATOR_TESTS, globalSetup: INTEGRATION_SETUP, env: { PAKKA_TEST_COORDINATOR: 'standard' } } },
    ],
  },
});
