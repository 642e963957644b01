/**
 * One participant: its Lambda (the handler of its kind) and its own DynamoDB table, which only
 * that Lambda may touch. The function name is the coordinator's prefix plus the participant's
 * name, because the state machine computes the ARN it invokes that way.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ParticipantSpec } from '../../lambdas/config/participantConfig.js';
import { BUILT_IN_KINDS } from '../../lambdas/participants/kinds/index.js';
import { PARTICIPANT_TABLE_SCHEMA } from '../../lambdas/tableSchemas.js';
import { PakkaFunction } from './pakkaFunction.js';
import { PakkaTable } from './pakkaTable.js';

/** What a participant does to its own table: prepare, commit and abort are TransactWriteItems of these, status is a GetItem. */
/**
 * The PARTICIPANT_TABLES environment value (JSON: participant name -> table name) of the functions
 * that read participant tables directly: the API and the recovery sweeper.
 */
export function participantTablesJson(scope: Construct, participants: ReadonlyArray<{ name: string; table: PakkaTable }>): string {
  return Stack.of(scope).toJsonString(Object.fromEntries(participants.map((p) => [p.name, p.table.table.tableName])));
}

export const PARTICIPANT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;

export interface ParticipantProps {
  spec: ParticipantSpec;
  /** Prepended to the participant's name to give the function's name. */
  functionNamePrefix: string;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  /**
   * The Lambda entry file (absolute path, exporting `handler`) of a kind that is not one of Pakka's
   * own: typically `export const handler = lambdaParticipant(myKind)`. Pakka's own kinds have theirs.
   */
  entry?: string;
}

/** Pakka's entry for one of its own kinds; only the registered definition itself counts, not a team's kind that reuses the name. */
function builtInEntry(spec: ParticipantSpec): string | undefined {
  return BUILT_IN_KINDS.get(spec.kind) === spec.definition ? `lambdas/participants/entries/${spec.kind}.ts` : undefined;
}

export class Participant extends Construct {
  readonly name: string;
  readonly functionName: string;
  readonly function: IFunction;
  readonly table: PakkaTable;

  constructor(scope: Construct, id: string, props: ParticipantProps) {
    super(scope, id);
    const { spec } = props;
    this.name = spec.name;
    this.functionName = `${props.functionNamePrefix}${spec.name}`;
    if (this.functionName.length > 64) throw new Error(`participant ${spec.name}: function name ${this.functionName} is longer than Lambda's 64 characters`);
    this.table = new PakkaTable(this, 'Table', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: props.removalPolicy });
    const entry = props.entry ?? builtInEntry(spec);
    if (!entry) {
      throw new Error(`participant ${spec.name}: kind '${spec.kind}' is not one of Pakka's own, so its Lambda entry must be given (participantEntries['${spec.kind}'])`);
    }
    const handler = new PakkaFunction(this, 'Handler', {
      entry,
      functionName: this.functionName,
      description: `Pakka participant ${spec.name} (${spec.kind})${spec.description ? `: ${spec.description}` : ''}`.slice(0, 256),
      environment: {
        TABLE_NAME: this.table.table.tableName,
        PARTICIPANT_NAME: spec.name,
        ...(spec.shardedKeys.size ? { SHARDED_KEYS: JSON.stringify(Object.fromEntries(spec.shardedKeys)) } : {}),
      },
      // The coordinator stops waiting after the prepare or commit timeout; the function need not outlive it.
      timeout: Duration.seconds(Math.max(spec.prepareTimeoutSeconds, spec.commitTimeoutSeconds)),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // A debit of a sharded key reads its shards in one BatchGetItem to split itself; nobody else batches.
    const actions = [...PARTICIPANT_TABLE_ACTIONS, ...(spec.shardedKeys.size ? ['dynamodb:BatchGetItem'] : [])];
    handler.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.table.table.tableArn] }));
    this.function = handler.function;
  }
}
