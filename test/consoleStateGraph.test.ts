/**
 * The console's state graph: read from the ASL file the service runs, and the path a transaction
 * took inferred from its log item and votes (no state name is known to the inference).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inspection, ParticipantView, TransactionView } from '../console/src/apiTypes.js';
import { type AslMachine, inferPath, stateGraph } from '../console/src/stateGraph.js';
import { transactionFacts } from '../console/src/transactionFacts.js';
import { aslPath } from '../statemachines/source/files.js';

const definition = JSON.parse(readFileSync(aslPath('express'), 'utf8')) as AslMachine;
const graph = stateGraph(definition);
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function inspection(view: Partial<TransactionView>, log: Record<string, unknown>, participants: ParticipantView[]): Inspection {
  const transaction: TransactionView = {
    txnId: 't1', status: 'PREPARING', decision: null, reason: null, participants, heuristicHazard: false,
    createdAt: at(0), decidedAt: null, finishedAt: null, deadline: at(30), timings: { prepareMs: null, decideMs: null, totalMs: null }, ...view,
  };
  return {
    transaction,
    log: { txnId: 't1', createdAt: at(0), timeoutSeconds: 30, requestDigest: 'd', idempotencyKey: '', participantsJson: [], ...log },
    participants: participants.map((p) => ({ ...p, kind: 'ledger', record: null, items: [] })),
    timeline: null,
  };
}

const pathOf = (i: Inspection) => {
  const { facts, iterations } = transactionFacts(i);
  return inferPath(graph, facts, iterations);
};
/** The state writing this literal to this attribute, found by content, so the test names no state either. */
const writer = (attribute: string, value: string) =>
  [...graph.nodes.values()].find((n) => n.claims.some((c) => c.kind === 'attribute' && c.attribute === attribute && c.value === value))?.id;
const passing = (value: string, parent: string) =>
  [...graph.nodes.values()].find((n) => n.type === 'Pass' && n.parent === parent && n.claims.some((c) => c.kind === 'literal' && c.value === value))?.id;
const mapFor = (action: string) => [...graph.nodes.values()].find((n) => n.type === 'Map' && n.claims.some((c) => c.kind === 'literal' && c.value === action))?.id ?? '';

describe('the state graph', () => {
  it('holds every state of the ASL file, Map iterations inside their Map, and its edges', () => {
    const count = (m: AslMachine): number => Object.values(m.States).reduce((n, s) => n + 1 + (s.ItemProcessor ? count(s.ItemProcessor) : 0), 0);
    expect(graph.nodes.size).toBe(count(definition));
    expect(graph.nodes.get(graph.startAt)?.parent).toBeNull();
    for (const edge of graph.edges) expect(graph.nodes.get(edge.to)?.parent).toBe(graph.nodes.get(edge.from)?.parent);
  });
});

describe('the path a transaction took', () => {
  const committed = inspection(
    { status: 'COMMITTED', decision: 'COMMIT', decidedAt: at(1), finishedAt: at(2) },
    { status: 'COMMITTED', decision: 'COMMIT', decidedAt: at(1), votesJson: [], phase2StartedAt: at(1), phase2Json: ['ACKED', 'ACKED'], heuristicHazard: false, finishedAt: at(2) },
    [
      { name: 'a', vote: 'VOTE_COMMIT', reason: null, phaseTwo: 'ACKED' },
      { name: 'b', vote: 'VOTE_COMMIT', reason: null, phaseTwo: 'ACKED' },
    ],
  );

  it('a committed transaction: the commit decision, the commit phase, the final mark and an end; never the abort side', () => {
    const path = pathOf(committed);
    expect(path.states.has(graph.startAt)).toBe(true);
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(true);
    expect(path.states.has(writer('status', 'COMMITTED') ?? '?')).toBe(true);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(false);
    expect(path.states.has(mapFor('commit'))).toBe(true);
    expect(path.states.has(mapFor('abort'))).toBe(false);
    expect(path.states.has(passing('ACKED', mapFor('commit')) ?? '?')).toBe(true);
    expect(path.states.has(passing('SKIPPED', mapFor('commit')) ?? '?')).toBe(false);
    expect(graph.nodes.get(path.last ?? '')?.terminal).toBe(true);
    expect(graph.nodes.get(path.last ?? '')?.type).not.toBe('Fail');
  });

  it('an aborted transaction: the no vote ends its iteration in a Fail state, the abort decision and phase follow', () => {
    const path = pathOf(
      inspection(
        { status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS', decidedAt: at(1), finishedAt: at(2) },
        { status: 'ABORTED', decision: 'ABORT', decidedAt: at(1), abortReason: 'INSUFFICIENT_FUNDS', abortedBy: 'a', phase2StartedAt: at(1), phase2Json: ['ACKED', 'ACKED'], heuristicHazard: false, finishedAt: at(2) },
        [
          { name: 'a', vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS', phaseTwo: 'ACKED' },
          { name: 'b', vote: null, reason: null, phaseTwo: 'ACKED' },
        ],
      ),
    );
    const prepare = mapFor('prepare');
    const failed = path.iterations.get(prepare);
    const failState = [...(failed?.keys() ?? [])].find((s) => graph.nodes.get(s)?.type === 'Fail');
    expect(failState && failed?.get(failState)).toEqual(['a']);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(true);
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(false);
    expect(path.states.has(writer('status', 'ABORTED') ?? '?')).toBe(true);
    // The participant that was aborted, not the coordinator, said no: the coordinator's own abort is not on the path.
    expect(path.states.has(passing('coordinator', '') ?? [...graph.nodes.values()].find((n) => n.parent === null && n.claims.some((c) => c.kind === 'literal' && c.value === 'coordinator'))?.id ?? '?')).toBe(false);
  });

  it('a transaction whose coordinator stopped after the votes: the path stops at the prepare phase, no decision', () => {
    const path = pathOf(
      inspection({ status: 'PREPARING' }, { status: 'PREPARING', openPartition: 'OPEN' }, [
        { name: 'a', vote: null, reason: null, phaseTwo: null },
        { name: 'b', vote: null, reason: null, phaseTwo: null },
      ]),
    );
    expect(path.last).toBe(mapFor('prepare'));
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(false);
  });
});
