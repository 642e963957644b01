/**
 * AWS's transaction-conflict rules (transactionConflicts.ts) on a local DynamoDB client, as an SDK
 * middleware: a request that AWS would reject is answered here, before it reaches DynamoDB Local, with
 * the error the SDK raises for AWS's answer. On by default wherever Pakka runs against DynamoDB Local
 * (`npm start`, the tests, the benchmark, the chaos runs); PAKKA_AWS_CONFLICT_RULES=off or
 * `npm start -- --no-conflict-rules` turns it off.
 *
 * The middleware sits in the build step: after the document client has marshalled the input (so keys
 * are AttributeValues) and above the SDK's retry middleware, so the SDK never retries a modelled
 * conflict, as it does not retry AWS's (test/local/conflictRules.test.ts checks both).
 */
import {
  type CancellationReason,
  DescribeTableCommand,
  type DynamoDBClient,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { BuildHandler, BuildHandlerArguments, BuildHandlerOutput, HandlerExecutionContext, MetadataBearer } from '@smithy/types';
import { z } from 'zod';
import { type ConflictClock, ItemsInFlight, itemRequest, tablesWithPuts, timerClock } from './transactionConflicts.js';

export interface ConflictRules {
  enabled: boolean;
  /**
   * How long an item stays "in a transaction" after its TransactWriteItems is answered: a stand-in for
   * AWS's transaction coordinator holding the item longer than DynamoDB Local does. AWS documents no such
   * time, and TransactWriteItems is synchronous: its answer comes once the transaction is done, so a
   * client's own next write to the item meets no transaction on AWS. A margin above 0 would make exactly
   * that write conflict (a participant's commit right after its prepare, a worker's next transaction on
   * its items), which AWS does not do; so the default is 0 and the window is the one the client sees, from
   * send to answer, which locally also holds the queueing of a busy process. A margin above 0 (10 ms, say:
   * two intra-Region round trips) is for exploring how sensitive a workload is to a slower coordinator.
   */
  marginMs: number;
}

export const DEFAULT_CONFLICT_RULES: ConflictRules = { enabled: true, marginMs: 0 };

const fromEnvironment = z.object({
  PAKKA_AWS_CONFLICT_RULES: z.enum(['on', 'off']).optional(),
  PAKKA_AWS_CONFLICT_MARGIN_MS: z.coerce.number().int().min(0).max(10_000).optional(),
});

/** The defaults, overridden by PAKKA_AWS_CONFLICT_RULES (on|off) and PAKKA_AWS_CONFLICT_MARGIN_MS; a bad value throws. */
export function conflictRulesFromEnv(env: Record<string, string | undefined> = process.env): ConflictRules {
  const parsed = fromEnvironment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`AWS conflict rules: ${issue?.path.join('.') ?? 'environment'} ${issue?.message ?? 'is invalid'}`);
  }
  return {
    enabled: (parsed.data.PAKKA_AWS_CONFLICT_RULES ?? 'on') === 'on',
    marginMs: parsed.data.PAKKA_AWS_CONFLICT_MARGIN_MS ?? DEFAULT_CONFLICT_RULES.marginMs,
  };
}

/** One ledger of items in flight per endpoint: every client of this process on one DynamoDB Local shares it. */
const ledgers = new Map<string, { inFlight: ItemsInFlight; keySchemas: Map<string, Promise<readonly string[] | undefined>> }>();

/** The items in flight on an endpoint, and the conflicts raised there so far (the benchmark reports them). */
export function itemsInFlight(ledgerName: string): ItemsInFlight | undefined {
  return ledgers.get(ledgerName)?.inFlight;
}

const CONFLICT_MESSAGE = 'Transaction is ongoing for the item';
const metadata = () => ({ httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 });

/** The errors as the SDK builds them from AWS's answer (same classes, fields and message form). */
export function transactionCanceled(conflicts: readonly boolean[]): TransactionCanceledException {
  const reasons: CancellationReason[] = conflicts.map((c) => (c ? { Code: 'TransactionConflict', Message: CONFLICT_MESSAGE } : { Code: 'None' }));
  const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`;
  return new TransactionCanceledException({ message, Message: message, CancellationReasons: reasons, $metadata: metadata() });
}

export function transactionConflict(): TransactionConflictException {
  return new TransactionConflictException({ message: CONFLICT_MESSAGE, $metadata: metadata() });
}

/**
 * Adds the rules to a client. Clients that give one `ledger` (the DynamoDB endpoint) share the items in
 * flight, made with the first one's margin and clock; `clock` lets a test release items without waiting.
 */
export function applyConflictRules(client: DynamoDBClient, ledgerName: string, rules: ConflictRules, clock: ConflictClock = timerClock): void {
  if (!rules.enabled) return;
  let ledger = ledgers.get(ledgerName);
  if (!ledger) {
    ledger = { inFlight: new ItemsInFlight(rules.marginMs, clock), keySchemas: new Map() };
    ledgers.set(ledgerName, ledger);
  }
  const { inFlight, keySchemas } = ledger;
  const describe = (table: string) => {
    let schema = keySchemas.get(table);
    if (!schema) {
      schema = client.send(new DescribeTableCommand({ TableName: table })).then(
        (out) => out.Table?.KeySchema?.flatMap((k) => (k.AttributeName ? [k.AttributeName] : [])),
        () => {
          keySchemas.delete(table); // not there yet: ask again next time
          return undefined;
        },
      );
      keySchemas.set(table, schema);
    }
    return schema;
  };
  client.middlewareStack.add(
    <Output extends MetadataBearer>(next: BuildHandler<object, Output>, context: HandlerExecutionContext) =>
      async (args: BuildHandlerArguments<object>): Promise<BuildHandlerOutput<Output>> => {
        const command = context.commandName ?? '';
        const tables = tablesWithPuts(command, args.input);
        const known = new Map<string, readonly string[] | undefined>();
        for (const table of new Set(tables)) known.set(table, await describe(table));
        // From here to next() nothing awaits: the check and the record are one step.
        const admission = inFlight.admit(itemRequest(command, args.input, (table) => known.get(table)));
        if (!admission.admitted) throw admission.error === 'TransactionConflictException' ? transactionConflict() : transactionCanceled(admission.conflicts);
        try {
          return await next(args);
        } finally {
          admission.done();
        }
      },
    { step: 'build', priority: 'high', name: 'pakkaAwsConflictRules', override: true },
  );
}
