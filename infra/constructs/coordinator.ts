/**
 * The coordinator: a Step Functions workflow (Express or Standard, chosen at deploy time) defined by
 * the very ASL file local mode runs, and the coordinator log table it writes. Each execution input
 * names the function of every participant (the API builds it from the participant directory); the state
 * machine may invoke only the configured participant functions and may only put, update and get items of the
 * coordinator log.
 */
import { ArnFormat, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnTable, StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type CoordinatorVariant, DEFAULT_COORDINATOR_VARIANT } from '../../lambdas/config/coordinatorVariant.js';
import { COORDINATOR_LOG_SCHEMA } from '../../lambdas/tableSchemas.js';
import { faultInjectedAsl } from '../../statemachines/source/faultStates.js';
import { aslPath } from '../../statemachines/source/files.js';
import { PakkaTable } from './pakkaTable.js';
import { checkDistinctFunctions } from './participant.js';
import { perParticipantStatements } from './perParticipantStatements.js';

/** What the state machine's DynamoDB tasks do to the coordinator log (Log*Decision, CommitReadOnly, the phase-2 notes, ReadLoggedDecision). */
export const COORDINATOR_LOG_WRITER_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:GetItem'] as const;

export interface CoordinatorParticipant {
  name: string;
  function: { functionArn: string };
}

export interface CoordinatorProps {
  stateMachineName: string;
  /**
   * Which workflow runs the protocol (default express): Express is billed per request and duration
   * and has no per-account state-transition quota to share, but lasts at most five minutes and is
   * started at least once; Standard is billed per state transition and keeps each execution's history.
   */
  variant?: CoordinatorVariant;
  /** The functions the state machine may invoke: exactly these, whatever their names or accounts. */
  participants: readonly CoordinatorParticipant[];
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  logLevel: 'ALL' | 'ERROR';
  /**
   * Build the workflow with the fault states (statemachines/source/faultStates.ts), so an execution
   * whose input asks for it stops after prepare: for `pakka verify` in a sandbox. Default off.
   */
  faultInjection?: boolean;
}

export class Coordinator extends Construct {
  readonly variant: CoordinatorVariant;
  /** The workflow holds the fault states; the API is then told to honour the Pakka-Fault header. */
  readonly faultInjection: boolean;
  readonly stateMachine: StateMachine;
  readonly coordinatorLog: PakkaTable;
  /**
   * The coordinator log's change stream (new and old images): every writer (state machine, recovery,
   * operator) goes through the log, so the outcome reporter reads every start and outcome there.
   */
  readonly coordinatorLogStreamArn: string;
  /** Where Step Functions writes the execution history events (one execution per transaction, named by its txnId). */
  readonly executionLogs: LogGroup;
  /** Every execution of this state machine (execution ARNs are only known once started). */
  readonly executionArns: string;
  /** `executionArns` as cdk-nag prints it in a finding id (pseudo parameters in angle brackets). */
  readonly executionArnsAsNagSees: string;

  constructor(scope: Construct, id: string, props: CoordinatorProps) {
    super(scope, id);
    this.variant = props.variant ?? DEFAULT_COORDINATOR_VARIANT;
    this.faultInjection = props.faultInjection === true;
    checkDistinctFunctions(props.participants);
    const stack = Stack.of(this);
    this.coordinatorLog = new PakkaTable(this, 'CoordinatorLog', { schema: COORDINATOR_LOG_SCHEMA, removalPolicy: props.removalPolicy });
    const cfnLog = this.coordinatorLog.table.node.defaultChild as CfnTable;
    cfnLog.streamSpecification = { streamViewType: StreamViewType.NEW_AND_OLD_IMAGES };
    this.coordinatorLogStreamArn = cfnLog.attrStreamArn;

    // Under /aws/vendedlogs/: the prefix AWS asks for logs that services deliver, which keeps the
    // log group's resource policy (Step Functions writes through CloudWatch Logs delivery) within its size limit.
    const logGroup = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.executionLogs = logGroup;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: this.variant === 'express' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      definitionBody: this.faultInjection ? DefinitionBody.fromString(faultInjectedAsl(this.variant)) : DefinitionBody.fromFile(aslPath(this.variant)),
      definitionSubstitutions: {
        CoordinatorLogTable: this.coordinatorLog.table.tableName,
      },
      // Execution data holds the business operations; it stays out of the logs unless asked for.
      logs: { destination: logGroup, level: props.logLevel === 'ALL' ? LogLevel.ALL : LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
      // The state machine holds no data the coordinator log lacks, and a retained one would block redeploying its name.
    });
    if (props.logLevel === 'ERROR') {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'The deployer chose pakka:stateMachineLogLevel=ERROR to cut CloudWatch Logs cost: failed states are still logged, every execution keeps its full event history in Step Functions, and each transaction its coordinator log item.',
      });
    }
    if (props.participants.length > 0) {
      for (const statement of perParticipantStatements(
        ['lambda:InvokeFunction'],
        props.participants.map((p) => p.function.functionArn),
      )) {
        this.stateMachine.addToRolePolicy(statement);
      }
    }
    this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: [...COORDINATOR_LOG_WRITER_ACTIONS], resources: [this.coordinatorLog.table.tableArn] }));
    this.executionArns = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionArnsAsNagSees = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.stateMachineName}:*`;

    const defaultPolicy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the statements CDK adds for logging and tracing: CloudWatch Logs log delivery (logs:CreateLogDelivery, ...) and X-Ray (xray:PutTraceSegments, ...) accept no resource but "*". Lambda and DynamoDB access names each function and the table.',
      });
    }
  }

  /** Lets `grantee` start executions of this state machine (the API): on Express also synchronously, for `?wait=true`. */
  grantStart(grantee: IGrantable): void {
    const actions = this.variant === 'express' ? ['states:StartExecution', 'states:StartSyncExecution'] : ['states:StartExecution'];
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.stateMachine.stateMachineArn] }));
  }

  /**
   * Lets `grantee` describe executions of this state machine, and of no other (the API).
   * Express executions cannot be described: nothing is granted and false comes back.
   */
  grantDescribeExecutions(grantee: IGrantable): boolean {
    if (this.variant === 'express') return false;
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [this.executionArns] }));
    return true;
  }
}
