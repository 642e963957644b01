/**
 * Pakka on one machine: the participant handlers, their tables in DynamoDB Local, and the ASL
 * coordinator on the local engine. `runTransaction` is the programmatic entry point that the
 * local API, the CLI, the tests and the benchmark call.
 */
import { PAKKA_ERROR } from '../lambdas/protocol/errorNames.js';
import type { CoordinatorFault } from '../lambdas/request/coordinatorFault.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { claimTransaction } from '../lambdas/api/claimWrite.js';
import { type TableReads, tableReads } from '../lambdas/api/tableReads.js';
import type { ParticipantQuestions } from '../lambdas/recovery/participantInDoubt.js';
import type { ClaimOutcome } from '../lambdas/request/txnClaim.js';
import { type ParticipantConfig, loadParticipantConfig } from '../lambdas/config/participantConfig.js';
import { type ParticipantFunctions, localParticipantFunctions } from '../lambdas/config/participantFunctions.js';
import { type CoordinatorVariant, DEFAULT_COORDINATOR_VARIANT } from '../lambdas/config/coordinatorVariant.js';
import { type ExecutionInput, executionInput } from '../lambdas/request/executionInput.js';
import { checkParticipantAttempts } from '../lambdas/config/participantAttempts.js';
import { type CoordinatorLogItem, type TransactionView, transactionView } from '../lambdas/coordinatorLog/coordinatorLog.js';
import { type OutcomeEvent, outcomeEvent, recordOutcome, recordStarted } from '../lambdas/observability/transactionOutcome.js';
import { type TransactionRequest, type Validated, transactionIdFor, validateTransactionRequest } from '../lambdas/request/transactionRequest.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isOwnFunctionKind } from '../lambdas/participants/barrier/kind.js';
import { documentClient } from '../lambdas/participants/lambdaEntry.js';
import { statusAnswer } from '../lambdas/contract/participantProtocol.js';
import { type ParticipantHandler, participantHandler } from '../lambdas/participants/runtime.js';
import { observedParticipant } from '../lambdas/participants/observedParticipant.js';
import { raisingVoteAbort } from '../lambdas/participants/voteAbortRaised.js';
import { type ProtocolLogger, protocolLogger } from '../lambdas/observability/logger.js';
import { PrometheusRecorder } from '../lambdas/observability/prometheusRecorder.js';
import { type LocalExecution, LocalStateMachine, type LocalStateMachineOptions, type ParticipantInvoker } from './stateMachine.js';
import { type TableNames, createTables, localTableNames } from './tables.js';

/** Builds a team's own participant handler (a barrier participant, say) on the table local mode made for it. */
export type OwnParticipantFactory = (table: { name: string; tableName: string; client: DynamoDBDocumentClient }) => ParticipantHandler;

export interface LocalPakkaOptions {
  dynamo: DynamoDBClient;
  config?: ParticipantConfig;
  /**
   * Participants answered by the team's own handler instead of Pakka's runtime: the local stand-in for a
   * team's own function (`function` of the CDK participant). Each gets a prepared-state table here.
   */
  ownParticipants?: Readonly<Record<string, OwnParticipantFactory>>;
  /** Which coordinator workflow runs (the generated Standard or Express ASL). */
  variant?: CoordinatorVariant;
  /** Prefix of every table name, so several deployments (or test files) share one DynamoDB Local. */
  tablePrefix?: string;
  fastRetriesMs?: number;
  /** The fault-injection seam: wraps how the coordinator reaches a participant. */
  wrapInvoker?: (invoke: ParticipantInvoker) => ParticipantInvoker;
  beforeTask?: LocalStateMachineOptions['beforeTask'];
  /** The coordinator with the fault states (statemachines/source/faultStates.ts), for `pakka verify`. */
  faultInjection?: boolean;
  /** Where participant and coordinator metrics go; GET /metrics renders it. */
  metrics?: PrometheusRecorder;
  logger?: ProtocolLogger;
}

export interface StartedTransaction {
  txnId: string;
  executionArn: string;
  input: ExecutionInput;
  execution: LocalExecution;
  /** Settles when the execution ends; never rejects (a failed execution is left to recovery). */
  done: Promise<ExecutionOutcome>;
}

const MAX_EVENTS = 10_000;

export type ExecutionOutcome = ({ ok: true; output: unknown } | { ok: false; error: string; cause: string }) & {
  /** The coordinator log item as the execution left it. */
  logItem?: CoordinatorLogItem | undefined;
};

export class LocalPakka {
  readonly config: ParticipantConfig;
  readonly variant: CoordinatorVariant;
  readonly tables: TableNames;
  readonly participants: ReadonlyMap<string, ParticipantHandler>;
  /** Participant -> the function ARN the execution input names; the local engine maps each back to its handler. */
  readonly functions: ParticipantFunctions;
  readonly coordinator: LocalStateMachine;
  readonly metrics: PrometheusRecorder;
  /** The document client on `dynamo` that the participants write with (the conformance kit reads their items through it). */
  readonly client: DynamoDBDocumentClient;
  private readonly running = new Map<string, Promise<ExecutionOutcome>>();
  private readonly executions = new Map<string, LocalExecution>();
  /** Outcome events, newest last: what EventBridge would carry on AWS (`pakka events` reads them). */
  readonly events: OutcomeEvent[] = [];
  private readonly reported = new Set<string>();
  private readonly reads: TableReads;
  /** The API's read-only questions to participants that keep their prepared state in their own store. */
  readonly questions: ParticipantQuestions;

