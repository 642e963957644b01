/**
 * Counts and times every DynamoDB request and every participant invocation, per transaction.
 * Requests are seen by SDK middleware on the very client handed to LocalPakka (its participant
 * handlers share that client's middleware stack), invocations by wrapping the participant invoker.
 * Each request is attributed to its transaction through AsyncLocalStorage: the benchmark starts
 * every execution inside `within(txnId)`, and the engine's promises and timers carry it along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableSchema } from '../lambdas/tableSchemas.js';
import type { ParticipantInvoker } from '../local/stateMachine.js';
import { awsWriteUnits } from './awsWriteUnits.js';
import { type AttributeMap, failedWriteUnits, isWriteOperation, itemSize, reportedUnits, reportsCapacity } from './capacity.js';
import type { CoordinatorTasks } from './coordinatorTasks.js';
import { CLAIM_CONDITION } from '../lambdas/request/txnClaim.js';

/** Who spent the txnId claim's write: the API, before the execution starts (not a Task of the ASL). */
export const CLAIM_SOURCE = 'ClaimTxnId';

export interface DynamoCall {
  txnId: string;
  /** The participant whose handler sent it; undefined for the coordinator's own Task states and the baseline. */
  participant: string | undefined;
  /** The coordinator's Task state, or `<participant>:<action>`, or `baseline`. */
  label: string;
  isDecision: boolean;
  operation: string;
  isWrite: boolean;
  start: number;
  end: number;
  ok: boolean;
  error: string | undefined;
  /** HTTP attempts the SDK made (each one a billed request on AWS). */
  attempts: number;
  writeUnits: number;
  readUnits: number;
  /** True when the units were computed from item sizes, not reported by DynamoDB. */
  unitsEstimated: boolean;
  /**
   * Write units by AWS's rules (awsWriteUnits.ts), from the items read before and after the write; only
   * while the recorder captures images (undefined otherwise, and for writes it cannot follow).
   */
  awsWriteUnits: number | undefined;
  /** Each item the write named, sized before and after and costed by AWS's rules (while capturing images). */
  awsItemWrites: AwsItemWrite[] | undefined;
}

/** One item of one write, as AWS bills it: for the units bench's breakdown by sender, table and size. */
export interface AwsItemWrite {
  table: string;
  /** The item's partition key value. */
  key: string;
  transactional: boolean;
  bytesBefore: number;
  bytesAfter: number;
  tableUnits: number;
  indexUnits: number;
  /** A write whose condition failed (AWS bills it all the same). */
  refused?: true;
}

/** What the recorder needs to count write units by AWS's rules: each table's schema and a read outside the count. */
export interface ItemImages {
  schemaOf(table: string): TableSchema | undefined;
  read(table: string, key: AttributeMap): Promise<AttributeMap | undefined>;
}

interface WrittenItem {
  table: string;
  key: AttributeMap;
  schema: TableSchema;
  transactional: boolean;
}

interface MarshalledWrite {
  TableName?: string;
  Item?: AttributeMap;
  Key?: AttributeMap;
  TransactItems?: Array<Record<string, { TableName?: string; Item?: AttributeMap; Key?: AttributeMap } | undefined>>;
}

/** The items a write names, or undefined when one of them cannot be followed (an unknown table, a batch). */
function writtenItems(operation: string, input: MarshalledWrite, schemaOf: ItemImages['schemaOf']): WrittenItem[] | undefined {
  const item = (action: { TableName?: string; Item?: AttributeMap; Key?: AttributeMap } | undefined, transactional: boolean) => {
    const schema = action?.TableName ? schemaOf(action.TableName) : undefined;
    if (!action?.TableName || !schema) return undefined;
    const key =
      action.Key ?? (action.Item?.[schema.partitionKey] ? { [schema.partitionKey]: action.Item[schema.partitionKey] as AttributeMap[string] } : undefined);
    return key ? { table: action.TableName, key, schema, transactional } : undefined;
  };
  const items =
    operation === 'TransactWriteItems'
      ? (input.TransactItems ?? []).map((t) => item(t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck, true))
      : operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem'
        ? [item(input, false)]
        : [undefined];
  return items.every((i) => i !== undefined) ? (items as WrittenItem[]) : undefined;
}

export interface Invocation {
  txnId: string;
  participant: string;
  action: string;
  start: number;
  end: number;
  ok: boolean;
}

