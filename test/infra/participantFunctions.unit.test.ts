/** The participant -> function map as the API and recovery read it from PARTICIPANT_FUNCTIONS: bad values are refused, naming the rule. */
import { describe, expect, it } from 'vitest';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { checkParticipantFunctions, localParticipantFunctions, participantFunctionsJson } from '../../lambdas/config/participantFunctions.js';

const config = loadParticipantConfig();
const arn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

describe('PARTICIPANT_FUNCTIONS', () => {
  it('reads a JSON object of function ARNs, in any account, with an alias or version', () => {
    const map = participantFunctionsJson.parse(
      JSON.stringify({ a: arn('a'), b: 'arn:aws-cn:lambda:cn-north-1:999999999999:function:b:live', c: `${arn('c')}:7` }),
    );
    expect([...map.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('refuses what is not JSON, not an object of strings, or not a function ARN', () => {
    for (const [text, message] of [
      ['{', 'must be a JSON object: participant name -> function ARN'],
      ['[1]', 'participant name -> function ARN'],
      [JSON.stringify({ a: 'my-function' }), 'must be a Lambda function ARN'],
      [JSON.stringify({ a: 'arn:aws:states:eu-west-1:123456789012:stateMachine:x' }), 'must be a Lambda function ARN'],
    ] as const) {
      const parsed = participantFunctionsJson.safeParse(text);
      expect(parsed.success, text).toBe(false);
      expect(parsed.error?.issues[0]?.message, text).toContain(message);
    }
  });

  it('must cover exactly the configured participants', () => {
    const full = new Map([...config.keys()].map((name) => [name, arn(name)]));
    expect(() => checkParticipantFunctions(config, full)).not.toThrow();
    const [first] = config.keys();
    const missing = new Map(full);
    missing.delete(first ?? '');
    expect(() => checkParticipantFunctions(config, missing)).toThrow(`PARTICIPANT_FUNCTIONS has no function for: ${first}`);
    expect(() => checkParticipantFunctions(config, new Map([...full, ['ghost', arn('ghost')]]))).toThrow(
      'PARTICIPANT_FUNCTIONS names participants the config lacks: ghost',
    );
  });

  it('gives local mode one distinct ARN per participant', () => {
    const local = localParticipantFunctions(config);
    expect([...local.keys()]).toEqual([...config.keys()]);
    expect(new Set(local.values()).size).toBe(config.size);
    expect(() => checkParticipantFunctions(config, local)).not.toThrow();
  });
});
