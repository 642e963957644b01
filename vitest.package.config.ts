import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:package`: the packed library installed into examples/team-app (test/package.test.ts).
// Spread, not mergeConfig: that would append to the base's include and exclude lists.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/package.test.ts'], exclude: ['node_modules/**'] } });
