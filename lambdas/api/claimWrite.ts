/** The txnId claim's DynamoDB edge (the rules are lambdas/request/txnClaim.ts): one conditional PutItem, read back only when it fails. */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { logProjection } from '../coordinatorLog/logAttributes.js';
import type { ExecutionInput } from '../request/executionInput.js';
import { type ClaimOutcome, claimPut, claimVerdict } from '../request/txnClaim.js';

export async function claimTransaction(client: DynamoDBDocumentClient, tableName: string, input: ExecutionInput, now: string): Promise<ClaimOutcome> {
  try {
    await client.send(new PutCommand(claimPut(tableName, input, now)));
    return { kind: 'claimed' };
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
  }
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: { txnId: input.txnId }, ConsistentRead: true, ...logProjection('requestDigest', 'decision') }),
  );
  // The claim failed, so the item existed: only a deleted item (never done) would leave nothing to read.
  if (!out.Item) throw new Error(`transaction ${input.txnId}: its claim failed but no log item could be read`);
  return claimVerdict(out.Item as { requestDigest?: string; decision?: string }, input.requestDigest);
}
