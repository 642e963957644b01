/**
 * Pakka's functions stay on the runtime they are tested for; when the team's aws-cdk-lib knows a newer
 * Node.js runtime, cdk-nag's AwsSolutions-L1 is acknowledged with that reason instead of stopping the synth.
 */
import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { PAKKA_RUNTIME, newestNodeRuntime } from '../../infra/constructs/pakkaFunction.js';

describe('the newest Node.js runtime aws-cdk-lib knows', () => {
  it('is found by major version among every family', () => {
    const node26 = new Runtime('nodejs26.x', RuntimeFamily.NODEJS);
    expect(newestNodeRuntime([Runtime.NODEJS_22_X, node26, Runtime.NODEJS_24_X, Runtime.PYTHON_3_13])).toBe('nodejs26.x');
    expect(newestNodeRuntime([Runtime.NODEJS_20_X, PAKKA_RUNTIME])).toBe(PAKKA_RUNTIME.name);
    expect(newestNodeRuntime([Runtime.PYTHON_3_13])).toBeUndefined();
  });
});
