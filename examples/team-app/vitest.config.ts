import { defineConfig } from 'vitest/config';

// Each conformance rule runs real requests against DynamoDB Local and the fake gateway.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000, env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } } });
