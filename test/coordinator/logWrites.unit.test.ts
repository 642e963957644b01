/**
 * The coordinator log item has one owner (issue 23, item 1): its attributes are declared once
 * (logAttributes.ts) and every write of it is described once (logWrites.ts). Each write, rendered as
 * ASL and as an SDK call, and every DynamoDB task of both generated state machines, sets, adds and
 * removes only declared attributes, and every ASL write is the rendering of a described one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_VARIANTS } from '../../lambdas/config/coordinatorVariant.js';
import { parseCoordinatorLogItem } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import {
  LOG_ATTRIBUTES,
  LOG_ITEM_ATTRIBUTES,
  type LogAttribute,
  type StoredLogAttributes,
  isLogAttribute,
  logProjection,
} from '../../lambdas/coordinatorLog/logAttributes.js';
import { type LogWrite, problemsOf } from '../../lambdas/coordinatorLog/logWrite.js';
import { toAsl } from '../../lambdas/coordinatorLog/logWriteAsl.js';
import { toSdk } from '../../lambdas/coordinatorLog/logWriteSdk.js';
import {
  ABORT_DECISION,
  COMMIT_DECISION,
  LEARNT_ONE_PHASE_COMMIT,
  LOG_WRITES,
  ONE_PHASE_LEFT_TO_RECOVERY,
  ONE_PHASE_RECEIPT,
  VIOLATIONS_ADDED,
} from '../../lambdas/coordinatorLog/logWrites.js';
import { executionInput } from '../../lambdas/request/executionInput.js';
import { claimItem, claimPut } from '../../lambdas/request/txnClaim.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { localParticipantFunctions } from '../../lambdas/config/participantFunctions.js';
import { aslPath } from '../../statemachines/source/files.js';

const LOG_TABLE = '${CoordinatorLogTable}';

interface WriteParameters {
  TableName?: string;
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The attribute names an update expression sets, adds or removes (`#name` placeholders resolved), read from its text. */
function attributesOf(expression: string, names: Record<string, string> = {}): string[] {
  // Function arguments (if_not_exists(a, :b)) hold commas but set nothing.
  const clauses = expression
    .replace(/\([^)]*\)/g, '')
    .split(/\b(SET|REMOVE|ADD|DELETE)\b/)
    .filter((c) => c.trim() && !/^(SET|REMOVE|ADD|DELETE)$/.test(c));
  return clauses.flatMap((clause) =>
    clause
      .split(',')
      .map((part) => part.trim().split(/[\s=]/)[0] ?? '')
      .filter((name) => name !== '')
      .map((name) => names[name] ?? name),
  );
}

/**
 * What is wrong with a rendered write, as DynamoDB and the log item see it: an attribute written that
 * the item does not declare, and (DynamoDB refuses the request for either) a value or name placeholder
 * given but unused, or used but not given.
 */
