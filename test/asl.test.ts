/** The coordinator's ASL file is valid ASL, uses only what the local engine runs, and names its states in protocol words. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ASL_PATH, allStates, loadDefinition, taskStates } from '../local/stateMachine.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
const raw = JSON.parse(readFileSync(ASL_PATH, 'utf8')) as { States: Record<string, never>; TimeoutSeconds?: number; QueryLanguage?: string };

describe('two-phase-commit.asl.json', () => {
  it('passes asl-validator', () => {
    const result = aslValidator(raw);
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('is JSONPath ASL with an execution timeout, and no Variables or JSONata the local engine would ignore', () => {
    const text = readFileSync(ASL_PATH, 'utf8');
    expect(raw.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(raw.TimeoutSeconds).toBeGreaterThan(0);
    expect(text).not.toMatch(/"Assign"|"Arguments"|"Output"|\{%/);
  });

  it('has the protocol states, and every participant Task has a timeout, retries and a catch', () => {
    const states = Object.fromEntries(allStates(raw.States)) as Record<string, { Type: string; TimeoutSecondsPath?: string; Retry?: unknown[]; Catch?: unknown[] }>;
    for (const name of ['BeginTransaction', 'PrepareAll', 'LogCommitDecision', 'LogAbortDecision', 'CommitAll', 'AbortAll', 'MarkCommitted', 'MarkAborted']) {
      expect(states[name], name).toBeDefined();
    }
    for (const task of taskStates(raw.States).filter((t) => t.resource === 'arn:aws:states:::lambda:invoke')) {
      const state = states[task.name];
      expect(state?.TimeoutSecondsPath, task.name).toBe('$.Payload.timeoutSeconds');
      expect(state?.Retry?.length, task.name).toBeGreaterThan(0);
      expect(state?.Catch?.length, task.name).toBeGreaterThan(0);
    }
  });

  it('has exactly the placeholders CDK fills', () => {
    const text = readFileSync(ASL_PATH, 'utf8');
    expect(new Set(text.match(/\$\{[A-Za-z]+\}/g))).toEqual(new Set(['${CoordinatorLogTable}', '${ParticipantFunctionPrefix}']));
    expect(() => loadDefinition({ CoordinatorLogTable: 'log', ParticipantFunctionPrefix: 'arn:aws:lambda:eu-west-1:1:function:p-' })).not.toThrow();
  });
});
