/**
 * Capacity units of one DynamoDB request. Successful requests carry the units DynamoDB Local
 * reports (ReturnConsumedCapacity INDEXES, GSIs included). A failed write reports nothing, on AWS
 * as locally, yet AWS still charges it; its units are computed from item sizes by AWS's published
 * rules (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
 * and flagged as estimated. Pure.
 */
import type { AttributeValue, ConsumedCapacity } from '@aws-sdk/client-dynamodb';

export type AttributeMap = Record<string, AttributeValue>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of one value by AWS's rules: numbers take one byte per two significant digits plus one. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + utf8(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberSize(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((s, v) => s + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((s, [k, v]) => s + 1 + utf8(k) + valueSize(v), 0);
  return 0;
}

function numberSize(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

export function itemSize(item: AttributeMap | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((s, [name, value]) => s + utf8(name) + valueSize(value), 0);
}

export interface Units {
  write: number;
  read: number;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'TransactGetItems', 'BatchGetItem']);

export const isWriteOperation = (operation: string) => WRITE_OPERATIONS.has(operation);
/** Data-plane operations take ReturnConsumedCapacity; control-plane ones (CreateTable...) do not. */
export const reportsCapacity = (operation: string) => WRITE_OPERATIONS.has(operation) || READ_OPERATIONS.has(operation);

/** The units DynamoDB reported for a successful request (an array for transactions). */
export function reportedUnits(operation: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): Units | undefined {
  if (!consumed) return undefined;
  const total = (Array.isArray(consumed) ? consumed : [consumed]).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
  return isWriteOperation(operation) ? { write: total, read: 0 } : { write: 0, read: total };
}

const kilobytes = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

interface WriteInput {
  Item?: AttributeMap;
  Key?: AttributeMap;
  TransactItems?: Array<{
    Put?: { Item?: AttributeMap };
    Update?: { Key?: AttributeMap };
    Delete?: { Key?: AttributeMap };
    ConditionCheck?: { Key?: AttributeMap };
  }>;
}

/**
 * Units AWS charges for a write whose condition failed: a failed conditional write consumes the
 * units of the larger of the existing and the new item; a cancelled transaction is charged here as
 * if each item had been written transactionally (two units per KB), an upper bound, because AWS
 * does not publish the figure. Index writes are unknown for a failed write and left out.
 */
export function failedWriteUnits(operation: string, input: WriteInput, existing: ReadonlyArray<AttributeMap | undefined>): number {
  if (operation === 'TransactWriteItems') {
    return (input.TransactItems ?? []).reduce((sum, entry, i) => {
      const requested = itemSize(entry.Put?.Item ?? entry.Update?.Key ?? entry.Delete?.Key ?? entry.ConditionCheck?.Key);
      return sum + 2 * kilobytes(Math.max(requested, itemSize(existing[i])));
    }, 0);
  }
  if (operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem') {
    return kilobytes(Math.max(itemSize(input.Item ?? input.Key), itemSize(existing[0])));
  }
  return 0;
}
