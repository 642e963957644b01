/**
 * The fault switch `pakka verify` uses (lambdas/request/coordinatorFault.ts) is absent from a default
 * deployment and present, cdk-nag clean, when `pakka:faultInjection` turns it on: the state machine
 * then holds the fault states and the API function is told to honour the Pakka-Fault header.
 * In-process synths with Lambda bundling skipped (the CLI synth in infra.test.ts covers bundling).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPakkaApp } from '../../infra/pakkaApp.js';
import { CONTEXT, deploymentSettings } from '../../infra/settings.js';
import { FAULT_INJECTION_ENV } from '../../lambdas/request/coordinatorFault.js';
import { FAULT_CHOICE_STATE, FAULT_STOP_STATE } from '../../statemachines/source/faultStates.js';
import type { CfnTemplate } from '../support/synth.js';

const scratch = mkdtempSync(join(tmpdir(), 'pakka-infra-fault-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Synthesized {
  template: CfnTemplate;
  /** The state machine's definition as deployed: the file asset of DefinitionS3Location, or DefinitionString. */
  definition: string;
}

/** Synthesizes the app as `cdk synth` builds it (cdk-nag included: an unacknowledged finding throws here). */
function synth(name: string, context: Record<string, unknown>): Synthesized {
  const outdir = join(scratch, name);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = buildPakkaApp(app);
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(1);
  const properties = machines[0]?.Properties ?? {};
  const location = properties.DefinitionS3Location as { Key: string } | undefined;
  // A file asset is staged in the assembly as asset.<key>.
  const definition = location ? readFileSync(join(outdir, `asset.${location.Key}`), 'utf8') : JSON.stringify(properties.DefinitionString);
  return { template, definition };
}

/** The API function, by the description infra/constructs/api.ts gives it. */
function apiEnvironment(template: CfnTemplate): Record<string, unknown> {
  const api = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description).startsWith('Pakka HTTP API'),
  );
  expect(api).toHaveLength(1);
  return (api[0]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('fault injection in the stack', () => {
  it('is off unless the context turns it on, and a bad value stops the synth', () => {
    expect(deploymentSettings(() => undefined).faultInjection).toBe(false);
    expect(deploymentSettings((key) => (key === CONTEXT.faultInjection ? 'true' : undefined)).faultInjection).toBe(true);
    expect(deploymentSettings((key) => (key === CONTEXT.faultInjection ? 'false' : undefined)).faultInjection).toBe(false);
    expect(() => deploymentSettings((key) => (key === CONTEXT.faultInjection ? 'yes' : undefined))).toThrow(/^CDK context pakka:faultInjection: /);
  });

  it('is absent from a default deployment: no fault state, no switch on the API', { timeout: 180_000 }, () => {
    const { template, definition } = synth('default', {});
    expect(definition).toContain('PrepareAll');
    expect(definition).not.toContain(FAULT_CHOICE_STATE);
    expect(definition).not.toContain(FAULT_STOP_STATE);
    expect(apiEnvironment(template)).not.toHaveProperty(FAULT_INJECTION_ENV);
  });

  it('is present when enabled, and the stack stays cdk-nag clean', { timeout: 180_000 }, () => {
    const { template, definition } = synth('enabled', { [CONTEXT.faultInjection]: 'true', [CONTEXT.stackName]: 'Verify1' });
    expect(definition).toContain(FAULT_CHOICE_STATE);
    expect(definition).toContain(FAULT_STOP_STATE);
    expect(apiEnvironment(template)[FAULT_INJECTION_ENV]).toBe('on');
  });
});
