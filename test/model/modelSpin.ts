/**
 * Runs spin on model/pakka.pml: generate the verifier, compile it, run it, and read back what it
 * found. Used by test/model/model.test.ts (the bounded runs) and `npm run model:full` (the longer ones).
 *
 * Every step is an asynchronous child process, so a test file can run its verifications side by
 * side instead of blocking its worker on each in turn. A compiled verifier is kept under
 * node_modules/.cache/pakka-spin/, named by the hash of what determines it: the generated pan.* files (the
 * model and its -D switches), gcc's flags and gcc's version. A changed model or switch compiles anew;
 * the search always runs.
 *
 * How hard the compiler optimizes is a trade (`verify`'s `optimize`). On this project's 2-core machine,
 * the item layout's bounded safety verifier takes 73 s to compile with gcc -O2 and searches its 2.5 M
 * states in 5.6 s; with -O0 it compiles in 7 s and searches in 13.7 s. A fresh clone (CI) has no cached
 * verifier, so the bounded runs and the mutants, whose searches take seconds, are compiled for speed of
 * compiling: with tcc (Debian's `tcc`, the Tiny C Compiler) when it is there, which compiles the one-phase
 * item-layout pan.c (420 KB) in 0.1 s where gcc -O0 takes 4.9 s, and searches its 1.1 M states in 6.7 s
 * against gcc -O0's 5.7 s: 17 compiles of about 5 s each were most of this file's CPU time. Without tcc,
 * gcc -O0. The full runs (`npm run model:full`) search for minutes and keep gcc -O2. (-O1 is no middle way
 * here: it took 5.5 minutes on the same pan.c.)
 */
import { execFile as execFileCallback, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCallback);

export const MODEL = resolve(import.meta.dirname, '../..', 'model', 'pakka.pml');
const VERIFIER_CACHE = resolve(import.meta.dirname, '../..', 'node_modules', '.cache', 'pakka-spin');

