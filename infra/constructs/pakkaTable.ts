/**
 * A DynamoDB table built from one of the schemas in `lambdas/tableSchemas.ts`, the same schemas
 * local mode creates its tables from, so the deployed and the local tables cannot drift.
 *
 * Encryption uses the AWS managed key (`aws/dynamodb`): every use of it shows in CloudTrail, it
 * costs no monthly key fee, and no key policy or KMS grant has to be kept in step with the roles
 * (Step Functions writes the coordinator log directly). Access control stays with IAM, which is
 * where the least-privilege policies of each function live. Pass `encryptionKey` for a customer
 * managed key when a key must be revocable or shared across accounts.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableSchema } from '../../lambdas/tableSchemas.js';

export interface PakkaTableProps {
  schema: TableSchema;
  removalPolicy: RemovalPolicy;
  encryptionKey?: IKey;
}

export class PakkaTable extends Construct {
  readonly table: Table;
  /** The ARNs of the table's indexes, one per index, for a policy that reads only some of them. */
  readonly indexArns: ReadonlyMap<string, string>;
  /**
   * One ARN for every index of the table (`<table ARN>/index/*`). The table has exactly its schema's indexes,
   * so a grant on all of them reaches no index the schema lacks; a role that reads every index of many tables
   * names each table once instead of each index (infra/constructs/schemaIndexGrant.ts).
   */
  readonly everyIndexArn: string;

  constructor(scope: Construct, id: string, props: PakkaTableProps) {
    super(scope, id);
    const { schema } = props;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      removalPolicy: props.removalPolicy,
      ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
      // A retained table is one somebody cares about: deleting it takes a deliberate second step.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    });
    for (const index of schema.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.projection.type === 'INCLUDE'
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: index.projection.attributes }
          : { projectionType: index.projection.type === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY }),
      });
    }
    this.indexArns = new Map(schema.indexes.map((index) => [index.indexName, `${this.table.tableArn}/index/${index.indexName}`]));
    this.everyIndexArn = `${this.table.tableArn}/index/*`;
  }
}
