/**
 * The one fault a deployment can be told to inject, for `pakka verify`: the coordinator stops right
 * after a prepare phase in which every participant voted yes, before any decision is logged, so the
 * transaction is left in doubt with its participants PREPARED, as a crashed coordinator leaves it, and
 * recovery must find and finish it. Off unless the deployment enables it (CDK context
 * `pakka:faultInjection`, `npm start -- --fault-injection`): then, and only then, the API honours the
 * request header below; otherwise the header is refused (400) and nothing starts.
 */
import { z } from 'zod';

/** The request header that asks for the fault, and its one value. */
export const FAULT_HEADER = 'Pakka-Fault';
export const STOP_AFTER_PREPARE = 'stopAfterPrepare';
export type CoordinatorFault = typeof STOP_AFTER_PREPARE;

/** The API function's environment variable that enables the header; the stack sets it only when enabled. */
export const FAULT_INJECTION_ENV = 'PAKKA_FAULT_INJECTION';

const switchValue = z.enum(['on', 'off']).optional();

/** On only when the variable says `on`; a value other than on or off is refused at start-up, not read as off. */
export function faultInjectionFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  const parsed = switchValue.safeParse(env[FAULT_INJECTION_ENV]);
  if (!parsed.success) throw new Error(`${FAULT_INJECTION_ENV} must be on or off, not '${env[FAULT_INJECTION_ENV]}'`);
  return parsed.data === 'on';
}

/** Why a fault header is refused: the field and the rule, as every 400 names them. */
export type FaultRefusal = { ok: false; message: string };

/** The fault a request asks for (undefined: none), or why it cannot have it. */
export function requestedFault(headerValue: string | undefined, enabled: boolean): { ok: true; fault?: CoordinatorFault } | FaultRefusal {
  if (headerValue === undefined) return { ok: true };
  if (!enabled) {
    return {
      ok: false,
      message: `fault injection is not enabled on this deployment (CDK context pakka:faultInjection=true, or npm start -- --fault-injection); send no ${FAULT_HEADER} header`,
    };
  }
  if (headerValue !== STOP_AFTER_PREPARE) return { ok: false, message: `${FAULT_HEADER} must be ${STOP_AFTER_PREPARE}` };
  return { ok: true, fault: STOP_AFTER_PREPARE };
}
