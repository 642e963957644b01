/**
 * The fault-injection seam of local mode, for tests, the chaos test and the local demo (never active
 * on AWS). Faults are plain data (FaultSpec), so a property-based test can generate them. A
 * FaultInjector applies them through LocalPakka's two seams: `wrapInvoker` (how the coordinator, and
 * recovery when it is given the same wrapper, reach a participant) and `beforeTask` (each Task of the
 * state machine; stopping there aborts the execution where it is, as a crashed coordinator stops).
 */
import { z } from 'zod';
import { PAKKA_ERROR } from '../lambdas/protocol/errorNames.js';
import { allStates, loadDefinition, type ParticipantInvoker } from './stateMachine.js';

const PARTICIPANT_ACTIONS = ['prepare', 'commitOnePhase', 'commit', 'abort'] as const;
export type ParticipantAction = (typeof PARTICIPANT_ACTIONS)[number];

/** Task states of the real ASL file, where the coordinator can be stopped. */
export const COORDINATOR_TASK_STATES: readonly string[] = (() => {
  const definition = loadDefinition({ CoordinatorLogTable: 'faults' }) as unknown as {
    States: Parameters<typeof allStates>[0];
  };
  return allStates(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
})();

const txnId = z.string().min(1).optional();
const participant = z.string().min(1);
const action = z.enum(PARTICIPANT_ACTIONS);
const times = z.number().int().min(1).max(1000).default(1);
const delayMs = z.number().int().min(0).max(600_000);

export const faultSpec = z.discriminatedUnion('fault', [
  /** The participant's Lambda dies: before its write (nothing happened) or after it (the work is done, the answer lost). */
  z.strictObject({ fault: z.literal('crash'), participant, action, when: z.enum(['beforeWrite', 'afterWrite']), times, txnId }),
  /** A transient failure before the write (throttling, a Lambda service error), which the caller retries. */
  z.strictObject({ fault: z.literal('fail'), participant, action, times, txnId }),
  /** The answer comes after delayMs: the work is held back (beforeWrite) or done at once and only the answer is late (afterWrite). */
  z.strictObject({ fault: z.literal('late'), participant, action, when: z.enum(['beforeWrite', 'afterWrite']), delayMs, times, txnId }),
  /**
   * The message is delivered twice: at once, side by side, or again later (a late duplicate): after
   * delayMs, or once this participant has answered the `after` action for the same txnId (a duplicate
   * that is known to arrive behind that message, whatever the machine's speed).
   */
  z.strictObject({ fault: z.literal('duplicate'), participant, action, delayMs: delayMs.default(0), after: action.optional(), times, txnId }),
  /** The coordinator stops before the occurrence-th entry of this Task state, as a crashed or timed-out execution does. */
  z.strictObject({
    fault: z.literal('stopCoordinator'),
    at: z.string().refine((s) => COORDINATOR_TASK_STATES.includes(s), { message: `must be a Task state: ${COORDINATOR_TASK_STATES.join(', ')}` }),
    occurrence: z.number().int().min(1).max(100).default(1),
    txnId,
  }),
  /** The coordinator waits before that Task until the test calls resume(txnId): a slow coordinator, to race against. */
  z.strictObject({
    fault: z.literal('pauseCoordinator'),
    at: z.string().refine((s) => COORDINATOR_TASK_STATES.includes(s), { message: `must be a Task state: ${COORDINATOR_TASK_STATES.join(', ')}` }),
    occurrence: z.number().int().min(1).max(100).default(1),
    txnId,
  }),
]);
export type FaultSpec = z.input<typeof faultSpec>;
type ParsedFault = z.output<typeof faultSpec>;

/** Error names as Step Functions sees them from a Lambda task. */
export const CRASH_ERROR = 'Lambda.Unknown';
export const TRANSIENT_ERROR = 'Lambda.ServiceException';
export const COORDINATOR_STOPPED = PAKKA_ERROR.coordinatorStopped;

class InjectedFault extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Something the injector did, so a test can assert the fault really happened. */
export interface FiredFault {
  spec: ParsedFault;
  txnId: string;
  participant?: string;
  action?: string;
  /** For a duplicate: what the second delivery answered (or the error it raised). */
  duplicateAnswer?: unknown;
}

/** Every answer (or error) a participant call returned to its caller, in order. */
export interface DeliveryRecord {
  participant: string;
  action: string;
  txnId: string;
  answer?: unknown;
  error?: string;
}

/** Whatever can stop a running execution by its transaction (LocalPakka). */
export interface ExecutionSource {
  execution(txnId: string): { abort(): void } | undefined;
}

interface Message {
  action: string;
  txnId: string;
}

const messageOf = (payload: unknown): Message => {
  const m = payload as Partial<Message> | null;
  return { action: String(m?.action ?? ''), txnId: String(m?.txnId ?? '') };
};

/** The txnId a Task works on, read from its input the way each Resource carries it. */
function taskTxnId(input: unknown): string | undefined {
  const i = input as { Payload?: { txnId?: unknown }; Key?: { txnId?: { S?: unknown } }; Item?: { txnId?: { S?: unknown } } } | null;
  const id = i?.Payload?.txnId ?? i?.Key?.txnId?.S ?? i?.Item?.txnId?.S;
  return typeof id === 'string' ? id : undefined;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FaultInjector {
  readonly specs: readonly ParsedFault[];
  readonly fired: FiredFault[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  private readonly left: number[];
  private readonly taskCounts = new Map<string, number>();
  private readonly stopped = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly answers = new Map<string, Deferred>();
  private readonly pauses = new Map<string, { reached: Deferred; resume: Deferred }>();
  /** Every Task the coordinator entered, in order, as `txnId` and state name. */
  readonly tasks: Array<{ txnId: string; state: string }> = [];
  private source: ExecutionSource | undefined;

  /** `onDelivery` sees each delivery the moment it is recorded, before the caller gets its answer. */
  constructor(
    specs: readonly FaultSpec[] = [],
    private readonly onDelivery?: (delivery: DeliveryRecord) => void,
  ) {
    this.specs = specs.map((s) => faultSpec.parse(s));
    this.left = this.specs.map((s) => ('times' in s ? s.times : Number.POSITIVE_INFINITY));
  }

  /** The executions the injector may stop; LocalPakka, once it is built with this injector's seams. */
  attach(source: ExecutionSource): this {
    this.source = source;
    return this;
  }

  /** Options for LocalPakka (or the local server): the two seams. */
  seams(): { wrapInvoker: (invoke: ParticipantInvoker) => ParticipantInvoker; beforeTask: (state: string, input: unknown) => Promise<void> } {
    return { wrapInvoker: (invoke) => this.wrap(invoke), beforeTask: (state, input) => this.beforeTask(state, input) };
  }

  /** True once the coordinator of this transaction was stopped by a fault. */
  wasStopped(txnId: string): boolean {
    return this.stopped.has(txnId);
  }

  private pause(txnId: string) {
    let pause = this.pauses.get(txnId);
    if (!pause) {
      pause = { reached: deferred(), resume: deferred() };
      this.pauses.set(txnId, pause);
    }
    return pause;
  }

  /** Resolves when the coordinator of txnId has reached its pauseCoordinator fault. */
  paused(txnId: string): Promise<void> {
    return this.pause(txnId).reached.promise;
  }

  /** Lets a paused coordinator go on. */
  resume(txnId: string): void {
    this.pause(txnId).resume.resolve();
  }

  /** Resolves once `participant` has answered `action` for txnId; `reached` records that it has. */
  private answered(participant: string, txnId: string, action: string, reached = false): Promise<void> {
    const key = `${participant}\u0000${txnId}\u0000${action}`;
    const waiter = this.answers.get(key) ?? deferred();
    this.answers.set(key, waiter);
    if (reached) waiter.resolve();
    return waiter.promise;
  }

  /** Resolves when every participant call started through the injector has ended, late and duplicate ones included. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  wrap(invoke: ParticipantInvoker): ParticipantInvoker {
    return (name, payload) => {
      const call = this.withFaults(invoke, name, payload);
      this.track(call);
      return call;
    };
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }

  /** The first spec that applies to this call and has deliveries left; using it counts one. */
  private take(name: string, message: Message): ParsedFault | undefined {
    const index = this.specs.findIndex(
      (s, i) =>
        s.fault !== 'stopCoordinator' &&
        s.fault !== 'pauseCoordinator' &&
        (this.left[i] ?? 0) > 0 &&
        s.participant === name &&
        s.action === message.action &&
        (s.txnId === undefined || s.txnId === message.txnId),
    );
    if (index < 0) return undefined;
    this.left[index] = (this.left[index] ?? 1) - 1;
    return this.specs[index];
  }

  private async withFaults(invoke: ParticipantInvoker, name: string, payload: unknown): Promise<unknown> {
    const message = messageOf(payload);
    const spec = this.take(name, message);
    const fired: FiredFault | undefined = spec && { spec, txnId: message.txnId, participant: name, action: message.action };
    if (fired) this.fired.push(fired);
    const deliver = async (): Promise<unknown> => {
      switch (spec?.fault) {
        case 'crash':
          if (spec.when === 'beforeWrite') throw new InjectedFault(CRASH_ERROR, `injected: ${name} crashed before its ${message.action} write`);
          await invoke(name, payload);
          throw new InjectedFault(CRASH_ERROR, `injected: ${name} crashed after its ${message.action} write, before answering`);
        case 'fail':
          throw new InjectedFault(TRANSIENT_ERROR, `injected: transient failure of ${name} ${message.action}`);
        case 'late': {
          if (spec.when === 'beforeWrite') await sleep(spec.delayMs);
          const answer = await invoke(name, payload);
          if (spec.when === 'afterWrite') await sleep(spec.delayMs);
          return answer;
        }
        case 'duplicate': {
          const second = (async () => {
            if (spec.after) await this.answered(name, message.txnId, spec.after);
            if (spec.delayMs > 0) await sleep(spec.delayMs);
            return invoke(name, payload);
          })();
          this.track(second);
          void second.then(
            (answer) => {
              if (fired) fired.duplicateAnswer = answer;
            },
            (error: unknown) => {
              if (fired) fired.duplicateAnswer = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
            },
          );
          return invoke(name, payload);
        }
        default:
          return invoke(name, payload);
      }
    };
    try {
      const answer = await deliver();
      this.record({ participant: name, ...message, answer });
      this.answered(name, message.txnId, message.action, true);
      return answer;
    } catch (error) {
      this.record({ participant: name, ...message, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      throw error;
    }
  }

  private record(delivery: DeliveryRecord): void {
    this.deliveries.push(delivery);
    this.onDelivery?.(delivery);
  }

  async beforeTask(state: string, input: unknown): Promise<void> {
    const txnId = taskTxnId(input);
    if (txnId === undefined) return;
    // A crashed coordinator starts nothing new, not even in another branch of a Map.
    if (this.stopped.has(txnId)) throw new InjectedFault(COORDINATOR_STOPPED, `injected: the coordinator of ${txnId} has stopped`);
    this.tasks.push({ txnId, state });
    const key = `${txnId}\u0000${state}`;
    const count = (this.taskCounts.get(key) ?? 0) + 1;
    this.taskCounts.set(key, count);
    const applies = (s: ParsedFault) =>
      (s.fault === 'stopCoordinator' || s.fault === 'pauseCoordinator') &&
      s.at === state &&
      s.occurrence === count &&
      (s.txnId === undefined || s.txnId === txnId);
    const pauseSpec = this.specs.find((s) => s.fault === 'pauseCoordinator' && applies(s));
    if (pauseSpec) {
      this.fired.push({ spec: pauseSpec, txnId });
      const pause = this.pause(txnId);
      pause.reached.resolve();
      await pause.resume.promise;
    }
    const spec = this.specs.find((s) => s.fault === 'stopCoordinator' && applies(s));
    if (!spec) return;
    // Marked at once, so that no other branch of a Map starts a task meanwhile.
    this.stopped.add(txnId);
    this.fired.push({ spec, txnId });
    // The engine enters the first state inside StateMachine.run, before LocalPakka has recorded the execution.
    await Promise.resolve();
    const execution = this.source?.execution(txnId);
    if (!execution) throw new Error(`cannot stop the coordinator of ${txnId}: attach the FaultInjector to the LocalPakka that runs it`);
    execution.abort();
    throw new InjectedFault(COORDINATOR_STOPPED, `injected: the coordinator of ${txnId} stopped at ${state}`);
  }
}

/**
 * Faults for the local demo, from PAKKA_FAULTS (a JSON list of fault specs); undefined when unset.
 * Only `npm start` reads it: nothing on AWS ever builds a FaultInjector.
 */
export function faultsFromEnvironment(env: Record<string, string | undefined> = process.env): FaultInjector | undefined {
  const raw = env.PAKKA_FAULTS;
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('PAKKA_FAULTS must be a JSON list of fault specs, e.g. [{"fault":"stopCoordinator","at":"LogCommitDecision"}]');
  }
  const specs = z.array(faultSpec).safeParse(parsed);
  if (!specs.success) {
    const issue = specs.error.issues[0];
    throw new Error(`PAKKA_FAULTS[${issue?.path.join('.') ?? ''}]: ${issue?.message ?? 'is not a fault spec'}`);
  }
  return new FaultInjector(specs.data);
}