export interface Verification {
  name: string;
  /** -D switches for spin (model parameters and mutants). */
  defines: Record<string, number | true>;
  /** safety: assertions and invariants; liveness: the `live` LTL claim under weak fairness. */
  kind: 'safety' | 'liveness';
  /** A mutant or a known gap: what its counterexample's last state must show (`spin -t` prints the globals there). */
  trailShows?: RegExp;
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

/** At most one verification per core at a time: more only makes each slower. */
let running = 0;
const waiting: Array<() => void> = [];
async function oneAtATimePerCore<T>(work: () => Promise<T>): Promise<T> {
  if (running >= availableParallelism()) await new Promise<void>((resolveTurn) => waiting.push(resolveTurn));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The C compiler of a verifier built for speed of compiling (see above): tcc where it runs, else gcc at -O0. */
export const QUICK_COMPILER: 'tcc' | 'gcc' = spawnSync('tcc', ['-v'], { stdio: 'ignore' }).status === 0 ? 'tcc' : 'gcc';

const compilerVersions = new Map<string, Promise<string>>();
const versionOf = (compiler: string) => {
  let version = compilerVersions.get(compiler);
  if (!version) {
    version = execFile(compiler, [compiler === 'tcc' ? '-v' : '--version']).then((r) => r.stdout);
    compilerVersions.set(compiler, version);
  }
  return version;
};

/**
 * Compiles pan.c in `dir` to `dir/pan`, or copies the verifier compiled before from the same inputs. The inputs are
 * every file spin generated (pan.c includes pan.h, pan.m, pan.t, pan.b, pan.p): two models that differ only in a
 * guard have the same pan.c and differ in pan.m and pan.t.
 */
async function compileVerifier(dir: string, compiler: 'tcc' | 'gcc', args: string[]): Promise<void> {
  const hash = createHash('sha256');
  for (const source of readdirSync(dir)
    .filter((f) => /^pan\.[a-z]$/.test(f))
    .sort())
    hash.update(source).update(readFileSync(join(dir, source)));
  const key = hash
    .update(JSON.stringify([compiler, ...args]))
    .update(await versionOf(compiler))
    .digest('hex');
  const cached = join(VERIFIER_CACHE, key);
  if (existsSync(cached)) {
    copyFileSync(cached, join(dir, 'pan'));
    return;
  }
  await execFile(compiler, [...args, '-o', 'pan', 'pan.c'], { cwd: dir });
  mkdirSync(VERIFIER_CACHE, { recursive: true });
  // Copy then rename: a verifier run beside this one never sees half a file.
  const partial = `${cached}.${process.pid}.partial`;
  copyFileSync(join(dir, 'pan'), partial);
  renameSync(partial, cached);
}

/** `optimize`: 0 where the search takes seconds (the bounded runs, the mutants: QUICK_COMPILER), 2 where it takes minutes (the full runs: gcc -O2); see above. */
export function verify(v: Verification, optimize: 0 | 2 = 0): Promise<VerificationResult> {
  return oneAtATimePerCore(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pakka-spin-'));
    try {
      const defs = defineArgs(v.defines);
      await execFile('spin', [...defs, '-a', MODEL], { cwd: dir });
      const compiler = optimize === 0 ? QUICK_COMPILER : 'gcc';
      const level = compiler === 'tcc' ? [] : [`-O${optimize}`];
      await compileVerifier(dir, compiler, v.kind === 'safety' ? [...level, '-DSAFETY', '-DNOCLAIM'] : [...level, '-DNFAIR=3']);
      const panArgs = v.kind === 'safety' ? ['-n', '-m1000000'] : ['-n', '-a', '-f', '-m1000000', '-N', 'live'];
      const started = process.hrtime.bigint();
      // pan exits non-zero when it finds an error; its report is what counts.
      const run = await execFile('./pan', panArgs, { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).catch((failed: { stdout?: string; stderr?: string }) => ({
        stdout: failed.stdout ?? '',
        stderr: failed.stderr ?? '',
      }));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const output = `${run.stdout}${run.stderr}`;
      const parsed = parsePanOutput(output);
      const result: VerificationResult = { ...parsed, seconds, output };
      if (parsed.errors > 0) {
        result.trail = (await execFile('spin', [...defs, '-t', '-k', 'pakka.pml.trail', MODEL], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })).stdout;
      }
      return result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Bounded so that `npm test` verifies them in well under a minute on 2 cores. */
export const BOUNDED: Verification[] = [
  {
    name: 'safety, 2 participants, Express duplicate, 2 sweepers, operator',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1 },
  },
  { name: 'safety, 2 participants, 2 message faults, 1 crash', kind: 'safety', defines: { N: 2, EXPRESS: 0, FAULTS: 2, CRASHES: 1 } },
  { name: 'safety, 3 participants, 1 message fault, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 0, FAULTS: 1, CRASHES: 1 } },
  // STUTTER: without it pan -f counts no run that ends as a counterexample, and every run of this model ends (docs/model.md).
  {
    name: 'liveness (I5) under weak fairness, 2 participants, 1 crash',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 1, STUTTER: 1 },
  },
  {
    name: 'safety, holds in the item, 2 participants, 2 message faults, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 2, CRASHES: 1, ITEM_LAYOUT: 1 },
  },
  {
    name: 'safety, one-phase commit, Express duplicate, 2 message faults, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 2, CRASHES: 1, ONE_PHASE: 1 },
  },
  {
    name: 'safety, one-phase commit, holds in the item, 3 message faults, 2 crashes',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 3, CRASHES: 2, ONE_PHASE: 1, ITEM_LAYOUT: 1 },
  },
  {
    name: 'safety, one-phase commit, holds in the item, Express duplicate, 1 message fault, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 1, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1 },
  },
  // The claim-first commitOnePhase (docs/model.md, "Claim first").
  {
    name: 'safety, one-phase commit claim first, holds in the item, 3 message faults, 2 crashes',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 3, CRASHES: 2, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1 },
  },
  // STUTTER: without it pan -f takes no run that ends for a counterexample, and every run of this model ends (docs/model.md).
  {
    name: 'liveness (I5, every entry forgotten), one-phase commit claim first, holds in the item, 1 message fault',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, STUTTER: 1 },
  },
];

/** `npm run model:full`: the larger bounds, minutes each. */
export const FULL: Verification[] = [
  { name: 'safety, 2 participants, Express duplicate, 1 fault, 1 crash', kind: 'safety', defines: { N: 2, EXPRESS: 1, FAULTS: 1, CRASHES: 1 } },
  { name: 'safety, 3 participants, Express duplicate, 0 faults, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 1, FAULTS: 0, CRASHES: 1 } },
  { name: 'safety, 3 participants, 2 faults, 1 crash', kind: 'safety', defines: { N: 3, EXPRESS: 0, FAULTS: 2, CRASHES: 1 } },
  { name: 'liveness, 2 participants, 1 fault, 1 crash', kind: 'liveness', defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 1, STUTTER: 1 } },
  { name: 'liveness, 3 participants, 1 fault, 1 crash', kind: 'liveness', defines: { N: 3, EXPRESS: 0, FAULTS: 1, CRASHES: 1, STUTTER: 1 } },
  { name: 'liveness, 2 participants, Express duplicate', kind: 'liveness', defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1, STUTTER: 1 } },
  {
    name: 'safety, holds in the item, Express duplicate, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1, ITEM_LAYOUT: 1 },
  },
  { name: 'liveness, holds in the item, 1 crash', kind: 'liveness', defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 1, ITEM_LAYOUT: 1, STUTTER: 1 } },
  {
    name: 'liveness, holds in the item, a prepare delayed past the forgetting (a stray)',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ITEM_LAYOUT: 1, STUTTER: 1 },
  },
  {
    name: 'liveness, one-phase commit, holds in the item, 1 fault, 1 crash',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, STUTTER: 1 },
  },
  {
    name: 'safety, one-phase commit, holds in the item, Express duplicate, 2 faults, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 2, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1 },
  },
  {
    name: 'liveness, one-phase commit, holds in the item, Express duplicate, 1 crash',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, STUTTER: 1 },
  },
  // The claim-first commitOnePhase (lambdas/participants/itemHoldRuntime.ts): its Express runs are too large for the bounded set.
  {
    name: 'safety, one-phase commit claim first, holds in the item, Express duplicate, 1 message fault, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 1, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1 },
  },
  {
    name: 'safety, one-phase commit claim first, holds in the item, Express duplicate, 2 faults, 1 crash',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 2, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1 },
  },
  {
    name: 'liveness, one-phase commit claim first, holds in the item, 1 fault, 1 crash',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, STUTTER: 1 },
  },
  {
    name: 'liveness, one-phase commit claim first, holds in the item, Express duplicate, 1 crash',
    kind: 'liveness',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 1, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, STUTTER: 1 },
  },
];

