/**
 * The protocol model (model/pakka.pml) is verified by spin, its mutants fail, and its documented
 * mapping (docs/model.md) names exactly the state machine's deciding states and the participant
 * record's states and transitions that exist in the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_STATES, onAbort, onCommit, onRepeatedPrepare, type RecordFacts } from '../../lambdas/protocol/participantState.js';
import { ON_CI, commandRuns, toolsPresent } from '../support/tools.js';
import { BOUNDED, MUTANTS, QUICK_COMPILER, type Verification, verify } from './modelSpin.js';
import { sequenceFromTrail } from './modelSequence.js';

const ROOT = resolve(import.meta.dirname, '../..');

// The verifications are child processes: they run side by side (one per core, modelSpin.ts), not one after another.
describe.concurrent('model checking (spin)', () => {
  const haveTools = toolsPresent(
    { name: 'spin', debianPackage: 'spin', present: commandRuns('spin', ['-V']) },
    { name: 'gcc', debianPackage: 'gcc', present: commandRuns('gcc', ['--version']) },
    // Away from CI gcc -O0 stands in for tcc (slower to compile, same verifier); CI's time budget counts on tcc.
    ...(ON_CI ? [{ name: 'tcc', debianPackage: 'tcc', present: () => QUICK_COMPILER === 'tcc' }] : []),
  );
  const spinIt = haveTools ? it : it.skip;

  for (const v of BOUNDED) {
    spinIt(`${v.name}: no error, whole state space`, { timeout: 600_000 }, async () => {
      const result = await verify(v);
      expect(result.errors, result.trail ?? result.output).toBe(0);
      expect(result.complete, result.output).toBe(true);
      expect(result.statesStored).toBeGreaterThan(1000);
      console.log(
        `spin ${v.kind} ${JSON.stringify(v.defines)}: ${result.statesStored} states, ${result.transitions} transitions, depth ${result.depth}, ${result.seconds.toFixed(1)} s`,
      );
    });
  }

  const counterexampleFound = async (v: Verification) => {
    const result = await verify(v);
    expect(result.errors, result.output).toBeGreaterThan(0);
    expect(result.trail).toMatch(/assertion violated/);
    if (v.trailShows) expect(result.trail).toMatch(v.trailShows);
    const chart = sequenceFromTrail(result.trail ?? '');
    expect(chart.split('\n').length).toBeGreaterThan(5);
  };

  for (const v of MUTANTS) {
    spinIt(`mutant (${v.name}): spin finds a counterexample`, { timeout: 600_000 }, () => counterexampleFound(v));
  }
});

interface AslState {
  Type: string;
  States?: Record<string, AslState>;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
  Branches?: Array<{ States: Record<string, AslState> }>;
}

/** Every state, Map and Parallel branches included. */
function* walk(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    const inner = state.ItemProcessor?.States ?? state.Iterator?.States;
    if (inner) yield* walk(inner);
    for (const branch of state.Branches ?? []) yield* walk(branch.States);
  }
}

function decidingStatesInCode(): Set<string> {
  const dir = join(ROOT, 'statemachines');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.asl.json'))) {
    const definition = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { States: Record<string, AslState> };
    for (const [name, state] of walk(definition.States)) if (state.Type === 'Task' || state.Type === 'Choice') names.add(name);
  }
  return names;
}

/** Every (function, stored record, outcome) the participant transition rules can produce. */
function transitionsInCode(): Set<string> {
  const found = new Set<string>();
  const records: Array<RecordFacts | undefined> = [undefined, ...RECORD_STATES.map((state) => ({ state, digest: 'd' }))];
  const name = (r: RecordFacts | undefined) => r?.state ?? 'NONE';
  for (const record of records) {
    for (const digest of ['d', 'other']) {
      for (const readOnly of [false, true]) {
        const step = onCommit(record, digest, readOnly);
        found.add(`onCommit ${name(record)} ${step.kind === 'violation' ? step.code : step.kind}`);
      }
      const abort = onAbort(record, digest);
      found.add(`onAbort ${name(record)} ${abort.kind === 'violation' ? abort.code : abort.kind}`);
      if (record) {
        const answer = onRepeatedPrepare(record, digest);
        found.add(`onRepeatedPrepare ${name(record)} ${'violation' in answer ? answer.violation : answer.vote}`);
      }
    }
  }
  return found;
}

/** Rows of the table under a `## heading` in docs/model.md: the first cell of each row, backticks removed. */
function mappedRows(heading: string): Set<string> {
  const doc = readFileSync(join(ROOT, 'docs', 'model.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`docs/model.md has no section "## ${heading}"`);
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) => (l.split('|')[1] ?? '').replace(/`/g, '').trim());
  for (const l of section
    .split('\n')
    .filter((r) => r.startsWith('|'))
    .slice(2)) {
    expect(l.split('|')[2]?.trim(), `docs/model.md row without a model step: ${l}`).toBeTruthy();
  }
  return new Set(rows);
}

describe('the model is tied to the code (docs/model.md)', () => {
  it('maps every Task and Choice state of every state machine, and no state that does not exist', () => {
    expect([...mappedRows('Coordinator states')].sort()).toEqual([...decidingStatesInCode()].sort());
  });

  it('maps every participant record state', () => {
    expect([...mappedRows('Participant record states')].sort()).toEqual(['NONE', ...RECORD_STATES].sort());
  });

  it('maps every participant transition the rules in participantState.ts can take', () => {
    expect([...mappedRows('Participant transitions')].sort()).toEqual([...transitionsInCode()].sort());
  });
});
