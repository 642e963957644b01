/**
 * `npm run build` (and `npm pack`, through prepack): a clean dist/ with the compiled code and the
 * files the code reads at run time, at the same place relative to the code as in the repository
 * (the ASL next to the coordinator construct's `../../statemachines`, the participant config next to
 * `../../config`), so an installed package finds them exactly as the sources do. The web console
 * ships built (dist/console/bundle): an installed package has neither its sources nor vite.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED_BUNDLE_DIR, consoleBundleDir } from '../local/consoleAssets.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist/`;
const RUNTIME_ASSETS = ['statemachines', 'config'];

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
for (const folder of RUNTIME_ASSETS) cpSync(`${root}${folder}`, `${dist}${folder}`, { recursive: true });
// console/bundle here is dist/console/bundle for the compiled consoleAssets.js in dist/local/.
cpSync(await consoleBundleDir((line) => console.log(line)), `${dist}${relative(root, SHIPPED_BUNDLE_DIR)}`, { recursive: true });
