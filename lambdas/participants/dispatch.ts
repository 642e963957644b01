/**
 * The one entrance every participant runtime shares: the request checked against the contract, then
 * handed to the action it names. The built-in runtime and the barrier differ only in the actions.
 */
import { type InDoubtAnswer, type InDoubtRequest, inDoubtRequest, participantRequest, type ParticipantAnswer } from '../contract/participantProtocol.js';
import { InvalidParticipantRequest } from './errors.js';

export interface ParticipantActions<Prepared> {
  /** Validates the request's operations for this participant (throws InvalidParticipantRequest). */
  operations(raw: readonly Record<string, unknown>[], field: string): Prepared;
  prepare(txnId: string, prepared: Prepared): Promise<ParticipantAnswer>;
  /** Prepare and, on a yes, commit in the same atomic write. A runtime without it prepares, and the coordinator runs both phases. */
  commitOnePhase?(txnId: string, prepared: Prepared): Promise<ParticipantAnswer>;
  /** `raw` is absent when the caller (recovery, an operator) relies on the stored redo list. */
  commit(txnId: string, raw: readonly Record<string, unknown>[] | undefined): Promise<ParticipantAnswer>;
  abort(txnId: string, raw: readonly Record<string, unknown>[] | undefined): Promise<ParticipantAnswer>;
  /** `raw`, when given, names the items a hold in its item lives in (recovery sends the entry's redo list). */
  status(txnId: string, raw?: readonly Record<string, unknown>[]): Promise<ParticipantAnswer>;
  /** Only a runtime that keeps its prepared state in its own store answers it (contract 1.3); the others' are read from their tables. */
  inDoubt?(request: InDoubtRequest): Promise<InDoubtAnswer>;
}

const issueText = (error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string => {
  const issue = error.issues[0];
  return `${issue?.path.map(String).join('.') || 'request'}: ${issue?.message ?? 'invalid'}`;
};

const asksInDoubt = (event: unknown): boolean => typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'inDoubt';

export function dispatchParticipantRequest<Prepared>(actions: ParticipantActions<Prepared>): (event: unknown) => Promise<ParticipantAnswer> {
  return async (event) => {
    if (asksInDoubt(event)) {
      if (!actions.inDoubt)
        throw new InvalidParticipantRequest('action: inDoubt is answered only by a participant that keeps its prepared state in its own store');
      const asked = inDoubtRequest.safeParse(event);
      if (!asked.success) throw new InvalidParticipantRequest(issueText(asked.error));
      return actions.inDoubt(asked.data);
    }
    const parsed = participantRequest.safeParse(event);
    if (!parsed.success) throw new InvalidParticipantRequest(issueText(parsed.error));
    const { action, txnId, operations } = parsed.data;
    switch (action) {
      case 'prepare':
      case 'commitOnePhase': {
        if (!operations) throw new InvalidParticipantRequest(`operations: required for ${action}`);
        const prepared = actions.operations(operations, 'operations');
        return action === 'commitOnePhase' && actions.commitOnePhase ? actions.commitOnePhase(txnId, prepared) : actions.prepare(txnId, prepared);
      }
      case 'commit':
        return actions.commit(txnId, operations);
      case 'abort':
        return actions.abort(txnId, operations);
      case 'status':
        return actions.status(txnId, operations);
    }
  };
}
