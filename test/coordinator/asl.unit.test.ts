/** The coordinator's ASL files are generated from the one source, valid ASL, use only what the local engine runs, and name their states in protocol words. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_VARIANTS, EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { LocalStateMachine, allStates, loadDefinition, taskStates } from '../../local/stateMachine.js';
import { aslPath, generatedFiles } from '../../statemachines/source/files.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };

it('every committed ASL file is what the source generates (npm run statemachines)', () => {
  for (const [path, text] of generatedFiles()) expect(readFileSync(path, 'utf8'), path).toBe(text);
});

describe.each(COORDINATOR_VARIANTS)('the %s workflow', (variant) => {
  const text = readFileSync(aslPath(variant), 'utf8');
  const raw = JSON.parse(text) as { StartAt: string; States: Record<string, never>; TimeoutSeconds?: number; QueryLanguage?: string };

  it('passes asl-validator', () => {
    const result = aslValidator(raw);
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('is JSONPath ASL with the variant execution timeout, and no Variables or JSONata the local engine would ignore', () => {
    expect(raw.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(raw.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS[variant]);
    expect(text).not.toMatch(/"Assign"|"Arguments"|"Output"|\{%/);
  });

  it('has the protocol states, and every participant Task has a timeout, retries and a catch', () => {
    const states = Object.fromEntries(allStates(raw.States)) as Record<
      string,
      { Type: string; TimeoutSecondsPath?: string; Retry?: unknown[]; Catch?: unknown[] }
    >;
    for (const name of ['PrepareAll', 'LogCommitDecision', 'LogAbortDecision', 'CommitAll', 'AbortAll']) {
      expect(states[name], name).toBeDefined();
    }
    for (const task of taskStates(raw.States).filter((t) => t.resource === 'arn:aws:states:::lambda:invoke')) {
      const state = states[task.name];
      expect(state?.TimeoutSecondsPath, task.name).toBe('$.Payload.timeoutSeconds');
      expect(state?.Retry?.length, task.name).toBeGreaterThan(0);
      expect(state?.Catch?.length, task.name).toBeGreaterThan(0);
    }
  });

  it('writes the log item once on the happy path: nothing before the decision, and after it only for a delivery refused or left to recovery', () => {
    expect(raw.StartAt).toBe('PrepareAll');
    const writers = taskStates(raw.States)
      .filter((t) => t.resource.startsWith('arn:aws:states:::dynamodb:') && t.resource !== 'arn:aws:states:::dynamodb:getItem')
      .map((t) => t.name)
      .sort();
    expect(writers).toEqual([
      'AbortLeftToRecovery',
      'AbortRefused',
      'CommitLeftToRecovery',
      'CommitReadOnly',
      'CommitRefused',
      'LogAbortDecision',
      'LogCommitDecision',
      // COMMIT for a one-phase commit learnt on the abort path, its receipt (the participant's write
      // decided), and its request when the outcome could not be learnt.
      'LogLearntCommit',
      'LogOnePhaseCommit',
      'OnePhaseLeftToRecovery',
    ]);
  });

  it('retries what AWS raises for a transient failure of each integration', () => {
    const retried = (resource: string) =>
      taskStates(raw.States)
        .filter((t) => t.resource === resource)
        .map((t) =>
          ((allStates(raw.States).find(([n]) => n === t.name)?.[1] as { Retry?: Array<{ ErrorEquals: string[] }> }).Retry ?? []).flatMap((r) => r.ErrorEquals),
        );
    for (const errors of retried('arn:aws:states:::dynamodb:updateItem'))
      expect(errors).toEqual(expect.arrayContaining(['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException']));
    const [prepare] = retried('arn:aws:states:::lambda:invoke');
    expect(prepare).toEqual(
      expect.arrayContaining([
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]),
    );
  });

  it('has exactly the placeholders CDK fills', () => {
    expect(new Set(text.match(/\$\{[A-Za-z]+\}/g))).toEqual(new Set(['${CoordinatorLogTable}']));
    expect(() => loadDefinition({ CoordinatorLogTable: 'log' }, variant)).not.toThrow();
  });
});

describe('the local engine validates each definition it is built from', () => {
  const build = (CoordinatorLogTable: string) =>
    new LocalStateMachine({ substitutions: { CoordinatorLogTable }, dynamo: {} as never, participantFunctions: new Map(), invoke: async () => ({}) });

  it('refuses an invalid definition every time, not only the first (a validation is remembered only when it passed)', () => {
    // A table name that is not a name: it closes the Task's Parameters and gives the state a field ASL does not have.
    const injected = 't"}, "Bogus": {"a": "b';
    // A plain name first, so the template's validation is remembered: the injected one must not ride on it.
    expect(() => build('pakka-log')).not.toThrow();
    for (let i = 0; i < 2; i++) expect(() => build(injected)).toThrow(/definition is invalid/);
    expect(() => build('other-prefix-log')).not.toThrow();
  });
});
