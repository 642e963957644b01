/**
 * The participant directory as the stack deploys it: a table of its own and one item, written by a
 * custom resource (a DynamoDB PutItem at create and update), naming each participant's function and
 * table. The API and recovery read it at cold start (lambdas/config/participantDirectory.ts) instead of
 * carrying it in their environment, which Lambda limits to 4 KB in all ("Lambda quotas"): about 20
 * participants' ARNs and table names filled it. Their environment keeps only the table's name and the
 * directory's version, whatever the number of participants.
 *
 * Why an item, not an SSM parameter: a standard parameter holds 4 KB and an advanced one 8 KB, and
 * 100 participants take about 30 KB; a DynamoDB item holds 400 KB. Why not names derived from a
 * convention: a participant may be the team's own function (any ARN, in another account) or table.
 */
import { createHash } from 'node:crypto';
import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, type AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DIRECTORY_KEY, PARTICIPANT_DIRECTORY_SCHEMA } from '../../lambdas/config/participantDirectory.js';
import type { ParticipantTable } from './participant.js';
import { PakkaTable } from './pakkaTable.js';

export interface DirectoryParticipant {
  name: string;
  function: { functionArn: string };
  table: ParticipantTable;
  /** Keeps its prepared state in its own store (a SQL participant): recovery asks it (`inDoubt`) instead of reading its table. */
  asksForInDoubt: boolean;
}

export interface ParticipantDirectoryProps {
  participants: readonly DirectoryParticipant[];
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
}

/** A function that reads the directory: it gets the table's name and the version, may read the item, and starts after it is written. */
export interface DirectoryReader {
  function: LambdaFunction;
  role: IGrantable;
}

export class ParticipantDirectory extends Construct {
  readonly table: PakkaTable;
  /**
   * Changes whenever the directory does: the item carries it and so does each reader's environment,
   * so a new directory restarts every reader (a changed environment is a new function configuration)
   * and a reader never works from another deployment's directory.
   */
  readonly version: string;
  readonly writer: AwsCustomResource;

  constructor(scope: Construct, id: string, props: ParticipantDirectoryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.table = new PakkaTable(this, 'Table', { schema: PARTICIPANT_DIRECTORY_SCHEMA, removalPolicy: props.removalPolicy });
    const participantsJson = stack.toJsonString(
      Object.fromEntries(
        props.participants.map((p) => [
          p.name,
          { functionArn: p.function.functionArn, table: p.table.table.tableName, ...(p.asksForInDoubt ? { asksForInDoubt: true } : {}) },
        ]),
      ),
    );
    // The directory as CloudFormation will resolve it: which resources it names, not their deployed names.
    this.version = createHash('sha256')
      .update(JSON.stringify(stack.resolve(participantsJson)))
      .digest('hex')
      .slice(0, 16);
    const [keyName, keyValue] = Object.entries(DIRECTORY_KEY)[0] as [string, string];
    const put: AwsSdkCall = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: {
        TableName: this.table.table.tableName,
        Item: { [keyName]: { S: keyValue }, version: { S: this.version }, participantsJson: { S: participantsJson } },
      },
      physicalResourceId: PhysicalResourceId.of(`participant-directory-${keyValue}`),
    };
    const logGroup = new LogGroup(this, 'WriterLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // A role of its own, as every Pakka function has: the default one carries AWSLambdaBasicExecutionRole, which may write to any log group.
    const role = new Role(this, 'WriterRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes the participant directory at deploy time',
    });
    logGroup.grantWrite(role);
    this.writer = new AwsCustomResource(this, 'Writer', {
      resourceType: 'Custom::PakkaParticipantDirectory',
      onCreate: put,
      onUpdate: put,
      // Deleting the stack deletes (or retains) the table with its item: nothing to undo.
      policy: AwsCustomResourcePolicy.fromStatements([new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.table.table.tableArn] })]),
      // The SDK in the Lambda runtime has PutItem: no install from the network at deploy time.
      installLatestAwsSdk: false,
      logGroup,
      role,
    });
    // CDK's own provider function (one per stack, shared by every AwsCustomResource): its runtime is the
    // one the installed aws-cdk-lib builds it with, which a team's newer or older aws-cdk-lib may put
    // behind the newest Lambda runtime cdk-nag knows. It runs only during a deploy, on the role above.
    const provider = stack.node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "CDK's own AwsCustomResource provider function, which writes the participant directory at deploy time: its runtime is chosen by aws-cdk-lib, not by Pakka, and no request of a transaction ever reaches it.",
      });
    }
  }

  /** Gives `reader` the directory: its table and version in the environment, GetItem on the table, and a start after the item is written. */
  connect(reader: DirectoryReader): void {
    reader.function.addEnvironment('PARTICIPANT_DIRECTORY_TABLE', this.table.table.tableName);
    reader.function.addEnvironment('PARTICIPANT_DIRECTORY_VERSION', this.version);
    reader.role.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.table.table.tableArn] }));
    reader.function.node.addDependency(this.writer);
  }
}