  constructor(private readonly options: LocalPakkaOptions) {
    this.config = options.config ?? loadParticipantConfig();
    this.variant = options.variant ?? DEFAULT_COORDINATOR_VARIANT;
    checkParticipantAttempts(this.config, this.variant);
    this.tables = localTableNames(this.config, options.tablePrefix);
    const client = documentClient(options.dynamo);
    this.client = client;
    // A participant that keeps its prepared state in its own store (a SQL participant) is asked for its status and what it holds.
    const handlerOf = (participant: string): ParticipantHandler => {
      const handler = this.participants.get(participant);
      if (!handler) throw new Error(`no participant ${participant}`);
      return handler;
    };
    this.questions = {
      status: async (participant, txnId) => statusAnswer.parse(await handlerOf(participant)({ action: 'status', txnId })),
      inDoubt: (participant, request) => handlerOf(participant)(request),
    };
    this.reads = tableReads(client, this.tables, this.config, this.questions);
    this.metrics = options.metrics ?? new PrometheusRecorder({ participants: [...this.config.keys()] });
    const logger = options.logger ?? localLogger();
    const handlers = new Map<string, ParticipantHandler>();
    const own = options.ownParticipants ?? {};
    const unknown = Object.keys(own).filter((name) => !this.config.has(name));
    if (unknown.length) throw new Error(`ownParticipants names participants the config lacks: ${unknown.join(', ')}`);
    for (const spec of this.config.values()) {
      const kind = spec.definition;
      const tableName = this.tables.participants.get(spec.name);
      if (!tableName) throw new Error(`participant ${spec.name} has no table`);
      const factory = own[spec.name];
      if (!factory && isOwnFunctionKind(kind)) {
        throw new Error(
          `participant ${spec.name}: kind '${spec.kind}' is answered by the team's own function, so ownParticipants['${spec.name}'] must give its handler`,
        );
      }
      const handler = factory
        ? factory({ name: spec.name, tableName, client })
        : participantHandler({ name: spec.name, kind, tableName, client, shardedKeys: spec.shardedKeys, holdsInItems: spec.holdsInItems });
      handlers.set(spec.name, observedParticipant(handler, { name: spec.name, metrics: this.metrics, logger }));
    }
    this.participants = handlers;
    this.functions = localParticipantFunctions(this.config);
    // What the coordinator invokes is what a deployed participant function is: a no raised as
    // Pakka.VoteAbort.<REASON>, as the Lambda entries raise it. `participants` keeps the plain handlers.
    const invokable = new Map([...handlers].map(([name, handler]) => [name, raisingVoteAbort(handler)]));
    const direct: ParticipantInvoker = (name, payload) => {
      const handler = invokable.get(name);
      if (!handler) return Promise.reject(Object.assign(new Error(`Function not found: ${name}`), { name: 'Lambda.ResourceNotFoundException' }));
      return handler(payload);
    };
    this.coordinator = new LocalStateMachine({
      substitutions: { CoordinatorLogTable: this.tables.coordinatorLog },
      variant: this.variant,
      dynamo: options.dynamo,
      participantFunctions: this.functions,
      invoke: options.wrapInvoker ? options.wrapInvoker(direct) : direct,
      ...(options.fastRetriesMs !== undefined ? { fastRetriesMs: options.fastRetriesMs } : {}),
      ...(options.beforeTask ? { beforeTask: options.beforeTask } : {}),
      ...(options.faultInjection ? { faultInjection: true } : {}),
    });
  }

  async createTables(): Promise<void> {
    await createTables(this.options.dynamo, this.tables);
  }

  validate(body: unknown): Validated<TransactionRequest> {
    return validateTransactionRequest(body, this.config, this.variant);
  }

  /** Claims the txnId for this request, as the API does before it starts anything (txnClaim.ts). */
  claim(input: ExecutionInput): Promise<ClaimOutcome> {
    return claimTransaction(this.client, this.tables.coordinatorLog, input, new Date().toISOString());
  }

  /**
   * What the API does with a validated request: claim its txnId, then start it, unless another
   * request holds the txnId (`conflict`, nothing started) or this one was decided already.
   */
  async submit(request: TransactionRequest, idempotencyKey?: string): Promise<StartedTransaction | ClaimOutcome> {
    const input = executionInput(transactionIdFor(request, idempotencyKey), request, this.config, this.functions, idempotencyKey);
    const claim = await this.claim(input);
    if (claim.kind === 'conflict' || (claim.kind === 'same' && claim.decided)) return claim;
    recordStarted(this.metrics);
    return this.run(input);
  }

