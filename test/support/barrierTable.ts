/** A barrier participant's prepared-state table on the shared DynamoDB Local, and a client that can die on cue. */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { documentClient } from '../../lambdas/participants/lambdaEntry.js';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { createTables } from '../../local/tables.js';
import { uniqueId } from './pakka.js';

export const barrierClient = (): DynamoDBDocumentClient => documentClient(localDynamoClient(inject('dynamoEndpoint')));

export async function barrierTable(participant: string): Promise<string> {
  const prefix = uniqueId('barrier');
  const tableName = `${prefix}-participant-${participant}`;
  await createTables(localDynamoClient(inject('dynamoEndpoint')), { coordinatorLog: `${prefix}-log`, participants: new Map([[participant, tableName]]) });
  return tableName;
}

/**
 * A client whose first record update fails, as if the Lambda died right after the team's external call:
 * in the barrier every update of the record (PREPARING -> PREPARED, PREPARED -> COMMITTED | ABORTED) comes
 * right after the team's code ran.
 */
export function dyingAtFirstUpdate(real: DynamoDBDocumentClient): DynamoDBDocumentClient {
  let died = false;
  return {
    send: (command: object) => {
      if (command instanceof UpdateCommand && !died) {
        died = true;
        return Promise.reject(new Error('Lambda died after the external call'));
      }
      return real.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}
