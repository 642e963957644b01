/**
 * How a participant lays out its own DynamoDB table. Business items and prepared-state
 * records share one table so that prepare and commit are each a single TransactWriteItems.
 */

export const PARTITION_KEY = 'pk';

export const itemKeyOf = (key: string) => ({ [PARTITION_KEY]: `ITEM#${key}` });
export const recordKeyOf = (txnId: string) => ({ [PARTITION_KEY]: `TXN#${txnId}` });
export const keyFromItemPk = (pk: string) => pk.slice('ITEM#'.length);

/**
 * Sparse index of PREPARED records (attributes removed at commit or abort), so recovery finds
 * in-doubt work with a Query instead of scanning the table.
 */
export const IN_DOUBT_INDEX = 'inDoubt';
export const IN_DOUBT_PARTITION = 'inDoubtPartition';
export const IN_DOUBT_SORT = 'inDoubtSince';
export const IN_DOUBT_VALUE = 'PREPARED';
