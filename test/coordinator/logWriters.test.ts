/**
 * Every writer of the coordinator log item sets only attributes its schema (coordinatorLog.ts) knows
 * (issue 23 item 1): the state machine's writes, in both generated ASL files, and the API's claim.
 * Recovery's SDK writes are checked by the names their expressions use, read from its source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOG_ITEM_ATTRIBUTES } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { executionInput } from '../../lambdas/request/executionInput.js';
import { claimItem } from '../../lambdas/request/txnClaim.js';
import { loadParticipantConfig } from '../../lambdas/config/participantConfig.js';
import { localParticipantFunctions } from '../../lambdas/config/participantFunctions.js';

/** The attribute names an update expression sets, adds or removes (`#name` placeholders resolved). */
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

interface Task {
  Resource?: string;
  Parameters?: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> };
}

function tasksOf(states: Record<string, unknown>, into: Array<[string, Task]> = []): Array<[string, Task]> {
  for (const [name, state] of Object.entries(states)) {
    const s = state as Task & { ItemProcessor?: { States: Record<string, unknown> }; Branches?: Array<{ States: Record<string, unknown> }> };
    if (s.Resource?.startsWith('arn:aws:states:::dynamodb:')) into.push([name, s]);
    if (s.ItemProcessor) tasksOf(s.ItemProcessor.States, into);
    for (const branch of s.Branches ?? []) tasksOf(branch.States, into);
  }
  return into;
}

describe('the coordinator log item has one schema, and every writer keeps to it', () => {
  it.each(['standard', 'express'])('each log write of the %s state machine sets only known attributes', (variant) => {
    const definition = JSON.parse(readFileSync(`statemachines/two-phase-commit.${variant}.asl.json`, 'utf8')) as { States: Record<string, unknown> };
    const writes = tasksOf(definition.States).filter(([, t]) => t.Parameters?.UpdateExpression);
    expect(writes.length).toBeGreaterThan(5);
    for (const [name, task] of writes) {
      const unknown = attributesOf(task.Parameters?.UpdateExpression ?? '', task.Parameters?.ExpressionAttributeNames).filter(
        (a) => !LOG_ITEM_ATTRIBUTES.has(a),
      );
      expect({ state: name, unknown }).toEqual({ state: name, unknown: [] });
    }
  });

  it("the API's claim writes only known attributes", () => {
    const config = loadParticipantConfig();
    const request = { txnId: 't', timeoutSeconds: 30, participants: [{ name: 'payer-bank', operations: [{ op: 'credit', key: 'a', amount: 1 }] }] };
    const item = claimItem(executionInput('t', request, config, localParticipantFunctions(config)), new Date(0).toISOString());
    expect(Object.keys(item).filter((a) => !LOG_ITEM_ATTRIBUTES.has(a))).toEqual([]);
  });

  it("recovery's SDK writes set only known attributes", () => {
    const source = readFileSync('lambdas/recovery/coordinatorLogTable.ts', 'utf8');
    // Each clause of every update it builds: the `name = :value` and `ADD name :value` parts, and REMOVE lists.
    const assigned = [...source.matchAll(/['`]([A-Za-z#][A-Za-z0-9]*) = (?:if_not_exists\([^)]*\)|:[A-Za-z]+)/g)].map((m) => m[1] ?? '');
    const added = [...source.matchAll(/['`]([A-Za-z]+) :[A-Za-z]+['`]/g)].map((m) => m[1] ?? '');
    const removed = [...source.matchAll(/REMOVE ([A-Za-z, ]+)[`']/g)].flatMap((m) => (m[1] ?? '').split(',').map((n) => n.trim()));
    const names = [...assigned, ...added, ...removed].map((n) => (n === '#status' ? 'status' : n));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !LOG_ITEM_ATTRIBUTES.has(n))).toEqual([]);
  });

  it('fails for a writer that sets an attribute the schema lacks', () => {
    expect(attributesOf('SET decision = :d, #s = :s, madeUp = :m REMOVE openPartition', { '#s': 'status' }).filter((a) => !LOG_ITEM_ATTRIBUTES.has(a))).toEqual(
      ['madeUp'],
    );
  });
});
