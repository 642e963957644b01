/**
 * One participant: its Lambda function and its own DynamoDB table, which only that function may touch.
 * Either may be the team's: Pakka builds the function from Pakka's entry for its own kinds or from the
 * team's entry file, or takes an existing function (an IFunction or an ARN, in this account or another)
 * and grants nothing inside it; it creates the table or takes an existing one that has the
 * prepared-state schema. The coordinator and recovery invoke `function.functionArn`, whatever its name.
 */
import { Duration, type RemovalPolicy, Token } from 'aws-cdk-lib';
import { type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ParticipantSpec, keepsPreparedStateItself } from '../../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS } from '../../lambdas/participants/kinds/index.js';
import { isOwnFunctionKind } from '../../lambdas/participants/barrier/kind.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { HOLDS_IN_ITEMS_BY_DEFAULT } from '../../lambdas/participants/holdLayout.js';
import { HELD_ITEMS_INDEX } from '../../lambdas/participants/itemIntents.js';
import { FUNCTION_ARN } from '../../lambdas/config/participantFunctions.js';
import { PakkaFunction } from './pakkaFunction.js';
import { PakkaTable } from './pakkaTable.js';

/** A participant's prepared-state table as the other constructs use it: Pakka's own or the team's. */
export interface ParticipantTable {
  readonly table: ITable;
  /** The ARNs of the table's indexes by name (the in-doubt index recovery queries). */
  readonly indexArns: ReadonlyMap<string, string>;
  /**
   * `<table ARN>/index/*`, only on a table Pakka built: its indexes are exactly PARTICIPANT_TABLE_SCHEMA's. A
   * team's table may have indexes of its own that no Pakka role may read, so it has none, and grants name its
   * indexes one by one.
   */
  readonly everyIndexArn?: string;
}

/** A function that answers for two participants could not tell them apart: the protocol's messages carry no participant name. */
export function checkDistinctFunctions(participants: ReadonlyArray<{ name: string; function: { functionArn: string } }>): void {
  const seen = new Map<string, string>();
  for (const p of participants) {
    // One construct's ARN is one token string, so a function handed in twice is caught before it resolves.
    const arn = p.function.functionArn;
    const other = seen.get(arn);
    if (other)
      throw new Error(`participants ${other} and ${p.name} name the same function${Token.isUnresolved(arn) ? '' : ` ${arn}`}; each participant needs its own`);
    seen.set(arn, p.name);
  }
}

/** What a participant does to its own table: prepare, commit and abort are TransactWriteItems of these, status is a GetItem. */

export const PARTICIPANT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

export interface ParticipantProps {
  spec: ParticipantSpec;
  /** Prepended to the participant's name to name the function Pakka builds (not an existing one). */
  functionNamePrefix: string;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  /**
   * The Lambda entry file (absolute path, exporting `handler`) of a kind that is not one of Pakka's
   * own: typically `export const handler = lambdaParticipant(myKind)`. Pakka's own kinds have theirs.
   */
  entry?: string;
  /**
   * The team's own function (or its ARN, in this account or another) that answers the participant
   * protocol instead of one Pakka builds. Pakka grants nothing inside it (its table access, its
   * environment are the team's) and only lets the coordinator and recovery invoke it.
   */
  function?: IFunction | string;
  /**
   * An existing table for the prepared-state records instead of one Pakka creates. It must have the
   * schema of PARTICIPANT_TABLE_SCHEMA: partition key `pk` (string) and the sparse global secondary
   * index `inDoubt` (partition `inDoubtPartition`, sort `inDoubtSince`, both strings, projecting
   * `txnId`), which recovery queries. A `Table` of this app is checked; an imported one is trusted.
   * A function Pakka builds is granted access to it.
   */
  table?: ITable;
}

/** Pakka's entry for one of its own kinds; only the registered definition itself counts, not a team's kind that reuses the name. */
function builtInEntry(spec: ParticipantSpec): string | undefined {
  return BUILT_IN_KINDS.get(spec.kind) === spec.definition ? `lambdas/participants/entries/${spec.kind}.ts` : undefined;
}

/**
 * The function's own timeout: a second under the longest task timeout that waits for it, so the
 * function is stopped before the coordinator stops waiting. Its timeout then arrives as Sandbox.Timedout,
 * which the Prepare task counts as a TIMEOUT like its own States.Timeout (with equal timeouts the two
 * raced, and the function's won as an ERROR).
 */
export const participantFunctionTimeoutSeconds = (spec: { prepareTimeoutSeconds: number; commitTimeoutSeconds: number }): number =>
  Math.max(1, Math.max(spec.prepareTimeoutSeconds, spec.commitTimeoutSeconds) - 1);

export class Participant extends Construct {
  readonly name: string;
  /** Its holds live in its items (holdLayout.ts), so its table's items enter `heldItems` and recovery tidies them. */
  readonly holdsInItems: boolean;
  /** The function the coordinator and recovery invoke; its ARN goes into every execution input. */
  readonly function: IFunction;
  readonly table: ParticipantTable;
  /** True when the function is the team's own (Pakka built nothing and granted nothing inside it). */
  readonly ownFunction: boolean;
  /** True when it keeps its prepared state in its own store (a SQL participant): recovery asks it what it holds (`inDoubt`). */
  readonly asksForInDoubt: boolean;

