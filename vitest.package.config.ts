import { defineConfig } from 'vitest/config';
import base, { PACKAGE_TESTS } from './vitest.config.js';

// `npm run test:package`: the library packed once (test/package/packSetup.ts) and installed by each file of
// test/package/ (examples/team-app, the docs' first hour, the first SQL transfer), two files at a time (the
// base's maxWorkers): each installs it in a folder of its own, so none waits for another.
// Spread, not mergeConfig: that would append to the base's include and exclude lists. The base's
// projects (the suite once per workflow variant) are left out: each would bring its own include;
// the global setup (DynamoDB Local, which the team-app file's transactions and conformance kit use) lives
// in those projects, so it is named here, before the pack.
const { projects: _projects, ...shared } = base.test ?? {};
export default defineConfig({
  ...base,
  test: { ...shared, include: [PACKAGE_TESTS], exclude: ['node_modules/**'], globalSetup: ['test/support/globalSetup.ts', 'test/package/packSetup.ts'] },
});
