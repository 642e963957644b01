/**
 * The recovery sweeper: a Lambda that an EventBridge schedule runs every sweep interval (a minute). It finds
 * transactions left in doubt (open log items past their deadline whose execution has stopped, and
 * old PREPARED records) and drives the logged decision to every participant, or logs ABORT when no
 * decision was logged (presumed abort).
 */
import { HELD_ITEMS_INDEX, HELD_TIDY_ATTRIBUTES } from '../../lambdas/participants/itemIntents.js';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IN_DOUBT_INDEX } from '../../lambdas/participants/table.js';
import { DEFAULT_RECOVERY_CONFIG } from '../../lambdas/recovery/recoveryConfig.js';
import { OPEN_INDEX } from '../../lambdas/tableSchemas.js';
import type { Coordinator } from './coordinator.js';
import { PakkaFunction } from './pakkaFunction.js';
import type { ParticipantTable } from './participant.js';
import type { ParticipantDirectory } from './participantDirectory.js';
import { perParticipantStatements } from './perParticipantStatements.js';
import { grantOnParticipantIndexes } from './schemaIndexGrant.js';

export interface RecoveryParticipant {
  name: string;
  /** Its holds live in its items: recovery may tidy its table's `heldItems` keys (HELD_TIDY_CONDITIONS). */
  holdsInItems: boolean;
  function: { functionArn: string };
  table: ParticipantTable;
}

export interface RecoveryProps {
  coordinator: Coordinator;
  participants: readonly RecoveryParticipant[];
  /** Where recovery learns each participant's function and table (read once per cold start). */
  directory: ParticipantDirectory;
  timeout: Duration;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The one write recovery makes to a participant's table: taking an idle item out of `heldItems`
 * (lambdas/recovery/heldItemsTidy.ts). IAM's fine-grained access control limits it to the attributes the tidy
 * names ("Using IAM policy conditions for fine-grained access control", DynamoDB developer guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html): with
 * `ForAllValues:StringEquals` on `dynamodb:Attributes`, an UpdateItem may read, write or evaluate in its condition
 * only these, and with `StringEquals` on `dynamodb:ReturnValues` = `NONE` ("to allow only write actions ... change
 * StringEqualsIfExists to StringEquals because the ReturnValues parameter always has a value") it cannot
 * return the item's other attributes. The key and the index keys are in the list, as that page requires.
 */
export const HELD_TIDY_CONDITIONS = {
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...HELD_TIDY_ATTRIBUTES] },
  StringEquals: { 'dynamodb:ReturnValues': ['NONE'] },
};

/** What a sweep does to the coordinator log: read items, list the open index, write a decision or an outcome. */
export const RECOVERY_LOG_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

export class Recovery extends Construct {
  readonly function: IFunction;
  readonly logGroup: ILogGroup;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: RecoveryProps) {
    super(scope, id);
    const { coordinator } = props;
    const log = coordinator.coordinatorLog;
    const handler = new PakkaFunction(this, 'Handler', {
      entry: 'lambdas/recovery/awsEntry.ts',
      description: 'Pakka recovery sweeper: resolves transactions left in doubt (presumed abort)',
      environment: {
        COORDINATOR_LOG_TABLE: log.table.tableName,
        STATE_MACHINE_ARN: coordinator.stateMachine.stateMachineArn,
        COORDINATOR_VARIANT: coordinator.variant,
      },
      timeout: props.timeout,
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = handler.function;
    this.logGroup = handler.logGroup;
    const role = handler.role;
    props.directory.connect(handler);
    const openIndex = log.indexArns.get(OPEN_INDEX);
    if (!openIndex) throw new Error(`the coordinator log schema has no ${OPEN_INDEX} index`);
    role.addToPrincipalPolicy(new PolicyStatement({ actions: [...RECOVERY_LOG_ACTIONS], resources: [log.table.tableArn] }));
    // Scan: a sweep first asks whether an index holds anything (one item at most, lambdas/recovery/indexProbe.ts), then queries its shards.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:Scan'], resources: [openIndex] }));
    if (props.participants.length > 0) {
      // Old PREPARED records are found through each participant's sparse in-doubt index, and items holding a
      // prepared entry through its heldItems index (each index probed with a one-item Scan first; the items are
      // then read). The records and the items' business state are only ever changed by the participant, through
      // its own function; recovery's one write takes an idle item's keys out of heldItems, where holds live in
      // items, and its grant allows no other attribute (HELD_TIDY_CONDITIONS).
      grantOnParticipantIndexes(role, ['dynamodb:Query', 'dynamodb:Scan'], props.participants, [IN_DOUBT_INDEX, HELD_ITEMS_INDEX]);
      for (const statement of [
        ...perParticipantStatements(
          ['dynamodb:BatchGetItem'],
          props.participants.map((p) => p.table.table.tableArn),
        ),
        // Only where holds live in items: a table that keeps every hold in a record has no item to tidy.
        ...perParticipantStatements(
          ['dynamodb:UpdateItem'],
          props.participants.filter((p) => p.holdsInItems).map((p) => p.table.table.tableArn),
          HELD_TIDY_CONDITIONS,
        ),
        ...perParticipantStatements(
          ['lambda:InvokeFunction'],
          props.participants.map((p) => p.function.functionArn),
        ),
      ]) {
        role.addToPrincipalPolicy(statement);
      }
    }
    // No states:DescribeExecution: recovery acts past the deadline and grace whether or not the coordinator still runs.

    const interval = Duration.seconds(DEFAULT_RECOVERY_CONFIG.sweepIntervalSeconds);
    if (props.timeout.toSeconds() > interval.toSeconds()) throw new Error('a recovery sweep must end before the next one is scheduled');
    // Both the schedule and POST /recovery/run invoke the sweep asynchronously. Lambda would retry a
    // failed one twice, beside the sweeps scheduled meanwhile; like a missed sweep, it is left to the
    // next one, which covers the same ground.
    handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: interval });
    this.schedule = new Rule(this, 'Sweep', {
      description: 'Runs the Pakka recovery sweeper',
      schedule: Schedule.rate(interval),
      // A missed sweep is not retried: the next one covers the same ground.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: interval })],
    });
  }
}