  /** Starts a validated request without claiming its txnId (as a bare StartExecution would); returns at once. */
  start(request: TransactionRequest, idempotencyKey?: string, fault?: CoordinatorFault): StartedTransaction {
    const txnId = transactionIdFor(request, idempotencyKey);
    recordStarted(this.metrics);
    // The fault only does anything on a coordinator built with faultInjection (the API refuses it otherwise).
    return this.run({ ...executionInput(txnId, request, this.config, this.functions, idempotencyKey), ...(fault ? { fault } : {}) });
  }

  /**
   * Runs the same execution again beside the first (same name, ARN and input), as an asynchronous
   * Express start may: it is delivered at least once. The protocol must make the second harmless.
   */
  redeliver(started: StartedTransaction): StartedTransaction {
    return this.run(started.input, started.executionArn);
  }

  private run(input: ExecutionInput, executionArn?: string): StartedTransaction {
    const txnId = input.txnId;
    const execution = this.coordinator.start(txnId, input, executionArn);
    const done = execution.result
      .then(
        (output): ExecutionOutcome => ({ ok: true, output }),
        (error: unknown): ExecutionOutcome => ({
          ok: false,
          error: error instanceof Error ? error.name : 'Error',
          cause: error instanceof Error ? error.message : String(error),
        }),
      )
      .then(async (outcome) => {
        // One read of the log after the execution: it reports the outcome and answers runTransaction.
        // The execution counts as running until then, so drain() also waits for its report: the API
        // can see a transaction final (its participants' records) a moment before the execution ends.
        const logItem = await this.readLogItem(txnId).catch(() => undefined);
        if (logItem) this.report(logItem);
        if (this.running.get(txnId) === done) {
          this.running.delete(txnId);
          this.executions.delete(txnId);
        }
        return { ...outcome, logItem };
      });
    this.running.set(txnId, done);
    this.executions.set(txnId, execution);
    return { txnId, executionArn: execution.executionArn, input, execution, done };
  }

  /** True while an execution for this transaction runs in this process. */
  isRunning(txnId: string): boolean {
    return this.running.has(txnId);
  }

  /** The running execution of this transaction, so the fault seam can stop it where it is. */
  execution(txnId: string): LocalExecution | undefined {
    return this.executions.get(txnId);
  }

  /** Validates, runs to the end and returns the transaction as the log records it. */
  async runTransaction(body: unknown, idempotencyKey?: string): Promise<Validated<TransactionView> & { outcome?: ExecutionOutcome }> {
    const validated = this.validate(body);
    if (!validated.ok) return validated;
    const started = await this.submit(validated.value, idempotencyKey);
    if (!('done' in started)) {
      const txnId = transactionIdFor(validated.value, idempotencyKey);
      if (started.kind === 'conflict') throw new IdempotencyConflict(txnId);
      // This same request was decided before: the transaction as the log holds it, nothing run again.
      const item = await this.readLogItem(txnId);
      if (!item) throw new Error(`transaction ${txnId} was decided but its log item cannot be read`);
      return { ok: true, value: transactionView(item) };
    }
    const outcome = await started.done;
    const view = outcome.logItem && transactionView(outcome.logItem);
    if (!view) throw new Error(`transaction ${started.txnId} left no coordinator log item (${outcome.ok ? 'ok' : outcome.cause})`);
    return { ok: true, value: view, outcome };
  }

  async getTransaction(txnId: string): Promise<TransactionView | undefined> {
    const item = await this.readLogItem(txnId);
    return item && transactionView(item);
  }

  /** The transaction's log item, its status derived from the participants' records as the API shows it. */
  async readLogItem(txnId: string): Promise<CoordinatorLogItem | undefined> {
    return this.reads.readTransaction(txnId);
  }

  /**
   * Reports a transaction that has become final (by the coordinator, recovery or an operator):
   * metrics and the outcome event, once per transaction.
   */
  async reportOutcome(txnId: string): Promise<OutcomeEvent | undefined> {
    if (this.reported.has(txnId)) return undefined;
    const item = await this.readLogItem(txnId);
    return item && this.report(item);
  }

  private report(item: CoordinatorLogItem): OutcomeEvent | undefined {
    const event = outcomeEvent(item);
    if (!event || this.reported.has(item.txnId)) return undefined;
    this.reported.add(item.txnId);
    recordOutcome(this.metrics, event);
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    return event;
  }

  /** Waits for every execution this process started (tests, graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }
}

/** Another request holds the txnId (the API answers 409 IDEMPOTENCY_CONFLICT): nothing was started. */
export class IdempotencyConflict extends Error {
  override readonly name = PAKKA_ERROR.idempotencyConflict;
  constructor(readonly txnId: string) {
    super(`transaction ${txnId} already exists with a different request; nothing was started`);
  }
}

/** Locally only warnings and errors reach the terminal, unless POWERTOOLS_LOG_LEVEL asks for more. */
function localLogger(): ProtocolLogger {
  const logger = protocolLogger('pakka-local');
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('WARN');
  return logger;
}
