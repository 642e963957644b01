/**
 * Retry and Catch lists read as AWS applies them ("Handling errors in Step Functions workflows", Step
 * Functions developer guide): the first retrier whose ErrorEquals names the error, or States.ALL,
 * decides how often it is retried (MaxAttempts 0: never); then the first catcher that names it. The
 * timeouts around them: a participant's own Lambda timeout, and its attempts inside one execution.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadParticipantConfig, parseParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { COORDINATOR_VARIANTS, EXECUTION_TIMEOUT_SECONDS } from '../../lambdas/config/coordinatorVariant.js';
import { checkParticipantAttempts, participantCallSeconds } from '../../lambdas/config/participantAttempts.js';
import { participantFunctionTimeoutSeconds } from '../../infra/constructs/participant.js';
import { allStates } from '../../local/stateMachine.js';
import { aslPath } from '../../statemachines/source/files.js';
import { PARTICIPANT_CALLS_AT_ONCE } from '../../statemachines/source/twoPhaseCommit.js';

interface Handled {
  Type: string;
  Resource?: string;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
}

const matches = (errorEquals: string[], error: string) => errorEquals.includes(error) || errorEquals.includes('States.ALL');
/** How many times AWS retries `error` in this state (MaxAttempts defaults to 3). */
const retries = (state: Handled, error: string) => {
  const retrier = (state.Retry ?? []).find((r) => matches(r.ErrorEquals, error));
  return retrier ? (retrier.MaxAttempts ?? 3) : 0;
};
const caughtBy = (state: Handled, error: string) => (state.Catch ?? []).find((c) => matches(c.ErrorEquals, error))?.Next;

describe.each(COORDINATOR_VARIANTS)('the %s workflow', (variant) => {
  const raw = JSON.parse(readFileSync(aslPath(variant), 'utf8')) as { States: Record<string, never> };
  const states = allStates(raw.States) as unknown as Array<[string, Handled]>;
  const dynamoTasks = states.filter(([, s]) => s.Type === 'Task' && s.Resource?.startsWith('arn:aws:states:::dynamodb:'));

  it('never retries a permanent DynamoDB ValidationException (AWS names it DynamoDB.AmazonDynamoDBException), but retries throttling', () => {
    expect(dynamoTasks.length).toBeGreaterThan(0);
    for (const [name, state] of dynamoTasks) {
      if (!state.Retry) continue;
      expect(retries(state, 'DynamoDB.AmazonDynamoDBException'), name).toBe(0);
      expect(retries(state, 'DynamoDB.ValidationException'), name).toBe(0);
      expect(retries(state, 'DynamoDB.ProvisionedThroughputExceededException'), name).toBeGreaterThan(0);
      expect(retries(state, 'DynamoDB.ThrottlingException'), name).toBeGreaterThan(0);
    }
  });

  it('bounds every fan-out to participants (MaxConcurrency; 0 or none is unbounded)', () => {
    const maps = states.filter(([, s]) => s.Type === 'Map') as unknown as Array<
      [string, { MaxConcurrency?: number; ItemProcessor: { States: Record<string, never> } }]
    >;
    const fanOuts = maps.filter(([, map]) => allStates(map.ItemProcessor.States).some(([, s]) => (s as Handled).Resource === 'arn:aws:states:::lambda:invoke'));
    expect(fanOuts.map(([name]) => name)).toEqual(expect.arrayContaining(['PrepareAll', 'CommitAll', 'AbortAll']));
    for (const [name, map] of fanOuts) {
      expect(map.MaxConcurrency, name).toBeGreaterThanOrEqual(1);
      expect(map.MaxConcurrency, name).toBeLessThanOrEqual(PARTICIPANT_CALLS_AT_ONCE);
    }
  });

  it("counts a participant function's own timeout (Sandbox.Timedout) as a prepare TIMEOUT, not retried", () => {
    const prepare = states.find(([name]) => name === 'Prepare')?.[1];
    if (!prepare) throw new Error('no Prepare state');
    expect(retries(prepare, 'Sandbox.Timedout')).toBe(0);
    expect(caughtBy(prepare, 'Sandbox.Timedout')).toBe('PrepareTimedOut');
    expect(caughtBy(prepare, 'States.Timeout')).toBe('PrepareTimedOut');
  });
});

describe("a participant function's timeout", () => {
  it('is below the task timeout that waits for it, so the function stops first', () => {
    for (const spec of loadParticipantConfig().values()) {
      expect(participantFunctionTimeoutSeconds(spec)).toBeLessThan(Math.max(spec.prepareTimeoutSeconds, spec.commitTimeoutSeconds));
    }
    expect(participantFunctionTimeoutSeconds({ prepareTimeoutSeconds: 10, commitTimeoutSeconds: 30 })).toBe(29);
    // Lambda's shortest timeout is 1 s.
    expect(participantFunctionTimeoutSeconds({ prepareTimeoutSeconds: 1, commitTimeoutSeconds: 1 })).toBe(1);
  });
});

describe("a participant's attempts", () => {
  const config = (prepareTimeoutSeconds: number, commitTimeoutSeconds: number) =>
    parseParticipantConfig({ defaults: { prepareTimeoutSeconds, commitTimeoutSeconds }, participants: { 'payer-bank': { kind: 'ledger' } } });

  it('are refused at config parse on Express when they cannot fit in its 300 s, naming the participant and the rule', () => {
    expect(EXECUTION_TIMEOUT_SECONDS.express).toBe(300);
    // 30 s x 4 prepare attempts + 30 s x 7 commit attempts = 330 s.
    expect(participantCallSeconds({ prepareTimeoutSeconds: 30, commitTimeoutSeconds: 30 })).toBe(330);
    expect(() => checkParticipantAttempts(config(30, 30), 'express')).toThrow(/payer-bank \(330 s\).*|at most its 300 s execution limit.*payer-bank/);
    expect(() => checkParticipantAttempts(config(30, 30), 'standard')).not.toThrow();
    expect(() => checkParticipantAttempts(config(10, 10), 'express')).not.toThrow();
  });

  it('fit for the shipped config on both workflows', () => {
    for (const variant of COORDINATOR_VARIANTS) expect(() => checkParticipantAttempts(loadParticipantConfig(), variant)).not.toThrow();
  });
});