interface Scope {
  txnId: string;
  participant?: string;
  action?: string;
  baseline?: boolean;
}

interface RequestInput {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, Record<string, unknown>>;
  Item?: AttributeMap;
  Key?: AttributeMap;
}

interface ServiceFailure {
  name?: string;
  Item?: AttributeMap;
  CancellationReasons?: Array<{ Item?: AttributeMap }>;
  $metadata?: { attempts?: number };
}

const MARSHALLED_INPUT = Symbol('marshalledInput');
const AWS_ITEM_WRITES = Symbol('awsItemWrites');

export class Recorder {
  private readonly scope = new AsyncLocalStorage<Scope>();
  private readonly calls = new Map<string, DynamoCall[]>();
  private readonly invocations = new Map<string, Invocation[]>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  /** Requests made outside any transaction (setup, reading results): never counted. */
  unattributed = 0;

  /** While true (and images were given), every counted write also reads its items before and after. */
  capturing = false;

  constructor(
    private readonly tasks: CoordinatorTasks,
    private readonly images?: ItemImages,
  ) {}

  /** Runs `work` as part of transaction `txnId`: every request and invocation it causes is counted for it. */
  within<T>(txnId: string, work: () => T, options: { baseline?: boolean } = {}): T {
    return this.scope.run({ txnId, ...(options.baseline ? { baseline: true } : {}) }, work);
  }

  /** Runs `work` outside any transaction (seeding, reading back the outcome). */
  outside<T>(work: () => T): T {
    return this.scope.exit(work);
  }

