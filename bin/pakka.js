#!/usr/bin/env node
// The `pakka` command. In the repository the CLI is TypeScript: it runs from an esbuild bundle that is
// rebuilt when a source changed (packaging/cliBundle.js), so there is no build step; an installed
// package runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../cli/run.ts', import.meta.url))) {
  const { cliBundle } = await import('../packaging/cliBundle.js');
  await import(await cliBundle());
} else {
  await import('../dist/cli/run.js');
}
