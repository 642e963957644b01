/** The fault switch at the edge: the header is honoured only where the deployment enabled it, and the switch reads only on or off. */
import { describe, expect, it } from 'vitest';
import { FAULT_INJECTION_ENV, STOP_AFTER_PREPARE, faultInjectionFromEnv, requestedFault } from '../../lambdas/request/coordinatorFault.js';

describe('the Pakka-Fault header', () => {
  it('asks for nothing when absent, enabled or not', () => {
    expect(requestedFault(undefined, false)).toEqual({ ok: true });
    expect(requestedFault(undefined, true)).toEqual({ ok: true });
  });

  it('is refused, saying how to enable it, where fault injection is off', () => {
    expect(requestedFault(STOP_AFTER_PREPARE, false)).toEqual({
      ok: false,
      message: expect.stringMatching(/^fault injection is not enabled on this deployment/),
    });
  });

  it('names the one fault there is where it is on', () => {
    expect(requestedFault(STOP_AFTER_PREPARE, true)).toEqual({ ok: true, fault: STOP_AFTER_PREPARE });
    expect(requestedFault('stopAfterCommit', true)).toEqual({ ok: false, message: `Pakka-Fault must be ${STOP_AFTER_PREPARE}` });
  });
});

describe(FAULT_INJECTION_ENV, () => {
  it('is off unless it says on, and any other value stops the start', () => {
    expect(faultInjectionFromEnv({})).toBe(false);
    expect(faultInjectionFromEnv({ [FAULT_INJECTION_ENV]: 'off' })).toBe(false);
    expect(faultInjectionFromEnv({ [FAULT_INJECTION_ENV]: 'on' })).toBe(true);
    expect(() => faultInjectionFromEnv({ [FAULT_INJECTION_ENV]: 'true' })).toThrow(`${FAULT_INJECTION_ENV} must be on or off, not 'true'`);
  });
});
