import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:package`: the packed library installed into examples/team-app (test/package/package.test.ts).
// Spread, not mergeConfig: that would append to the base's include and exclude lists. The base's
// projects (the suite once per workflow variant) are left out: each would bring its own include;
// the global setup (DynamoDB Local) lives in those projects, so it is named here.
const { projects: _projects, ...shared } = base.test ?? {};
export default defineConfig({
  ...base,
  test: { ...shared, include: ['test/package/package.test.ts'], exclude: ['node_modules/**'], globalSetup: ['test/support/globalSetup.ts'] },
});
