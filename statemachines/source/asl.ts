/**
 * A small typed vocabulary for the JSONPath subset of the Amazon States Language that Pakka uses
 * and the local engine runs (no JSONata, no Variables/Assign). The coordinator's definition is
 * written with these types; `render` turns it into the JSON committed in `statemachines/`.
 */
import { MAX_INTRINSICS_PER_FIELD, fieldsOverIntrinsicLimit } from './intrinsicNesting.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}

interface Common {
  Comment?: string;
}

interface Flow {
  Next?: string;
  End?: true;
}

export interface TaskState extends Common, Flow {
  Type: 'Task';
  Resource: string;
  Parameters: { [key: string]: Json };
  TimeoutSecondsPath?: string;
  ResultSelector?: { [key: string]: Json };
  ResultPath?: string | null;
  OutputPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface PassState extends Common, Flow {
  Type: 'Pass';
  Parameters?: { [key: string]: Json };
  Result?: Json;
  ResultPath?: string | null;
}

export interface ChoiceRule {
  Variable?: string;
  Next?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  StringEquals?: string;
  BooleanEquals?: boolean;
  StringEqualsPath?: string;
  NumericEqualsPath?: string;
  NumericGreaterThan?: number;
  IsPresent?: boolean;
  IsString?: boolean;
}

export interface ChoiceState extends Common {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default: string;
}

export interface WaitState extends Common, Flow {
  Type: 'Wait';
  Seconds: number;
}

export interface FailState extends Common {
  Type: 'Fail';
  Error: string;
  Cause?: string;
  CausePath?: string;
}

export interface SucceedState extends Common {
  Type: 'Succeed';
  OutputPath?: string;
}

export interface MapState extends Common, Flow {
  Type: 'Map';
  InputPath?: string;
  ItemsPath: string;
  MaxConcurrency?: number;
  ItemSelector: { [key: string]: Json };
  ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }; StartAt: string; States: States };
  ResultSelector?: { [key: string]: Json };
  ResultPath?: string | null;
  OutputPath?: string;
  Catch?: Catcher[];
}

export type State = TaskState | PassState | ChoiceState | WaitState | FailState | SucceedState | MapState;
export type States = { [name: string]: State };

export interface StateMachineDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: States;
}

/** Every state, Map iterations included, so a check can cover the whole machine. */
export function everyState(states: States): Array<[string, State]> {
  return Object.entries(states).flatMap(
    ([name, state]): Array<[string, State]> => (state.Type === 'Map' ? [[name, state], ...everyState(state.ItemProcessor.States)] : [[name, state]]),
  );
}

/**
 * Refuses a definition whose transitions point nowhere or whose state names repeat (the local
 * engine and the fault seam look Task states up by name across the whole machine), or that AWS
 * would refuse for a field with more than 10 intrinsic calls.
 */
export function checkDefinition(definition: StateMachineDefinition): void {
  const overLimit = fieldsOverIntrinsicLimit(definition);
  if (overLimit.length) {
    const list = overLimit.map((f) => `${f.path} (${f.calls})`).join(', ');
    throw new Error(`more than ${MAX_INTRINSICS_PER_FIELD} intrinsic functions in a field, which Step Functions refuses: ${list}`);
  }
  const seen = new Set<string>();
  const check = (states: States, startAt: string) => {
    if (!(startAt in states)) throw new Error(`StartAt ${startAt} is not a state`);
    for (const [name, state] of Object.entries(states)) {
      if (seen.has(name)) throw new Error(`state name ${name} is used twice`);
      seen.add(name);
      const targets = [
        ...('Next' in state && state.Next ? [state.Next] : []),
        ...('Catch' in state ? (state.Catch ?? []).map((c) => c.Next) : []),
        ...(state.Type === 'Choice' ? [state.Default, ...state.Choices.map((c) => c.Next ?? '')] : []),
      ];
      for (const target of targets) if (!(target in states)) throw new Error(`${name} goes to ${target}, which is not a state beside it`);
      if (state.Type === 'Map') check(state.ItemProcessor.States, state.ItemProcessor.StartAt);
    }
  };
  check(definition.States, definition.StartAt);
}

export const render = (definition: StateMachineDefinition): string => `${JSON.stringify(definition, null, 2)}\n`;
