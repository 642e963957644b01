/**
 * Writes the ASL of every coordinator variant from the one definition (`npm run statemachines`).
 * With --check it writes nothing and exits 1 if a committed file differs from what it would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { generatedFiles } from './files.js';

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, text] of generatedFiles()) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // a missing file is stale like a changed one
  }
  if (committed === text) continue;
  stale.push(basename(path));
  if (!check) writeFileSync(path, text);
}
if (check && stale.length) {
  console.error(`out of date: ${stale.join(', ')} (run npm run statemachines)`);
  process.exit(1);
}
if (!check) console.log(stale.length ? `wrote ${stale.join(', ')}` : 'state machines up to date');
