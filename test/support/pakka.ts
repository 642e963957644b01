/** A LocalPakka on the shared DynamoDB Local, with its own tables so test files never interfere. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { LocalPakka, type LocalPakkaOptions } from '../../local/pakka.js';
import { TEST_VARIANT } from './variant.js';

export async function testPakka(options: Partial<Omit<LocalPakkaOptions, 'dynamo'>> = {}): Promise<LocalPakka> {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const pakka = new LocalPakka({ dynamo, tablePrefix: `t${randomUUID().slice(0, 8)}-`, fastRetriesMs: 5, variant: TEST_VARIANT, ...options });
  await pakka.createTables();
  return pakka;
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 12)}`;
