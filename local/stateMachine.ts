/**
 * Runs the very ASL file that CDK deploys, on aws-local-stepfunctions. A thin adapter: it fills
 * the ${Placeholders}, and maps each Task by its Resource to the local participant handler or to
 * the same DynamoDB call on DynamoDB Local. No protocol step is implemented here.
 */
import './polyfills.js';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ParticipantFunctions } from '../lambdas/config/participantFunctions.js';
import { type CoordinatorVariant, DEFAULT_COORDINATOR_VARIANT } from '../lambdas/config/coordinatorVariant.js';
import { faultInjectedAsl } from '../statemachines/source/faultStates.js';
import { aslPath } from '../statemachines/source/files.js';

/** One entry of the local engine's state history (the package does not export the type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The placeholders of the ASL file; CDK fills the same ones with definitionSubstitutions. */
export interface AslSubstitutions {
  CoordinatorLogTable: string;
}

/** The ASL text before its placeholders are filled. */
const definitionTemplate = (variant: CoordinatorVariant, faultInjection: boolean) =>
  faultInjection ? faultInjectedAsl(variant) : readFileSync(aslPath(variant), 'utf8');

/** The committed ASL of `variant`, or (faultInjection) the same with the fault states of faultStates.ts. */
export function loadDefinition(
  substitutions: AslSubstitutions,
  variant: CoordinatorVariant = DEFAULT_COORDINATOR_VARIANT,
  faultInjection = false,
): StateMachineDefinition {
  let text = definitionTemplate(variant, faultInjection);
  for (const [name, value] of Object.entries(substitutions)) text = text.replaceAll(`\${${name}}`, value);
  const missing = /\$\{([A-Za-z]+)\}/.exec(text);
  if (missing) throw new Error(`ASL placeholder \${${missing[1]}} has no substitution`);
  return JSON.parse(text) as StateMachineDefinition;
}

interface TaskState {
  name: string;
  resource: string;
}

type StateNode = {
  Type?: string;
  Resource?: string;
  ItemProcessor?: { States: Record<string, StateNode> };
  Iterator?: { States: Record<string, StateNode> };
  Branches?: Array<{ States: Record<string, StateNode> }>;
};

/** Every state in the definition, Map and Parallel branches included (names are unique machine-wide). */
export function allStates(states: Record<string, StateNode>): Array<[string, StateNode]> {
  return Object.entries(states).flatMap(([name, state]) => {
    const nested = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((b) => b !== undefined);
    return [[name, state] as [string, StateNode], ...nested.flatMap((b) => allStates(b.States))];
  });
}

export function taskStates(states: Record<string, StateNode>): TaskState[] {
  return allStates(states).flatMap(([name, state]) => (state.Type === 'Task' && state.Resource ? [{ name, resource: state.Resource }] : []));
}

/** A participant as the state machine sees it: a function that takes the Lambda payload. */
export type ParticipantInvoker = (name: string, payload: unknown) => Promise<unknown>;

/** Errors named as the Step Functions service integrations name them, so Retry and Catch match. */
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * A function's error as the Lambda integration reports it: the error's name as Error, and as Cause the
 * JSON object Lambda answers with (errorType, errorMessage, trace), which the state machine parses to
 * read a team's raised reason (Pakka.VoteAbort.TEAM).
 */
function asLambdaFunctionError(error: unknown): Error {
  if (!(error instanceof Error)) return new NamedError('Error', JSON.stringify({ errorType: 'Error', errorMessage: String(error), trace: [] }));
  return new NamedError(error.name, JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }));
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export interface LocalStateMachineOptions {
  substitutions: AslSubstitutions;
  /** Which generated workflow to run (default: the deploy default). */
  variant?: CoordinatorVariant;
  dynamo: DynamoDBClient;
  /** The same participant -> function ARN map the execution input is built from: each ARN is mapped back to its participant. */
  participantFunctions: ParticipantFunctions;
  invoke: ParticipantInvoker;
  /** Millisecond waits for Retry and Wait states instead of the real seconds (tests). */
  fastRetriesMs?: number;
  /** Run the definition with the fault states (faultStates.ts), as a deployment with fault injection enabled does. */
  faultInjection?: boolean;
  /** Called for each Task before it runs; a fault injector may throw to stop the execution there. */
  beforeTask?: (stateName: string, input: unknown) => void | Promise<void>;
}

export interface LocalExecution {
  executionArn: string;
  result: Promise<unknown>;
  /** The execution's state history, as Step Functions would record it (state entered/exited, retries...). */
  eventLogs: AsyncGenerator<EventLog>;
  /** Stops the execution where it is, as a crashed or timed-out execution stops on AWS. */
  abort: () => void;
}

const VALIDATION = { checkArn: false, checkPaths: true } as const;
/** The definitions (by validationKey) this process has validated already. */
const validated = new Set<string>();
/** A name as DynamoDB allows it (table names: letters, digits, `_`, `-`, `.`): it cannot change how the ASL parses. */
const PLAIN_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * What decides whether a definition validates: its template, when every placeholder is filled with a
 * plain name (the placeholders stand only in TableName strings, which the validator takes as they are,
 * so one plain name validates exactly as another); otherwise the whole filled text.
 */
