/** The participant directory as the API and recovery read it at cold start: bad values are refused, naming the rule. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { checkParticipantDirectory, participantDirectoryJson, readParticipantDirectory } from '../../lambdas/config/participantDirectory.js';
import { checkParticipantFunctions, localParticipantFunctions } from '../../lambdas/config/participantFunctions.js';

const config = loadParticipantConfig();
const arn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const entry = (name: string, functionArn = arn(name)) => ({ functionArn, table: `table-${name}` });

/** A client whose GetItem answers with `item`, recording the requests. */
function clientAnswering(item: Record<string, unknown> | undefined) {
  const requests: unknown[] = [];
  const client = {
    send: async (command: { input: unknown }) => {
      requests.push(command.input);
      return { Item: item };
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, requests };
}

describe('the participant directory', () => {
  it('reads each participant function (any account, with an alias or version) and table', () => {
    const directory = participantDirectoryJson.parse(
      JSON.stringify({ a: entry('a'), b: entry('b', 'arn:aws-cn:lambda:cn-north-1:999999999999:function:b:live'), c: entry('c', `${arn('c')}:7`) }),
    );
    expect([...directory.functions.keys()]).toEqual(['a', 'b', 'c']);
    expect(directory.tables.get('b')).toBe('table-b');
  });

  it('refuses what is not JSON, not an object of entries, or not a function ARN', () => {
    for (const [text, message] of [
      ['{', 'must be a JSON object: participant name -> { functionArn, table }'],
      ['[1]', 'participant name -> { functionArn, table }'],
      [JSON.stringify({ a: entry('a', 'my-function') }), 'a.functionArn: must be a Lambda function ARN'],
      [JSON.stringify({ a: entry('a', 'arn:aws:states:eu-west-1:123456789012:stateMachine:x') }), 'must be a Lambda function ARN'],
      [JSON.stringify({ a: { functionArn: arn('a'), table: '' } }), 'a.table: must name a table'],
    ] as const) {
      const parsed = participantDirectoryJson.safeParse(text);
      expect(parsed.success, text).toBe(false);
      expect(parsed.error?.issues[0]?.message, text).toContain(message);
    }
  });

  it('must cover exactly the configured participants', () => {
    const full = participantDirectoryJson.parse(JSON.stringify(Object.fromEntries([...config.keys()].map((name) => [name, entry(name)]))));
    expect(() => checkParticipantDirectory(config, full)).not.toThrow();
    const [first] = config.keys();
    const withoutTable = { ...full, tables: new Map([...full.tables].filter(([name]) => name !== first)) };
    expect(() => checkParticipantDirectory(config, withoutTable)).toThrow(`the participant directory has no table for: ${first}`);
    const missing = new Map(full.functions);
    missing.delete(first ?? '');
    expect(() => checkParticipantFunctions(config, missing)).toThrow(`the participant directory has no function for: ${first}`);
    expect(() => checkParticipantFunctions(config, new Map([...full.functions, ['ghost', arn('ghost')]]))).toThrow(
      'the participant directory names participants the config lacks: ghost',
    );
  });

  it('is read strongly consistent, and only the version this deployment wrote is accepted', async () => {
    const item = { directory: 'participants', version: 'v2', participantsJson: JSON.stringify({ a: entry('a') }) };
    const { client, requests } = clientAnswering(item);
    const directory = await readParticipantDirectory(client, 'dir', 'v2');
    expect(directory.functions.get('a')).toBe(arn('a'));
    expect(requests).toEqual([{ TableName: 'dir', Key: { directory: 'participants' }, ConsistentRead: true }]);
    await expect(readParticipantDirectory(client, 'dir', 'v1')).rejects.toThrow(
      'the participant directory in dir is version v2, this function was deployed with v1',
    );
    await expect(readParticipantDirectory(clientAnswering(undefined).client, 'dir', 'v1')).rejects.toThrow('holds no directory');
    await expect(readParticipantDirectory(clientAnswering({ ...item, participantsJson: '{' }).client, 'dir', 'v2')).rejects.toThrow('must be a JSON object');
  });

  it('gives local mode one distinct ARN per participant', () => {
    const local = localParticipantFunctions(config);
    expect([...local.keys()]).toEqual([...config.keys()]);
    expect(new Set(local.values()).size).toBe(config.size);
    expect(() => checkParticipantFunctions(config, local)).not.toThrow();
  });
});