/** One safeguard removed each; spin must find a counterexample. */
export const MUTANTS: Verification[] = [
  {
    name: 'decision written without attribute_not_exists(decision)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_WRITE_ONCE: true },
  },
  {
    name: 'null abort writes no tombstone (no anti-hanging)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_TOMBSTONE: true },
  },
  {
    name: 'prepare debit without available >= amount',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, MUTANT_NO_ESCROW_CHECK: true },
  },
  {
    name: "holds in the item: prepare's item write without the intent's condition",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ITEM_LAYOUT: 1, MUTANT_NO_INTENT_CHECK: true },
  },
  {
    name: 'holds in the item: the commit applies a stray prepare that landed after its entry was forgotten',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ITEM_LAYOUT: 1, MUTANT_NO_STRAY_GUARD: true },
  },
  {
    name: 'one-phase commit: recovery presumes abort instead of asking the participant',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, MUTANT_PRESUME_ABORT: true },
  },
  // No sweepers: their null aborts would give a counterexample of another kind (a commit beside an ABORTED record) first.
  {
    name: 'one-phase commit, holds in the item: commitOnePhase writes without reading the record first (the debit applied twice)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 0, NSWEEP: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, MUTANT_ONE_PHASE_NO_RECORD_READ: true },
    trailShows: /\bapplied = 2\b/,
  },
  {
    name: 'one-phase commit, holds in the item: a C entry goes as soon as its record exists (the debit applied twice)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 0, NSWEEP: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, MUTANT_ONE_PHASE_YOUNG_RECORD: true },
    trailShows: /\bapplied = 2\b/,
  },
  // The code's rule until spin found this (docs/model.md, "An A entry forgotten by its own age"): the debit committed beside ABORTED.
  {
    name: 'one-phase commit, holds in the item: an A entry goes by its own age, so a delivery that read no record commits beside ABORTED',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, A_BY_ENTRY_AGE: 1 },
    trailShows: /\bdecision = 2\b[\s\S]*\brec\[1\] = 2\b/,
  },
  // The claim-first commitOnePhase (docs/model.md, "Claim first"); rec[1] is the entry (2 C, 3 A), recI the record (4 PENDING).
  {
    name: "one-phase commit claim first: the claimer's item write re-sent by the SDK, its C forgotten at COMMITTED (the debit applied twice)",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_CLAIM_RESEND: true },
    trailShows: /\bapplied = 2\b/,
  },
  {
    name: "one-phase commit claim first: an A fence goes as soon as its record is ABORTED (the claimer's write lands after it)",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_FENCE_YOUNG: true },
    trailShows: /\bdecision = 2\b[\s\S]*\brec\[1\] = 2\b[\s\S]*\brecI = 3\b/,
  },
  // No sweepers, as for the two-phase-read mutants above: their null aborts would show a commit beside ABORTED first.
  {
    name: 'one-phase commit claim first: the item write without the claim, its C forgotten at COMMITTED (the debit applied twice)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 1, FAULTS: 0, CRASHES: 0, NSWEEP: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_NO_CLAIM: true },
    trailShows: /\bapplied = 2\b/,
  },
  {
    name: 'one-phase commit claim first: the fence waits only for writes already sent, not for a claimer yet to send',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_SEND_UNBOUNDED: true },
    trailShows: /\bdecision = 2\b[\s\S]*\brec\[1\] = 2\b[\s\S]*\brecI = 3\b/,
  },
  {
    name: 'one-phase commit claim first: a null abort writes no tombstone record (a claim after the final log)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 0, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_NO_TOMBSTONE: true },
    trailShows: /\blogFinal = 1\b[\s\S]*\brecI = 4\b/,
  },
  // The forgetting as first proposed: an A fence that lands after its C was forgotten stays beside COMMITTED for ever.
  {
    name: 'one-phase commit claim first: an A fence beside a COMMITTED record is kept (never forgotten)',
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, FENCE_BESIDE_COMMIT_KEPT: 1 },
    trailShows: /\brec\[1\] = 3\b[\s\S]*\brecI = 2\b/,
  },
  // A null abort's tombstone, slow to land (1 fault): a claim comes between its read and its write, the tombstone lands
  // beside the claim, the abort finalizes ABORTED from it, the tombstone goes at once, the claimer's write lands.
  {
    name: "one-phase commit claim first: a null abort's tombstone goes as soon as its record is ABORTED (the claimer's write lands after it)",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_TOMBSTONE_YOUNG: true },
    trailShows: /\bdecision = 2\b[\s\S]*\brec\[1\] = 2\b[\s\S]*\brecI = 3\b/,
  },
  // Without the tombstone's rule beside COMMITTED: the learning abort reads nothing, the claimer commits and its C goes,
  // the tombstone lands beside COMMITTED and stays for ever.
  {
    name: "one-phase commit claim first: a null abort's tombstone beside a COMMITTED record is kept (never forgotten)",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, TOMBSTONE_BESIDE_COMMIT_KEPT: 1 },
    trailShows: /\brec\[1\] = 3\b[\s\S]*\brecI = 2\b[\s\S]*\btomb = 1\b/,
  },
  // No sweepers: the shortest trail (the coordinator's retry claims again, its C goes at COMMITTED, the first write
  // lands). With them spin finds the debit applied twice as well, by a longer way.
  {
    name: "one-phase commit claim first: the claimer withdraws its claim though its item write got no answer, the retry's C forgotten at COMMITTED (the debit applied twice)",
    kind: 'safety',
    defines: { N: 2, EXPRESS: 0, FAULTS: 1, CRASHES: 0, NSWEEP: 0, ONE_PHASE: 1, ITEM_LAYOUT: 1, CLAIM_FIRST: 1, MUTANT_WITHDRAW_IN_FLIGHT: true },
    trailShows: /\bapplied = 2\b/,
  },
];