function validationKey(options: LocalStateMachineOptions, variant: CoordinatorVariant, definition: StateMachineDefinition): string {
  const faultInjection = options.faultInjection === true;
  const plain = Object.values(options.substitutions).every((value) => PLAIN_NAME.test(value));
  const text = plain ? `template ${variant} ${faultInjection} ${definitionTemplate(variant, faultInjection)}` : `filled ${JSON.stringify(definition)}`;
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The engine for `definition`, validated the first time this process sees it (validationKey). The
 * validator compiles its JSON schema on every call (about 0.2 s of CPU), and every local world (each
 * test's, local mode's) builds its own machine from the same file, with its own table names:
 * validating once keeps AWS's rule (an invalid definition is refused before it runs) at a fraction
 * of the cost. An invalid definition is never remembered, so it is refused every time.
 */
function validatedMachine(definition: StateMachineDefinition, key: string): StateMachine {
  if (validated.has(key)) return new StateMachine(definition, { validationOptions: { ...VALIDATION, noValidate: true } });
  const machine = new StateMachine(definition, { validationOptions: VALIDATION });
  validated.add(key);
  return machine;
}

export class LocalStateMachine {
  readonly variant: CoordinatorVariant;
  private readonly definition: StateMachineDefinition;
  /** Built once: the engine validates the whole definition in its constructor, as AWS does once at deploy. */
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>>;
  private readonly retryOverrides: Record<string, number>;
  private readonly waitOverrides: Record<string, number>;
  private readonly participantByFunction: ReadonlyMap<string, string>;

  constructor(private readonly options: LocalStateMachineOptions) {
    this.variant = options.variant ?? DEFAULT_COORDINATOR_VARIANT;
    this.participantByFunction = new Map([...options.participantFunctions].map(([name, arn]) => [arn, name]));
    if (this.participantByFunction.size !== options.participantFunctions.size) throw new Error('two participants share one function ARN');
    this.definition = loadDefinition(options.substitutions, this.variant, options.faultInjection === true);
    this.machine = validatedMachine(this.definition, validationKey(options, this.variant, this.definition));
    const states = (this.definition as unknown as { States: Record<string, StateNode> }).States;
    this.handlers = {};
    for (const task of taskStates(states)) this.handlers[task.name] = this.handlerFor(task);
    this.retryOverrides = {};
    this.waitOverrides = {};
    if (options.fastRetriesMs !== undefined) {
      for (const [name] of allStates(states)) {
        this.retryOverrides[name] = options.fastRetriesMs;
        this.waitOverrides[name] = options.fastRetriesMs;
      }
    }
  }

  private handlerFor(task: TaskState): (input: unknown) => Promise<unknown> {
    const run = this.resourceHandler(task);
    const before = this.options.beforeTask;
    return async (input) => {
      if (before) await before(task.name, input);
      return run(input);
    };
  }

  private resourceHandler(task: TaskState): (input: unknown) => Promise<unknown> {
    const { dynamo, invoke } = this.options;
    switch (task.resource) {
      case 'arn:aws:states:::lambda:invoke':
        return async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
          const name = this.participantByFunction.get(FunctionName);
          if (name === undefined) throw new NamedError('Lambda.ResourceNotFoundException', `Function not found: ${FunctionName}`);
          let answer: unknown;
          try {
            answer = await invoke(name, json(Payload));
          } catch (error) {
            throw asLambdaFunctionError(error);
          }
          // JSON in and out, as across the real Lambda boundary: no shared objects.
          return { StatusCode: 200, Payload: json(answer) };
        };
      case 'arn:aws:states:::dynamodb:putItem':
        return (input) => this.dynamoCall(() => dynamo.send(new PutItemCommand(input as PutItemCommandInput)));
      case 'arn:aws:states:::dynamodb:updateItem':
        return (input) => this.dynamoCall(() => dynamo.send(new UpdateItemCommand(input as UpdateItemCommandInput)));
      case 'arn:aws:states:::dynamodb:getItem':
        return (input) => this.dynamoCall(() => dynamo.send(new GetItemCommand(input as GetItemCommandInput)));
      default:
        throw new Error(`Task ${task.name}: no local mapping for resource ${task.resource}`);
    }
  }

  private async dynamoCall(call: () => Promise<object>): Promise<unknown> {
    try {
      const { $metadata: _metadata, ...output } = (await call()) as { $metadata?: unknown };
      return json(output);
    } catch (error) {
      if (error instanceof Error) throw new NamedError(`DynamoDB.${error.name}`, error.message);
      throw error;
    }
  }

  /** Starts one execution named after the transaction, as the API does with StartExecution on AWS. */
  start(
    name: string,
    input: object,
    executionArn = `arn:aws:states:local:000000000000:execution:pakka-two-phase-commit:${name}:${randomUUID()}`,
  ): LocalExecution {
    const execution = this.machine.run(input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers: this.handlers as never,
        retryIntervalOverrides: this.retryOverrides,
        waitTimeOverrides: this.waitOverrides,
      },
      context: { Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString() }, State: liveStateClock } as never,
    });
    const result = execution.result.catch((error: unknown) => {
      // The engine wraps the real failure; surface it with its Step Functions error name.
      throw error instanceof ExecutionError && error.cause ? error.cause : error;
    });
    return { executionArn, result, eventLogs: execution.eventLogs, abort: execution.abort };
  }
}

/**
 * `$$.State.EnteredTime` is filled by Step Functions on AWS but not by the local engine. The engine
 * reads context paths when a state is entered, so a getter gives each state its own entry time.
 */
const liveStateClock = {
  get EnteredTime(): string {
    return new Date().toISOString();
  },
};
