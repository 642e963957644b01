/**
 * The team's own card participant, in a stack of its own: its function (the barrier code over the card
 * gateway) and its prepared-state table, both the team's. Pakka is handed the two and only invokes the
 * function and reads the table; the team grants its function the table itself.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PARTICIPANT_TABLE_ACTIONS, PARTICIPANT_TABLE_SCHEMA, PakkaFunction, PakkaTable } from 'pakka/cdk';

export interface CardsStackProps extends StackProps {
  /** The participant's name in participants.json. */
  participant: string;
  gatewayUrl: string;
}

export class CardsStack extends Stack {
  readonly function: IFunction;
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: CardsStackProps) {
    super(scope, id, props);
    this.table = new PakkaTable(this, 'Records', { schema: PARTICIPANT_TABLE_SCHEMA, removalPolicy: RemovalPolicy.DESTROY }).table;
    const handler = new PakkaFunction(this, 'Participant', {
      entry: fileURLToPath(new URL('./lambdas/cardParticipant.ts', import.meta.url)),
      description: 'Card payments participant: authorize, capture and void at the card gateway behind the Pakka barrier',
      environment: { TABLE_NAME: this.table.tableName, PARTICIPANT_NAME: props.participant, CARD_GATEWAY_URL: props.gatewayUrl },
      timeout: Duration.seconds(10),
      logRetention: RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...PARTICIPANT_TABLE_ACTIONS], resources: [this.table.tableArn] }));
    this.function = handler.function;
  }
}