  instrument(client: DynamoDBClient): DynamoDBClient {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const scope = this.scope.getStore();
        const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
        if (!scope) {
          this.unattributed++;
          return next(args);
        }
        const input = reportsCapacity(operation) ? { ...(args.input as object), ReturnConsumedCapacity: 'INDEXES' } : args.input;
        this.begin();
        const start = performance.now();
        try {
          const result = await next({ ...args, input });
          const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[]; $metadata?: { attempts?: number } };
          const units = reportedUnits(operation, output.ConsumedCapacity);
          this.record(scope, operation, args.input as RequestInput, start, {
            ok: true,
            error: undefined,
            attempts: output.$metadata?.attempts ?? 1,
            writeUnits: units?.write ?? 0,
            readUnits: units?.read ?? 0,
            unitsEstimated: false,
            ...awsUnitsOf((context as Record<symbol, unknown>)[AWS_ITEM_WRITES] as AwsItemWrite[] | undefined),
          });
          return result;
        } catch (error) {
          const failure = (error ?? {}) as ServiceFailure;
          const marshalled = (context as Record<symbol, unknown>)[MARSHALLED_INPUT] as Parameters<typeof failedWriteUnits>[1] | undefined;
          const existing = failure.CancellationReasons?.map((r) => r.Item) ?? [failure.Item];
          const writeUnits = marshalled && isWriteOperation(operation) ? failedWriteUnits(operation, marshalled, existing) : 0;
          const refused =
            this.capturing && marshalled && this.images ? writtenItems(operation, marshalled as MarshalledWrite, this.images.schemaOf) : undefined;
          this.record(scope, operation, args.input as RequestInput, start, {
            ok: false,
            error: failure.name ?? 'Error',
            attempts: failure.$metadata?.attempts ?? 1,
            writeUnits,
            readUnits: 0,
            unitsEstimated: writeUnits > 0,
            // failedWriteUnits already counts by AWS's rules; a write the conflict model refused never left.
            awsWriteUnits: this.capturing ? writeUnits : undefined,
            // A refused write changes nothing: billed on the item as it was, which the failure carries back.
            awsItemWrites: refused?.length === 1 ? [refusedWrite(refused[0]!, existing[0], writeUnits)] : undefined,
          });
          throw error;
        } finally {
          this.finish();
        }
      },
      { step: 'initialize', name: 'pakkaBenchRecorder', priority: 'high' },
    );
    // After serialization the input is in DynamoDB's wire form, which is what item sizes are counted on.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        (context as Record<symbol, unknown>)[MARSHALLED_INPUT] = args.input;
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        const images = this.images;
        const written = this.capturing && images && this.scope.getStore() ? writtenItems(operation, args.input as MarshalledWrite, images.schemaOf) : undefined;
        if (!images || !written) return next(args);
        const before = await Promise.all(written.map((w) => images.read(w.table, w.key)));
        const result = await next(args);
        const after = await Promise.all(written.map((w) => images.read(w.table, w.key)));
        (context as Record<symbol, unknown>)[AWS_ITEM_WRITES] = written.map((w, i): AwsItemWrite => {
          const units = awsWriteUnits({ before: before[i], after: after[i], transactional: w.transactional }, w.schema);
          return {
            table: w.table,
            key: Object.values(w.key)[0]?.S ?? '',
            transactional: w.transactional,
            bytesBefore: itemSize(before[i]),
            bytesAfter: itemSize(after[i]),
            tableUnits: units.table,
            indexUnits: units.indexes,
          };
        });
        return result;
      },
      { step: 'build', name: 'pakkaBenchMarshalledInput' },
    );
    return client;
  }

  /** Wraps how the coordinator reaches a participant (LocalPakka's wrapInvoker seam). */
  wrapInvoker = (invoke: ParticipantInvoker): ParticipantInvoker => {
    return (name, payload) => {
      const outer = this.scope.getStore();
      if (!outer) return invoke(name, payload);
      const action = typeof payload === 'object' && payload !== null && 'action' in payload ? String(payload.action) : 'unknown';
      return this.scope.run({ txnId: outer.txnId, participant: name, action }, async () => {
        this.begin();
        const start = performance.now();
        let ok = false;
        try {
          const answer = await invoke(name, payload);
          ok = true;
          return answer;
        } finally {
          this.push(this.invocations, outer.txnId, { txnId: outer.txnId, participant: name, action, start, end: performance.now(), ok });
          this.finish();
        }
      });
    };
  };

  private record(
    scope: Scope,
    operation: string,
    input: RequestInput,
    start: number,
    outcome: Pick<DynamoCall, 'ok' | 'error' | 'attempts' | 'writeUnits' | 'readUnits' | 'unitsEstimated' | 'awsWriteUnits' | 'awsItemWrites'>,
  ): void {
    const task =
      scope.participant || scope.baseline
        ? undefined
        : this.tasks.identify({
            operation,
            updateExpression: input.UpdateExpression,
            conditionExpression: input.ConditionExpression,
            values: input.ExpressionAttributeValues,
          });
    const label = scope.baseline
      ? 'baseline'
      : scope.participant
        ? `${scope.participant}:${scope.action ?? 'unknown'}`
        : (task?.state ?? (input.ConditionExpression === CLAIM_CONDITION ? CLAIM_SOURCE : `coordinator:${operation}`));
    this.push(this.calls, scope.txnId, {
      txnId: scope.txnId,
      participant: scope.participant,
      label,
      // A one-phase commit is decided by its participant's own write.
      isDecision: task?.isDecision ?? (scope.action === 'commitOnePhase' && isWriteOperation(operation)),
      operation,
      isWrite: isWriteOperation(operation),
      start,
      end: performance.now(),
      ...outcome,
    });
  }

  private begin(): void {
    this.inFlight++;
  }

  private finish(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private push<T>(into: Map<string, T[]>, txnId: string, entry: T): void {
    const list = into.get(txnId);
    if (list) list.push(entry);
    else into.set(txnId, [entry]);
  }

  /** Resolves once no counted request or invocation is in flight (late ones of a finished execution included). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Hands over and forgets what was recorded for one transaction. */
  take(txnId: string): { calls: DynamoCall[]; invocations: Invocation[] } {
    const taken = { calls: this.calls.get(txnId) ?? [], invocations: this.invocations.get(txnId) ?? [] };
    this.calls.delete(txnId);
    this.invocations.delete(txnId);
    return taken;
  }
}

function awsUnitsOf(items: AwsItemWrite[] | undefined): Pick<DynamoCall, 'awsWriteUnits' | 'awsItemWrites'> {
  return { awsWriteUnits: items?.reduce((sum, i) => sum + i.tableUnits + i.indexUnits, 0), awsItemWrites: items };
}

function refusedWrite(written: WrittenItem, existing: AttributeMap | undefined, units: number): AwsItemWrite {
  const bytes = itemSize(existing);
  return {
    table: written.table,
    key: Object.values(written.key)[0]?.S ?? '',
    transactional: written.transactional,
    bytesBefore: bytes,
    bytesAfter: bytes,
    tableUnits: units,
    indexUnits: 0,
    refused: true,
  };
}
