/** GET /participants and GET /participants/{name}/items/{key}: what is configured, and one item as it stands. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { itemKey } from '../participants/kinds/fields.js';
import type { ItemHold } from './itemReads.js';
import { isCommitted } from '../participants/itemState.js';
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
  /** Hot keys spread over shard items, with their shard counts. */
  shardedKeys: Record<string, number>;
}

/**
 * GET /participants/{name}/items/{key}: the kind's view of the committed item (balance, stock, heldBy...),
 * what prepared transactions hold on it (escrow sums, lockedBy) and who holds it.
 */
export type ItemView = { participant: string; key: string; lockedBy?: string; shards?: number; holds: ItemHold[]; holdsComplete?: false } & Record<
  string,
  unknown
>;

export function listParticipants(service: TransactionService): APIGatewayProxyResult {
  const participants = [...service.config.values()].map(
    (spec): ParticipantInfo => ({
      name: spec.name,
      kind: spec.kind,
      description: spec.description,
      operations: spec.definition.operationNames,
      prepareTimeoutSeconds: spec.prepareTimeoutSeconds,
      commitTimeoutSeconds: spec.commitTimeoutSeconds,
      shardedKeys: Object.fromEntries(spec.shardedKeys),
    }),
  );
  return jsonResponse(200, { participants });
}

export async function getParticipantItem(service: TransactionService, name: string, key: string): Promise<APIGatewayProxyResult> {
  const spec = service.config.get(name);
  const kind = spec?.definition;
  if (!spec || !kind) {
    throw new ApiError(404, 'PARTICIPANT_NOT_FOUND', `no participant '${name}'; known: ${[...service.config.keys()].join(', ')}`, 'participant');
  }
  const checked = itemKey.safeParse(key);
  if (!checked.success) throw new ApiError(400, 'INVALID_REQUEST', `key ${checked.error.issues[0]?.message ?? 'is invalid'}`, 'key');
  const item = await service.readParticipantItem(name, key);
  // An item that no commit has reached yet (a credit to a new account, a first hold, still prepared)
  // does not exist for readers: its existence is as uncommitted as its value.
  if (!item || !isCommitted(item)) throw new ApiError(404, 'ITEM_NOT_FOUND', `participant '${name}' has no item '${key}'`, 'key');
  const { holds, complete } = await service.readItemHolds(name, key);
  const view: ItemView = {
    participant: name,
    key,
    ...kind.view(item),
    ...(typeof item.lockedBy === 'string' ? { lockedBy: item.lockedBy } : {}),
    ...(typeof item.shards === 'number' ? { shards: item.shards } : {}),
    holds,
    ...(complete ? {} : { holdsComplete: false }),
  };
  return jsonResponse(200, view);
}
