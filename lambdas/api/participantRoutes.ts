/** GET /participants and GET /participants/{name}/items/{key}: what is configured, and one item as it stands. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { itemKey } from '../participants/kinds/fields.js';
import { KINDS } from '../participants/kinds/index.js';
import { ApiError, jsonResponse } from './http.js';
import type { TransactionService } from './transactionService.js';

/** One entry of GET /participants. */
export interface ParticipantInfo {
  name: string;
  kind: string;
  description: string;
  operations: readonly string[];
  prepareTimeoutSeconds: number;
  commitTimeoutSeconds: number;
}

/** GET /participants/{name}/items/{key}: the kind's view of the item (balance, stock, heldBy...) and its lock. */
export type ItemView = { participant: string; key: string; lockedBy?: string } & Record<string, unknown>;

export function listParticipants(service: TransactionService): APIGatewayProxyResult {
  const participants = [...service.config.values()].map((spec): ParticipantInfo => ({
    name: spec.name,
    kind: spec.kind,
    description: spec.description,
    operations: KINDS[spec.kind]?.operationNames ?? [],
    prepareTimeoutSeconds: spec.prepareTimeoutSeconds,
    commitTimeoutSeconds: spec.commitTimeoutSeconds,
  }));
  return jsonResponse(200, { participants });
}

export async function getParticipantItem(service: TransactionService, name: string, key: string): Promise<APIGatewayProxyResult> {
  const spec = service.config.get(name);
  const kind = spec ? KINDS[spec.kind] : undefined;
  if (!spec || !kind) {
    throw new ApiError(404, 'PARTICIPANT_NOT_FOUND', `no participant '${name}'; known: ${[...service.config.keys()].join(', ')}`, 'participant');
  }
  const checked = itemKey.safeParse(key);
  if (!checked.success) throw new ApiError(400, 'INVALID_REQUEST', `key ${checked.error.issues[0]?.message ?? 'is invalid'}`, 'key');
  const item = await service.readParticipantItem(name, key);
  if (!item) throw new ApiError(404, 'ITEM_NOT_FOUND', `participant '${name}' has no item '${key}'`, 'key');
  const view: ItemView = {
    participant: name,
    key,
    ...kind.view(item),
    ...(typeof item.lockedBy === 'string' ? { lockedBy: item.lockedBy } : {}),
  };
  return jsonResponse(200, view);
}
