/**
 * The shape of `POST /transactions` as a JSON Schema, so API Gateway refuses a malformed body
 * before it costs a Lambda invocation. Built from the same LIMITS and txnId rule the handler's zod
 * schema uses. It checks structure only: which participants exist and which operations each kind
 * takes are the handler's to judge, with a precise message and field.
 */
import { type JsonSchema, JsonSchemaType, JsonSchemaVersion } from 'aws-cdk-lib/aws-apigateway';
import { LIMITS, TXN_ID_PATTERN, TXN_ID_RULE } from '../../lambdas/request/transactionRequest.js';

export const TRANSACTION_REQUEST_SCHEMA: JsonSchema = {
  schema: JsonSchemaVersion.DRAFT4,
  title: 'TransactionRequest',
  type: JsonSchemaType.OBJECT,
  required: ['participants'],
  additionalProperties: false,
  properties: {
    txnId: { type: JsonSchemaType.STRING, pattern: TXN_ID_PATTERN.source },
    timeoutSeconds: { type: JsonSchemaType.INTEGER, minimum: LIMITS.minTimeoutSeconds, maximum: LIMITS.maxTimeoutSeconds },
    participants: {
      type: JsonSchemaType.ARRAY,
      minItems: 1,
      maxItems: LIMITS.maxParticipants,
      items: {
        type: JsonSchemaType.OBJECT,
        required: ['name', 'operations'],
        additionalProperties: false,
        properties: {
          name: { type: JsonSchemaType.STRING },
          operations: {
            type: JsonSchemaType.ARRAY,
            minItems: 1,
            maxItems: LIMITS.maxOperationsPerParticipant,
            items: { type: JsonSchemaType.OBJECT, required: ['op'], properties: { op: { type: JsonSchemaType.STRING } } },
          },
        },
      },
    },
  },
};

/** What a client is told when the model refuses a body (gateway responses cannot quote the validator's detail). */
export const TRANSACTION_REQUEST_RULE =
  `body must be a JSON object {participants, txnId?, timeoutSeconds?}: ` +
  `participants holds 1-${LIMITS.maxParticipants} entries {name, operations}, each with 1-${LIMITS.maxOperationsPerParticipant} operations {op, ...}; ` +
  `txnId ${TXN_ID_RULE}; timeoutSeconds is an integer from ${LIMITS.minTimeoutSeconds} to ${LIMITS.maxTimeoutSeconds}`;
