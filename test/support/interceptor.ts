/** A seam on the coordinator's route to participants, for tests: record each call, and answer instead of the participant. */
import type { ParticipantInvoker } from '../../local/stateMachine.js';

export type Payload = { action: string; txnId: string; operations?: unknown[] };

/** Wraps the coordinator's route to participants; `fault` may answer instead of the participant. */
export function interceptor(fault: (name: string, payload: Payload, next: () => Promise<unknown>) => Promise<unknown>) {
  const calls: Array<{ name: string; action: string; txnId: string }> = [];
  const wrap =
    (invoke: ParticipantInvoker): ParticipantInvoker =>
    (name, payload) => {
      const p = payload as Payload;
      calls.push({ name, action: p.action, txnId: p.txnId });
      return fault(name, p, () => invoke(name, payload));
    };
  const count = (name: string, action: string, txnId?: string) =>
    calls.filter((c) => c.name === name && c.action === action && (txnId === undefined || c.txnId === txnId)).length;
  return { wrap, calls, count };
}
