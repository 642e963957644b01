/**
 * A team's SQL participant as a Lambda function: built from the team's entry file
 * (`export const handler = sqlLambdaParticipant({...})`), placed in the team's VPC beside its database,
 * and reading the database's address and credentials from a Secrets Manager secret (the JSON RDS and
 * Aurora write). Give `function` to PakkaStack as the participant's own function
 * (`participantFunctions[name]`); the coordinator and recovery then invoke it like any participant.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PARTICIPANT_NAME } from '../../lambdas/config/participantConfig.js';
import { PakkaFunction } from './pakkaFunction.js';

export interface SqlParticipantFunctionProps {
  /** The participant's name in the participant config. */
  participant: string;
  /** Absolute path of the team's entry file exporting `handler`. */
  entry: string;
  /** The VPC the database is reachable in; the function gets network interfaces in its subnets. */
  vpc: IVpc;
  /** Which subnets (private, with a route to the database); the VPC's private subnets by default. */
  vpcSubnets?: SubnetSelection;
  /** Security groups the database's own security group admits; CDK makes one when none is given. */
  securityGroups?: ISecurityGroup[];
  /** The database secret (host, port, username, password, dbname); the function may read only this secret. */
  databaseSecret: ISecret;
  /** At least the participant's prepare and commit timeouts in the config. */
  timeout?: Duration;
  logRetention?: RetentionDays;
  removalPolicy?: RemovalPolicy;
}

export class SqlParticipantFunction extends Construct {
  readonly function: IFunction;
  readonly connections: PakkaFunction['function']['connections'];

  constructor(scope: Construct, id: string, props: SqlParticipantFunctionProps) {
    super(scope, id);
    if (!PARTICIPANT_NAME.test(props.participant)) {
      throw new Error(`SqlParticipantFunction: '${props.participant}' is not a participant name (lower-case letters, digits and -, 2-40 characters)`);
    }
    const handler = new PakkaFunction(this, 'Handler', {
      entry: props.entry,
      description: `Pakka SQL participant ${props.participant}`,
      environment: { PARTICIPANT_NAME: props.participant, PAKKA_DATABASE_SECRET_ARN: props.databaseSecret.secretArn },
      timeout: props.timeout ?? Duration.seconds(10),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      network: {
        vpc: props.vpc,
        ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
        ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      },
      wildcardResourceReason:
        'Lambda active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) and a function in a VPC (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, AssignPrivateIpAddresses, UnassignPrivateIpAddresses) accept no resource but "*". The secret and the logs are named.',
    });
    props.databaseSecret.grantRead(handler.role);
    // CDK gives a function in a VPC the AWS managed policy for its network interfaces.
    Validations.of(handler.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        "AWSLambdaVPCAccessExecutionRole is what Lambda needs to create and delete the function's network interfaces in the VPC; CDK attaches it to any function given a VPC.",
    });
    this.function = handler.function;
    this.connections = handler.function.connections;
  }
}
