/** A LocalPakka on the shared DynamoDB Local, with its own tables so test files never interfere. */
import { randomUUID } from 'node:crypto';
import { TestRunner, inject, onTestFinished } from 'vitest';
import { localDynamoClient } from '../../local/dynamoLocal.js';
import { conflictRulesFromEnv } from '../../local/conflictRules.js';
import { sdkTimeoutsFromEnv } from '../../lambdas/config/sdkTimeouts.js';
import { type ParticipantConfig, loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { LocalPakka, type LocalPakkaOptions } from '../../local/pakka.js';
import { closableClient, pooledTables } from './tablePool.js';
import { TEST_VARIANT } from './variant.js';

export interface TestPakkaOptions extends Partial<Omit<LocalPakkaOptions, 'dynamo'>> {
  /**
   * Runs on DynamoDB Local as it is, without the model of AWS's transaction-conflict rules that every other
   * test runs under. The value is the reason, written where the test is: only a test that pins something the
   * rules are known to break today (and that another test or the benchmark measures) may ask for it.
   */
  withoutAwsConflictRules?: string;
}

/**
 * A LocalPakka on tables of the file's pool (tablePool.ts): made in a test (or its beforeEach), it
 * gives its tables back when the test ends; made in a beforeAll, it keeps them for the file.
 */
export async function testPakka({ withoutAwsConflictRules, ...options }: TestPakkaOptions = {}): Promise<LocalPakka> {
  const conflictRules = withoutAwsConflictRules ? { ...conflictRulesFromEnv(), enabled: false } : conflictRulesFromEnv();
  const dynamo = closableClient(localDynamoClient(inject('dynamoEndpoint'), sdkTimeoutsFromEnv(), conflictRules));
  const tables = await pooledTables(inject('dynamoEndpoint'), options.config ?? loadParticipantConfig(), 't');
  const pakka = new LocalPakka({ dynamo, tablePrefix: tables.prefix, fastRetriesMs: 5, variant: TEST_VARIANT, ...options });
  if (TestRunner.getCurrentTest()) onTestFinished(() => tables.release(dynamo));
  return pakka;
}

/**
 * The config with one-phase commit turned off for every participant, for tests of the two-phase
 * mechanics (votes, phase 2, its faults) that use a single participant.
 */
export function twoPhaseOnly(config: ParticipantConfig = loadParticipantConfig()): ParticipantConfig {
  return new Map([...config].map(([name, spec]) => [name, { ...spec, onePhaseCommit: false }]));
}

/** The config with only these participants, each as the full config declares it. */
export function onlyParticipants(names: readonly string[], config: ParticipantConfig = loadParticipantConfig()): ParticipantConfig {
  return new Map([...config].filter(([name]) => names.includes(name)));
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 12)}`;
