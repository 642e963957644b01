/**
 * State transitions of one execution, counted from the local engine's state history the way
 * Step Functions bills a Standard workflow: one per state entered (states inside Map iterations
 * included) and one more per retry (aws.amazon.com/step-functions/pricing: "including retries").
 */
import type { EventLog } from '../local/stateMachine.js';

export interface StateHistory {
  transitions: number;
  retries: number;
  /** States entered, by name, so a report can say where the transitions go. */
  entered: Record<string, number>;
}

export async function readStateHistory(events: AsyncIterable<EventLog>): Promise<StateHistory> {
  const history: StateHistory = { transitions: 0, retries: 0, entered: {} };
  for await (const event of events) {
    if (event.type === 'StateEntered') {
      history.transitions++;
      history.entered[event.state.name] = (history.entered[event.state.name] ?? 0) + 1;
    } else if (event.type === 'StateRetried') {
      history.transitions++;
      history.retries++;
    }
  }
  return history;
}
