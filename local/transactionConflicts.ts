/**
 * AWS's documented rules for transaction conflicts, as pure bookkeeping over the items that requests
 * name. DynamoDB Local runs transactions one at a time and never raises a conflict; AWS does not. The
 * rules, from the DynamoDB developer guide, "Amazon DynamoDB Transactions: How it works", section
 * "Transaction conflict handling in DynamoDB":
 * - a PutItem, UpdateItem or DeleteItem request for an item conflicts with an ongoing TransactWriteItems
 *   request that includes the same item (it fails with TransactionConflictException);
 * - an item within a TransactWriteItems request is part of another ongoing TransactWriteItems request
 *   (the request fails with TransactionCanceledException);
 * - an item within a TransactGetItems request is part of an ongoing TransactWriteItems, BatchWriteItem,
 *   PutItem, UpdateItem or DeleteItem request (TransactionCanceledException);
 * - a GetItem that meets an ongoing transaction conflicts with nothing: both can succeed.
 * The page names no conflict for BatchGetItem, Query or Scan (read-committed), nor for a BatchWriteItem
 * that meets a transaction, so none is modelled. This is a model of those documented rules, not AWS:
 * how long AWS holds an item beyond the request it answers is not documented (see `marginMs`).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

type Key = Record<string, AttributeValue>;
type ItemImage = Record<string, AttributeValue>;

/** What a request is, in the rules' terms: each item as table + primary key, in request order. */
export type ItemRequest =
  | { kind: 'transactWrite'; items: string[] }
  | { kind: 'transactGet'; items: string[] }
  | { kind: 'singleWrite'; item: string }
  | { kind: 'batchWrite'; items: string[] }
  | { kind: 'untouched' };

/** The primary key attribute names of a table (a Put names the whole item, so its key needs them). */
export type KeySchemas = (table: string) => readonly string[] | undefined;

/** One name for an item: its table and its primary key, attribute names sorted. */
export function itemName(table: string, key: Key): string {
  const sorted = Object.keys(key)
    .sort()
    .map((name) => [name, key[name]]);
  return `${table}\u0000${JSON.stringify(sorted)}`;
}