function problemsOfRendered(p: WriteParameters): string[] {
  const written = p.Item ? Object.keys(p.Item) : attributesOf(p.UpdateExpression ?? '', p.ExpressionAttributeNames);
  const expressions = `${p.UpdateExpression ?? ''} ${p.ConditionExpression ?? ''}`;
  const usedValues = new Set(expressions.match(/:[A-Za-z0-9]+/g) ?? []);
  const usedNames = new Set(expressions.match(/#[A-Za-z0-9]+/g) ?? []);
  const givenValues = Object.keys(p.ExpressionAttributeValues ?? {});
  const givenNames = Object.keys(p.ExpressionAttributeNames ?? {});
  return [
    ...written.filter((a) => !LOG_ITEM_ATTRIBUTES.has(a)).map((a) => `writes ${a}, which the log item does not declare`),
    ...givenValues.filter((v) => !usedValues.has(v)).map((v) => `${v} is given but unused`),
    ...[...usedValues].filter((v) => !givenValues.includes(v)).map((v) => `${v} is used but not given`),
    ...givenNames.filter((n) => !usedNames.has(n)).map((n) => `${n} is given but unused`),
    ...[...usedNames].filter((n) => !givenNames.includes(n)).map((n) => `${n} is used but not given`),
    ...Object.keys(p.Key ?? {})
      .filter((k) => !(LOG_ATTRIBUTES[k as LogAttribute] as { key?: true } | undefined)?.key)
      .map((k) => `keyed by ${k}`),
  ];
}

/** Sample values for every argument of a write: JSONPaths for ASL, values for the SDK; optional ones left out when `optionals` is false. */
function samples(write: LogWrite, optionals: boolean) {
  const args = Object.entries(write.values).filter(([, v]) => 'argument' in v && (optionals || v.argument === 'required'));
  const value = { S: 'x', N: 1, BOOL: true, SS: new Set(['x']) } as const;
  return {
    paths: Object.fromEntries(args.map(([name]) => [name, `$.sample.${name}`])),
    values: Object.fromEntries(args.map(([name, v]) => [name, value[v.type]])),
  };
}

// The renderers are typed by each write's own arguments; walking them all takes the general shape.
const renderAsl = (write: LogWrite, paths: Record<string, string>) => toAsl(write, LOG_TABLE, paths as never) as WriteParameters;
const renderSdk = (write: LogWrite, values: Record<string, unknown>) =>
  (write.action === 'put' ? toSdk(write, 'log', values as never) : toSdk(write, 'log', values as never)) as WriteParameters;

function renderingProblems(write: LogWrite): string[] {
  return [true, false].flatMap((optionals) => {
    const { paths, values } = samples(write, optionals);
    return [...problemsOfRendered(renderAsl(write, paths)).map((p) => `ASL: ${p}`), ...problemsOfRendered(renderSdk(write, values)).map((p) => `SDK: ${p}`)];
  });
}

interface Task extends WriteParameters {
  Resource?: string;
  Parameters?: WriteParameters;
}

/** Every DynamoDB task of a definition, Map iterations and Parallel branches included. */
function dynamoTasks(states: Record<string, unknown>, into: Array<[string, Task]> = []): Array<[string, Task]> {
  for (const [name, state] of Object.entries(states)) {
    const s = state as Task & { ItemProcessor?: { States: Record<string, unknown> }; Branches?: Array<{ States: Record<string, unknown> }> };
    if (s.Resource?.startsWith('arn:aws:states:::dynamodb:')) into.push([name, s]);
    if (s.ItemProcessor) dynamoTasks(s.ItemProcessor.States, into);
    for (const branch of s.Branches ?? []) dynamoTasks(branch.States, into);
  }
  return into;
}

/** A write's shape as ASL renders it with every argument given: the expressions, for matching a task to the write it renders. */
const signature = (p: WriteParameters) => JSON.stringify([p.UpdateExpression ?? Object.keys(p.Item ?? {}), p.ConditionExpression ?? null]);
const describedSignatures = new Map(LOG_WRITES.map((w) => [signature(renderAsl(w, samples(w, true).paths)), w.name]));

describe('the coordinator log item has one owner', () => {
  it.each(LOG_WRITES.map((w) => [w.name, w] as const))('the %s write is a sound description', (_, write) => {
    expect(problemsOf(write)).toEqual([]);
  });

  it.each(LOG_WRITES.map((w) => [w.name, w] as const))('the %s write, as ASL and as an SDK call, writes only declared attributes', (_, write) => {
    expect(renderingProblems(write)).toEqual([]);
  });

  it.each(COORDINATOR_VARIANTS)(
    'every DynamoDB task of the %s state machine targets the log, writes only declared attributes, and renders a described write',
    (variant) => {
      const definition = JSON.parse(readFileSync(aslPath(variant), 'utf8')) as { States: Record<string, unknown> };
      const tasks = dynamoTasks(definition.States);
      const writes = tasks.filter(([, t]) => t.Resource !== 'arn:aws:states:::dynamodb:getItem');
      // Decision (2 commits, read-only, abort, learnt commit), left to recovery, and a refused and an abandoned delivery per phase 2.
      expect(writes.length).toBeGreaterThanOrEqual(10);
      for (const [name, task] of tasks) {
        expect({ state: name, table: task.Parameters?.TableName }).toEqual({ state: name, table: LOG_TABLE });
      }
      for (const [name, task] of writes) {
        const parameters = task.Parameters ?? {};
        expect({ state: name, problems: problemsOfRendered(parameters) }).toEqual({ state: name, problems: [] });
        expect({ state: name, described: describedSignatures.has(signature(parameters)) }).toEqual({ state: name, described: true });
      }
      // A read names only declared attributes too: its projection, with the #names of reserved words resolved.
      for (const [name, task] of tasks.filter(([, t]) => t.Resource === 'arn:aws:states:::dynamodb:getItem')) {
        const parameters = (task.Parameters ?? {}) as { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> };
        const projected = (parameters.ProjectionExpression ?? '').split(',').map((part) => {
          const named = part.trim();
          return parameters.ExpressionAttributeNames?.[named] ?? named;
        });
        expect({ state: name, undeclared: projected.filter((attribute) => !isLogAttribute(attribute)) }).toEqual({ state: name, undeclared: [] });
      }
    },
  );

  it('a projection names reserved words through #name, and only those', () => {
    expect(logProjection('decision', 'requestDigest')).toEqual({ ProjectionExpression: 'decision, requestDigest' });
    expect(logProjection('status', 'decision')).toEqual({ ProjectionExpression: '#status, decision', ExpressionAttributeNames: { '#status': 'status' } });
  });

  it("the API's claim is the described put, and its item holds only declared attributes", () => {
    const config = loadParticipantConfig();
    const request = { txnId: 't', timeoutSeconds: 30, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] };
    const input = executionInput('t', request, config, localParticipantFunctions(config));
    const put = claimPut('log', input, new Date(0).toISOString()) as WriteParameters;
    expect(problemsOfRendered(put)).toEqual([]);
    expect(put.Item).toEqual(claimItem(input, new Date(0).toISOString()));
    // The reader takes the claimed item as it is.
    expect(parseCoordinatorLogItem(claimItem(input, new Date(0).toISOString())).status).toBe('PREPARING');
  });

  it('the reader reads every declared attribute, of its declared type', () => {
    const full: Required<StoredLogAttributes> = {
      txnId: 't',
      status: 'COMMITTED',
      createdAt: '2026-01-01T00:00:00.000Z',
      timeoutSeconds: 30,
      requestDigest: 'd',
      idempotencyKey: 'k',
      participantsJson: JSON.stringify([{ name: 'a', operations: [] }]),
      executionName: 'e',
      executionArn: 'arn',
      executionStartedAt: '2026-01-01T00:00:00.000Z',
      decision: 'COMMIT',
      onePhase: false,
      decidedAt: '2026-01-01T00:00:01.000Z',
      decidedBy: 'coordinator',
      votesJson: JSON.stringify({ names: ['a'], needsCommit: [1] }),
      abortReason: 'TIMEOUT',
      abortedBy: 'a',
      abortRule: 'r',
      phase2StartedAt: '2026-01-01T00:00:01.000Z',
      phase2Json: JSON.stringify(['ACKED']),
      heuristicHazard: false,
      leftToRecoveryAt: '2026-01-01T00:00:02.000Z',
      finishedAt: '2026-01-01T00:00:03.000Z',
      decisionNote: 'n',
      violations: new Set(['a:CODE']),
      recoveredAt: '2026-01-01T00:00:03.000Z',
      recoveryAttempts: 1,
      lastRecoveryError: 'e',
      statusPartition: 'COMMITTED#0',
      openPartition: 'OPEN#0',
    };
    const read = parseCoordinatorLogItem(full) as Record<string, unknown>;
    expect(Object.keys(LOG_ATTRIBUTES).filter((a) => read[a] === undefined)).toEqual([]);
  });

  describe('a write that sets an attribute the log item lacks is reported', () => {
    const bogus = { ...VIOLATIONS_ADDED, set: [...VIOLATIONS_ADDED.set, { attribute: 'madeUp' as LogAttribute, value: 'true' }] };

    it('by the description check', () => {
      expect(problemsOf(bogus)).toEqual(['violations added: SET madeUp, an attribute the log item does not declare']);
    });

    it('in both renderings', () => {
      const problems = renderingProblems(bogus);
      expect(problems).toContain('ASL: writes madeUp, which the log item does not declare');
      expect(problems).toContain('SDK: writes madeUp, which the log item does not declare');
    });

    it('in a state machine task, which then renders no described write', () => {
      const parameters = renderAsl(bogus, samples(bogus, true).paths);
      expect(problemsOfRendered(parameters)).toEqual(['writes madeUp, which the log item does not declare']);
      expect(describedSignatures.has(signature(parameters))).toBe(false);
    });

    it('and a removed attribute the item lacks too', () => {
      const removing = { ...VIOLATIONS_ADDED, remove: ['gone' as LogAttribute] };
      expect(problemsOf(removing)).toEqual(['violations added: REMOVE gone, an attribute the log item does not declare']);
      expect(problemsOfRendered(renderSdk(removing, samples(removing, true).values))).toEqual(['writes gone, which the log item does not declare']);
    });
  });

  it('a value of another type than its attribute, or a placeholder declared and not used, is reported', () => {
    const mistyped = { ...VIOLATIONS_ADDED, values: { ...VIOLATIONS_ADDED.values, true: { type: 'S' as const, constant: 'yes' } } };
    expect(problemsOf(mistyped)).toEqual(['violations added: heuristicHazard is BOOL but :true is S']);
    const unused = { ...VIOLATIONS_ADDED, values: { ...VIOLATIONS_ADDED.values, spare: { type: 'S' as const, argument: 'required' as const } } };
    expect(problemsOf(unused)).toEqual(['violations added: :spare is declared but never used']);
  });

  it("an SDK call takes exactly its write's arguments", () => {
    // @ts-expect-error violations is a required argument of this write
    expect(() => toSdk(VIOLATIONS_ADDED, 'log', { txnId: 't' })).toThrow('no value for :violations');
    // @ts-expect-error true is a constant of this write, not an argument
    expect(() => toSdk(VIOLATIONS_ADDED, 'log', { txnId: 't', violations: new Set(['v']), true: false })).toThrow('not an argument');
  });

  it.each(COORDINATOR_VARIANTS)("the %s state machine's commit decisions leave the claim's byStatus key as it is, and an abort moves it", (variant) => {
    // With a keys-only index, an unchanged key is no index write; a changed one a delete plus a put (2 units).
    const config = loadParticipantConfig();
    const request = { txnId: 'some-txn', timeoutSeconds: 30, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] };
    const input = executionInput('some-txn', request, config, localParticipantFunctions(config));
    const claimed = claimItem(input, new Date(0).toISOString()).statusPartition;
    const definition = JSON.parse(readFileSync(aslPath(variant), 'utf8')) as { States: Record<string, unknown> };
    const partitionsSet = new Map<string, string>();
    for (const [, task] of dynamoTasks(definition.States)) {
      const parameters = task.Parameters ?? {};
      const value = (parameters.ExpressionAttributeValues?.[':statusPartition'] as { 'S.$'?: string } | undefined)?.['S.$'];
      const format = value && /^States\.Format\('([A-Z]+)#\{\}', \$\.logShards\.shard\)$/.exec(value)?.[1];
      const name = describedSignatures.get(signature(parameters));
      if (format && name) partitionsSet.set(name, `${format}#${input.logShards.shard}`);
    }
    for (const write of [COMMIT_DECISION, ONE_PHASE_RECEIPT, LEARNT_ONE_PHASE_COMMIT, ONE_PHASE_LEFT_TO_RECOVERY]) {
      expect({ write: write.name, statusPartition: partitionsSet.get(write.name) }).toEqual({ write: write.name, statusPartition: claimed });
    }
    expect(partitionsSet.get(ABORT_DECISION.name)).toBe(`ABORTING#${input.logShards.shard}`);
  });
});
