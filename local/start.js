#!/usr/bin/env node
// `npm start`. local/start.ts runs from an esbuild bundle that is rebuilt when a source changed
// (packaging/cliBundle.js), as the `pakka` command does: loading the TypeScript through tsx's loader
// cost about 0.6 s more CPU at every start.
const { entryBundle } = await import('../packaging/cliBundle.js');
await import(await entryBundle('local/start.ts'));