function keyOfItem(table: string, item: ItemImage, schemas: KeySchemas): Key | undefined {
  const names = schemas(table);
  if (!names) return undefined;
  const key: Key = {};
  for (const name of names) {
    const value = item[name];
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key;
}

interface TransactWriteInput {
  TransactItems?: Array<{
    Put?: { TableName?: string; Item?: ItemImage };
    Update?: { TableName?: string; Key?: Key };
    Delete?: { TableName?: string; Key?: Key };
    ConditionCheck?: { TableName?: string; Key?: Key };
  }>;
}
interface TransactGetInput {
  TransactItems?: Array<{ Get?: { TableName?: string; Key?: Key } }>;
}
interface SingleInput {
  TableName?: string;
  Key?: Key;
  Item?: ItemImage;
}
interface BatchWriteInput {
  RequestItems?: Record<string, Array<{ PutRequest?: { Item?: ItemImage }; DeleteRequest?: { Key?: Key } }>>;
}

/** The tables whose Put items need a key schema before `itemRequest` can name them. */
export function tablesWithPuts(command: string, input: unknown): string[] {
  switch (command) {
    case 'TransactWriteItemsCommand':
      return ((input as TransactWriteInput).TransactItems ?? []).flatMap((t) => (t.Put?.TableName ? [t.Put.TableName] : []));
    case 'PutItemCommand': {
      const table = (input as SingleInput).TableName;
      return table ? [table] : [];
    }
    case 'BatchWriteItemCommand':
      return Object.entries((input as BatchWriteInput).RequestItems ?? {})
        .filter(([, writes]) => writes.some((w) => w.PutRequest))
        .map(([table]) => table);
    default:
      return [];
  }
}

/**
 * Reads a request as the rules see it. A request whose items cannot all be named (a malformed one, or a
 * table this process cannot describe) is left untouched: DynamoDB Local answers it as it would anyway.
 */
export function itemRequest(command: string, input: unknown, schemas: KeySchemas): ItemRequest {
  const untouched: ItemRequest = { kind: 'untouched' };
  const named = (table: string | undefined, key: Key | undefined): string | undefined => (table && key ? itemName(table, key) : undefined);
  const all = (names: Array<string | undefined>): names is string[] => names.every((n) => n !== undefined);
  switch (command) {
    case 'TransactWriteItemsCommand': {
      const items = ((input as TransactWriteInput).TransactItems ?? []).map((t) => {
        if (t.Put) return named(t.Put.TableName, t.Put.Item && t.Put.TableName ? keyOfItem(t.Put.TableName, t.Put.Item, schemas) : undefined);
        const action = t.Update ?? t.Delete ?? t.ConditionCheck;
        return named(action?.TableName, action?.Key);
      });
      return all(items) ? { kind: 'transactWrite', items } : untouched;
    }
    case 'TransactGetItemsCommand': {
      const items = ((input as TransactGetInput).TransactItems ?? []).map((t) => named(t.Get?.TableName, t.Get?.Key));
      return all(items) ? { kind: 'transactGet', items } : untouched;
    }
    case 'PutItemCommand': {
      const { TableName, Item } = input as SingleInput;
      const item = named(TableName, TableName && Item ? keyOfItem(TableName, Item, schemas) : undefined);
      return item ? { kind: 'singleWrite', item } : untouched;
    }
    case 'UpdateItemCommand':
    case 'DeleteItemCommand': {
      const { TableName, Key } = input as SingleInput;
      const item = named(TableName, Key);
      return item ? { kind: 'singleWrite', item } : untouched;
    }
    case 'BatchWriteItemCommand': {
      const items = Object.entries((input as BatchWriteInput).RequestItems ?? {}).flatMap(([table, writes]) =>
        writes.map((w) => named(table, w.PutRequest?.Item ? keyOfItem(table, w.PutRequest.Item, schemas) : w.DeleteRequest?.Key)),
      );
      return all(items) ? { kind: 'batchWrite', items } : untouched;
    }
    default:
      return untouched;
  }
}

/** What the rules say of a request that is about to be sent. */
export type Admission =
  /** It goes on to DynamoDB; call `done` when its answer (or error) arrives. */
  | { admitted: true; done: () => void }
  /** A TransactWriteItems or TransactGetItems cancelled: one flag per item, true where it conflicts. */
  | { admitted: false; error: 'TransactionCanceledException'; conflicts: boolean[] }
  /** A single-item write to an item in a transaction. */
  | { admitted: false; error: 'TransactionConflictException' };

export interface ConflictClock {
  /** Runs `release` after `ms` (0: at once); the model's only notion of time. */
  after(ms: number, release: () => void): void;
}

export const timerClock: ConflictClock = {
  after(ms, release) {
    if (ms <= 0) release();
    else setTimeout(release, ms).unref();
  },
};

class Counts {
  private readonly counts = new Map<string, number>();
  has(item: string): boolean {
    return this.counts.has(item);
  }
  add(items: readonly string[]): void {
    for (const item of items) this.counts.set(item, (this.counts.get(item) ?? 0) + 1);
  }
  remove(items: readonly string[]): void {
    for (const item of items) {
      const left = (this.counts.get(item) ?? 0) - 1;
      if (left > 0) this.counts.set(item, left);
      else this.counts.delete(item);
    }
  }
  get size(): number {
    return this.counts.size;
  }
}

/** Conflicts the model raised, by the rule that raised them (the benchmark reports them). */
export interface ConflictCounts {
  transactWriteCancelled: number;
  transactGetCancelled: number;
  singleWriteRejected: number;
}

/**
 * The items that requests in flight hold, for one DynamoDB endpoint. `admit` checks and records in one
 * synchronous step, so two requests of one process never both pass a check the other should fail.
 */
export class ItemsInFlight {
  /** Items of ongoing TransactWriteItems requests, each until its answer plus the margin. */
  private readonly inTransaction = new Counts();
  /** Items of ongoing single-item and batch writes: only a TransactGetItems meets them. */
  private readonly beingWritten = new Counts();
  readonly raised: ConflictCounts = { transactWriteCancelled: 0, transactGetCancelled: 0, singleWriteRejected: 0 };

  /**
   * @param marginMs how long an item stays in its transaction after the answer, a stand-in for a
   *   transaction coordinator slower than DynamoDB Local's (see conflictRules.ts for the default and why).
   */
  constructor(
    readonly marginMs: number,
    private readonly clock: ConflictClock = timerClock,
  ) {}

  admit(request: ItemRequest): Admission {
    switch (request.kind) {
      case 'untouched':
        return { admitted: true, done: () => {} };
      case 'transactWrite': {
        const conflicts = request.items.map((item) => this.inTransaction.has(item));
        if (conflicts.some(Boolean)) {
          this.raised.transactWriteCancelled += 1;
          return { admitted: false, error: 'TransactionCanceledException', conflicts };
        }
        const items = [...new Set(request.items)];
        this.inTransaction.add(items);
        return { admitted: true, done: once(() => this.clock.after(this.marginMs, () => this.inTransaction.remove(items))) };
      }
      case 'transactGet': {
        const conflicts = request.items.map((item) => this.inTransaction.has(item) || this.beingWritten.has(item));
        if (conflicts.some(Boolean)) {
          this.raised.transactGetCancelled += 1;
          return { admitted: false, error: 'TransactionCanceledException', conflicts };
        }
        return { admitted: true, done: () => {} };
      }
      case 'singleWrite': {
        if (this.inTransaction.has(request.item)) {
          this.raised.singleWriteRejected += 1;
          return { admitted: false, error: 'TransactionConflictException' };
        }
        return this.writing([request.item]);
      }
      case 'batchWrite':
        return this.writing(request.items);
    }
  }

  /** True when no request holds any item (tests: nothing leaks). */
  get idle(): boolean {
    return this.inTransaction.size === 0 && this.beingWritten.size === 0;
  }

  private writing(items: readonly string[]): Admission {
    this.beingWritten.add(items);
    return { admitted: true, done: once(() => this.beingWritten.remove(items)) };
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
