/**
 * `npm run bench:cli`: how long one `pakka` call takes from the repository (bin/pakka.js, the cached
 * bundle of cli/), beside a bare `node` start on the same machine at the same moment, so a loaded
 * machine shows as a slow baseline rather than as a slow CLI. Medians of several calls of wall time and
 * of CPU time (user + system of the finished children, from /proc on Linux); the first call, which may
 * rebuild the bundle, is left out.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RUNS = 7;
/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;
const BIN = fileURLToPath(new URL('../bin/pakka.js', import.meta.url));

/** CPU milliseconds of every child this process has waited for (fields cutime and cstime of /proc/self/stat). */
function childrenCpuMs(): number {
  const afterName = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(afterName[13]) + Number(afterName[14])) * 1000) / TICKS_PER_SECOND;
}

function measure(args: string[]): { wallMs: number; cpuMs: number } {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return { wallMs, cpuMs: childrenCpuMs() - cpuBefore };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function medians(label: string, args: string[]) {
  const runs = Array.from({ length: RUNS }, () => measure(args));
  return { label, wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

measure([BIN, 'help']);
const rows = [medians('node -e 0 (the machine right now)', ['-e', '0']), medians('pakka help (repository)', [BIN, 'help'])];
for (const row of rows) console.log(`${row.label.padEnd(40)} wall ${(row.wallMs / 1000).toFixed(2)} s   cpu ${(row.cpuMs / 1000).toFixed(2)} s`);
