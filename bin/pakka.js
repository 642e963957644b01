#!/usr/bin/env node
// The `pakka` command. In the repository the CLI is TypeScript and tsx compiles it on the fly, so
// there is no build step; an installed package runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

const source = new URL('../cli/run.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/run.js');
}
