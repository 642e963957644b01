/**
 * Runs spin on model/pakka.pml: generate the verifier, compile it, run it, and read back what it
 * found. Used by test/model/model.test.ts (the bounded runs) and `npm run model:full` (the longer ones).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const MODEL = resolve(import.meta.dirname, '../..', 'model', 'pakka.pml');

export interface Verification {
  name: string;
  /** -D switches for spin (model parameters and mutants). */
  defines: Record<string, number | true>;
  /** safety: assertions and invariants; liveness: the `live` LTL claim under weak fairness. */
  kind: 'safety' | 'liveness';
}

export interface VerificationResult {
  errors: number;
  statesStored: number;
  transitions: number;
  depth: number;
  complete: boolean;
  seconds: number;
  output: string;
  /** Set when errors > 0: the counterexample replayed by `spin -t`, as printed. */
  trail?: string;
}

export function spinAvailable(): boolean {
  return spawnSync('spin', ['-V'], { encoding: 'utf8' }).status === 0;
}

const defineArgs = (defines: Verification['defines']) => Object.entries(defines).map(([k, v]) => (v === true ? `-D${k}` : `-D${k}=${v}`));

export function parsePanOutput(output: string): Omit<VerificationResult, 'seconds' | 'output' | 'trail'> {
  const number = (re: RegExp) => {
    const m = re.exec(output);
    if (!m?.[1]) throw new Error(`pan output lacks ${re.source}:\n${output}`);
    return Number(m[1]);
  };
  return {
    errors: number(/errors: (\d+)/),
    depth: number(/depth reached (\d+)/),
    statesStored: number(/([\d.e+]+) states, stored/),
    transitions: number(/([\d.e+]+) transitions \(=/),
    complete: !/Search not completed/.test(output) || /errors: [1-9]/.test(output),
  };
}

export function verify(v: Verification): VerificationResult {
  const dir = mkdtempSync(join(tmpdir(), 'pakka-spin-'));
  try {
    const defs = defineArgs(v.defines);
    execFileSync('spin', [...defs, '-a', MODEL], { cwd: dir, stdio: 'pipe' });
    const gccArgs = v.kind === 'safety' ? ['-O2', '-DSAFETY', '-DNOCLAIM'] : ['-O2', '-DNFAIR=3'];
    execFileSync('gcc', [...gccArgs, '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
    const panArgs = v.kind === 'safety' ? ['-n', '-m1000000'] : ['-n', '-a', '-f', '-m1000000', '-N', 'live'];
    const started = process.hrtime.bigint();
    const run = spawnSync('./pan', panArgs, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const output = `${run.stdout}${run.stderr}`;
    const parsed = parsePanOutput(output);
    const result: VerificationResult = { ...parsed, seconds, output };
    if (parsed.errors > 0) {
      result.trail = execFileSync('spin', [...defs, '-t', '-k', 'pakka.pml.trail', MODEL], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bounded so that `npm test` verifies them in well under a minute on 2 cores. */
export const BOUNDED: Verification[] = [
  { name: 'safety, 2 participants, Express duplicate, 2 sweepers, operator', kind: 'safety', defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1 } },
  { name: 'safety, 2 participants, 2 message faults, 1 crash', kind: 'safety', defines: { N: 2, EXPRESS: 0, FAULTS: 2, CRASHES: 1 } },
  { name: 'safety, 3 participants, 1 message fault, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 0, FAULTS: 1, CRASHES: 1 } },
  { name: 'liveness (I5) under weak fairness, 2 participants, 1 crash', kind: 'liveness', defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 1 } },
  {
    name: 'safety, holds in the item, 2 participants, 2 message faults, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 2, CRASHES: 1, ITEM_LAYOUT: 1 },
  },
];

/** `npm run model:full`: the larger bounds, minutes each. */
export const FULL: Verification[] = [
  { name: 'safety, 2 participants, Express duplicate, 1 fault, 1 crash', kind: 'safety', defines: { N: 2, EXPRESS: 1, FAULTS: 1, CRASHES: 1 } },
  { name: 'safety, 3 participants, Express duplicate, 0 faults, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 1, FAULTS: 0, CRASHES: 1 } },
  { name: 'safety, 3 participants, 2 faults, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 0, FAULTS: 2, CRASHES: 1 } },
  { name: 'liveness, 2 participants, 1 fault, 1 crash', kind: 'liveness', defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 1 } },
  { name: 'liveness, 3 participants, 1 fault, 1 crash', kind: 'liveness', defines: { N: 3, EXPRESS: 0, FAULTS: 1, CRASHES: 1 } },
  { name: 'liveness, 2 participants, Express duplicate', kind: 'liveness', defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1 } },
  { name: 'safety, holds in the item, Express duplicate, 1 crash', kind: 'safety', defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1, ITEM_LAYOUT: 1 } },
  { name: 'liveness, holds in the item, 1 crash', kind: 'liveness', defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 1, ITEM_LAYOUT: 1 } },
];

/** One safeguard removed each; spin must find a counterexample. */
export const MUTANTS: Verification[] = [
  {
    name: 'decision written without attribute_not_exists(decision)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_WRITE_ONCE: true },
  },
  { name: 'null abort writes no tombstone (no anti-hanging)', kind: 'safety', defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_TOMBSTONE: true } },
  { name: 'prepare debit without available >= amount', kind: 'safety', defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_ESCROW_CHECK: true } },
  {
    name: "holds in the item: prepare's item write without the intent's condition",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ITEM_LAYOUT: 1, MUTANT_NO_INTENT_CHECK: true },
  },
];
