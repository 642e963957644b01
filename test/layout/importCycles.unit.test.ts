/**
 * The top-level folders of lambdas/ depend on each other in one direction only: no import cycle
 * between two folders (docs/architecture.md, "Layout rules"). A cycle means a module sits in the wrong
 * folder, or a shared piece has not been given its own home.
 */
import { describe, expect, it } from 'vitest';
import { importsOf, sourceFiles } from '../support/importGraph.js';

/** lambdas/<folder>/... -> <folder>; a file directly in lambdas/ is its own unit. */
const unitOf = (file: string): string => file.split('/')[1] ?? file;

/** The folder-level graph: which folder imports which, with one file pair that shows each edge. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles('lambdas')) {
    for (const target of importsOf(file)) {
      if (!target.startsWith('lambdas/') || unitOf(target) === unitOf(file)) continue;
      const edges = graph.get(unitOf(file)) ?? new Map<string, string>();
      if (!edges.has(unitOf(target))) edges.set(unitOf(target), `${file} -> ${target}`);
      graph.set(unitOf(file), edges);
    }
  }
  return graph;
}

/** Every pair of folders that reach each other, with the path of imports that closes the loop. */
function folderCycles(graph: Map<string, Map<string, string>>): string[] {
  const reach = (from: string, to: string): string[] | undefined => {
    const seen = new Set([from]);
    const queue: Array<[string, string[]]> = [[from, []]];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [at, path] = next;
      for (const [target, example] of graph.get(at) ?? []) {
        if (target === to) return [...path, example];
        if (!seen.has(target)) {
          seen.add(target);
          queue.push([target, [...path, example]]);
        }
      }
    }
    return undefined;
  };
  const cycles: string[] = [];
  const folders = [...graph.keys()].sort();
  for (const a of folders) {
    for (const b of folders) {
      if (a >= b) continue;
      const there = reach(a, b);
      const back = there && reach(b, a);
      if (there && back) cycles.push(`${a} <-> ${b}: ${[...there, ...back].join(', ')}`);
    }
  }
  return cycles;
}

/**
 * Two edges into lambdas/participants/ close cycles (participants imports both folders), left while
 * that folder is rewritten (one participant step shared by the built-in runtime and the barrier):
 * observability reads the participant's message and record types, and the participant config names
 * the kinds. They are taken out of the graph here; any other cycle fails.
 */
const KNOWN_EDGES: Array<[string, string]> = [
  ['observability', 'participants'],
  ['config', 'participants'],
];

describe('lambdas/ folders import each other one way', () => {
  it('no cycle between two top-level folders but the known ones', () => {
    const graph = folderGraph();
    for (const [from, to] of KNOWN_EDGES) graph.get(from)?.delete(to);
    expect(folderCycles(graph)).toEqual([]);
  });

  it('the check finds a cycle when there is one', () => {
    const graph = new Map([
      ['api', new Map([['recovery', 'lambdas/api/a.ts -> lambdas/recovery/b.ts']])],
      ['recovery', new Map([['coordinator', 'lambdas/recovery/b.ts -> lambdas/coordinator/c.ts']])],
      ['coordinator', new Map([['api', 'lambdas/coordinator/c.ts -> lambdas/api/d.ts']])],
    ]);
    expect(folderCycles(graph)).toHaveLength(3);
    expect(folderCycles(new Map([['api', new Map([['recovery', 'x']])]]))).toEqual([]);
  });
});