  constructor(scope: Construct, id: string, props: ParticipantProps) {
    super(scope, id);
    const { spec } = props;
    this.name = spec.name;
    this.holdsInItems = spec.holdsInItems;
    this.asksForInDoubt = keepsPreparedStateItself(spec);
    this.table = props.table
      ? existingTable(spec.name, props.table, spec.holdsInItems)
      : new PakkaTable(this, 'Table', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: props.removalPolicy });
    if (props.function !== undefined) {
      if (props.entry) throw new Error(`participant ${spec.name}: give its own function or an entry for Pakka to build one, not both`);
      this.ownFunction = true;
      this.function = typeof props.function === 'string' ? importedFunction(this, spec.name, props.function) : props.function;
      return;
    }
    this.ownFunction = false;
    const functionName = `${props.functionNamePrefix}${spec.name}`;
    if (functionName.length > 64) throw new Error(`participant ${spec.name}: function name ${functionName} is longer than Lambda's 64 characters`);
    const entry = props.entry ?? builtInEntry(spec);
    if (!entry) {
      const why = isOwnFunctionKind(spec.definition) ? "is answered by the team's own code" : "is not one of Pakka's own";
      throw new Error(
        `participant ${spec.name}: kind '${spec.kind}' ${why}, so give its function (participantFunctions['${spec.name}']) or its Lambda entry (kindEntries['${spec.kind}'])`,
      );
    }
    const handler = new PakkaFunction(this, 'Handler', {
      entry,
      functionName,
      description: `Pakka participant ${spec.name} (${spec.kind})${spec.description ? `: ${spec.description}` : ''}`.slice(0, 256),
      environment: {
        TABLE_NAME: this.table.table.tableName,
        PARTICIPANT_NAME: spec.name,
        ...(spec.shardedKeys.size ? { SHARDED_KEYS: JSON.stringify(Object.fromEntries(spec.shardedKeys)) } : {}),
        // Written only where the config differs from the default, which a function without it follows (lambdaEntry.ts).
        ...(spec.holdsInItems === HOLDS_IN_ITEMS_BY_DEFAULT ? {} : { HOLDS_IN_ITEMS: String(spec.holdsInItems) }),
      },
      timeout: Duration.seconds(participantFunctionTimeoutSeconds(spec)),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // A debit of a sharded key reads its shards in one BatchGetItem to split itself; nobody else batches.
    const actions = [...PARTICIPANT_TABLE_ACTIONS, ...(spec.shardedKeys.size ? ['dynamodb:BatchGetItem'] : [])];
    handler.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.table.table.tableArn] }));
    // A status or an abort that carries no operations and finds no record looks for a hold that lives in its
    // item through the table's own heldItems index (participants/heldItemsIndex.ts); nothing else is queried.
    handler.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.table.tableArn}/index/${HELD_ITEMS_INDEX}`] }),
    );
    this.function = handler.function;
  }
}

/** An existing function by ARN; `sameEnvironment: false` keeps CDK from adding permissions to it, which only its owner may. */
function importedFunction(scope: Construct, participant: string, functionArn: string): IFunction {
  if (!Token.isUnresolved(functionArn) && !FUNCTION_ARN.test(functionArn)) {
    throw new Error(`participant ${participant}: '${functionArn}' is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])`);
  }
  return LambdaFunction.fromFunctionAttributes(scope, 'Function', { functionArn, sameEnvironment: false, skipPermissions: true });
}

/** Checks what can be checked of a team's table: a `Table` defined in this app knows its keys and indexes. */
function existingTable(participant: string, table: ITable, holdsInItems: boolean): ParticipantTable {
  if (table instanceof Table) {
    const fail = (rule: string) => {
      throw new Error(`participant ${participant}: table ${table.node.path} ${rule}; a participant's table needs the schema of PARTICIPANT_TABLE_SCHEMA`);
    };
    const schema = table.schema();
    if (schema.partitionKey?.name !== PARTICIPANT_TABLE_SCHEMA.partitionKey || schema.partitionKey.type !== 'S' || schema.sortKey) {
      fail(`must have the string partition key '${PARTICIPANT_TABLE_SCHEMA.partitionKey}' and no sort key`);
    }
    // heldItems is where recovery finds holds that live in their items; a participant that opts out
    // (`holdsInItems: false`) keeps every hold in a record, so its table may lack it.
    for (const wanted of PARTICIPANT_TABLE_SCHEMA.indexes.filter((index) => holdsInItems || index.indexName !== HELD_ITEMS_INDEX)) {
      let index: ReturnType<Table['schema']> | undefined;
      try {
        index = table.schema(wanted.indexName);
      } catch {
        index = undefined;
      }
      if (
        !index ||
        index.partitionKey?.name !== wanted.partitionKey ||
        index.partitionKey.type !== 'S' ||
        index.sortKey?.name !== wanted.sortKey ||
        index.sortKey.type !== 'S'
      ) {
        const why =
          wanted.indexName === HELD_ITEMS_INDEX
            ? `which recovery queries for holds that live in their items (add it, or set "holdsInItems": false in the participant's config entry to keep every hold in a record)`
            : 'which recovery queries for in-doubt records';
        fail(`must have the global secondary index '${wanted.indexName}' (partition '${wanted.partitionKey}', sort '${wanted.sortKey}', both strings), ${why}`);
      }
    }
  }
  return { table, indexArns: new Map(PARTICIPANT_TABLE_SCHEMA.indexes.map((index) => [index.indexName, `${table.tableArn}/index/${index.indexName}`])) };
}
