/**
 * The console's state graph: read from the ASL file the service runs, and the path a transaction
 * took inferred from its log item and votes (no state name is known to the inference).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inspection, ParticipantView, TransactionStatus, TransactionView } from '../../console/src/apiTypes.js';
import type { CoordinatorLogItem } from '../../lambdas/coordinatorLog/coordinatorLog.js';
import { type AslMachine, inferPath, stateGraph } from '../../console/src/stateGraph.js';
import { transactionFacts } from '../../console/src/transactionFacts.js';
import { aslPath } from '../../statemachines/source/files.js';
import { PHASE_MARKERS } from '../../statemachines/source/phaseMarkers.js';

const definition = JSON.parse(readFileSync(aslPath('express'), 'utf8')) as AslMachine;
const graph = stateGraph(definition);
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function inspection(view: Partial<TransactionView>, log: Record<string, unknown>, participants: ParticipantView[]): Inspection {
  const transaction: TransactionStatus = {
    txnId: 't1',
    status: 'PREPARING',
    decision: null,
    reason: null,
    heuristicHazard: false,
    createdAt: at(0),
    decidedAt: null,
    finishedAt: null,
    deadline: at(30),
    timings: { prepareMs: null, decideMs: null, totalMs: null },
    ...view,
    participants: (view.participants ?? participants).map((p) => ({ ...p, state: 'UNKNOWN' })),
  };
  return {
    transaction,
    // Only the attributes each case is about: the inference reads the log attribute by attribute.
    log: {
      txnId: 't1',
      status: transaction.status,
      createdAt: at(0),
      timeoutSeconds: 30,
      requestDigest: 'd',
      idempotencyKey: '',
      participantsJson: [],
      ...log,
    } as CoordinatorLogItem,
    participants: participants.map((p) => ({ ...p, kind: 'ledger', record: null, items: [] })),
    timeline: { phases: [], participants: [], slowest: { prepare: null, phaseTwo: null }, decidedBy: null, recovery: null },
  };
}

const pathOf = (i: Inspection) => {
  const { facts, iterations } = transactionFacts(i);
  return inferPath(graph, facts, iterations);
};
/** The state writing this literal to this attribute, found by content, so the test names no state either. */
const writer = (attribute: string, value: string) =>
  [...graph.nodes.values()].find((n) => n.claims.some((c) => c.kind === 'attribute' && c.attribute === attribute && c.value === value))?.id;
const _passing = (value: string, parent: string) =>
  [...graph.nodes.values()].find((n) => n.type === 'Pass' && n.parent === parent && n.claims.some((c) => c.kind === 'literal' && c.value === value))?.id;
/** Every state writing this literal to this attribute. */
const writers = (attribute: string, value: string) =>
  [...graph.nodes.values()].filter((n) => n.claims.some((c) => c.kind === 'attribute' && c.attribute === attribute && c.value === value)).map((n) => n.id);
/** Where a state goes when it succeeds, and where its Catches go. */
const nextOf = (id: string) => graph.edges.find((e) => e.from === id && e.kind === 'next')?.to ?? '?';
const catchesOf = (id: string) => graph.edges.filter((e) => e.from === id && e.kind === 'catch').map((e) => e.to);
const mapFor = (action: string) =>
  [...graph.nodes.values()].find((n) => n.type === 'Map' && n.claims.some((c) => c.kind === 'literal' && c.value === action))?.id ?? '';

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
    {
      status: 'COMMITTED',
      decision: 'COMMIT',
      decidedAt: at(1),
      votesJson: [],
      phase2StartedAt: at(1),
      phase2Json: ['ACKED', 'ACKED'],
      heuristicHazard: false,
      finishedAt: at(2),
    },
    [
      { name: 'a', vote: 'VOTE_COMMIT', reason: null, phaseTwo: 'ACKED' },
      { name: 'b', vote: 'VOTE_COMMIT', reason: null, phaseTwo: 'ACKED' },
    ],
  );

  it('a committed transaction: the commit decision, the commit phase and its end; never the abort side', () => {
    const path = pathOf(committed);
    const commitDecision = writer('decision', 'COMMIT') ?? '?';
    expect(path.states.has(graph.startAt)).toBe(true);
    expect(path.states.has(commitDecision)).toBe(true);
    // The decision was written: the state was left through its success edge, not a Catch.
    expect(path.edges.has(`${commitDecision}>${nextOf(commitDecision)}`)).toBe(true);
    for (const to of catchesOf(commitDecision)) expect(path.edges.has(`${commitDecision}>${to}`)).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(false);
    expect(path.states.has(mapFor('commit'))).toBe(true);
    expect(path.states.has(mapFor('abort'))).toBe(false);
    // COMMITTED is derived from the participants' records, not written after the commit phase: the
    // one state that writes it (a transaction nobody must commit) is not on the path.
    expect(writers('status', 'COMMITTED').length).toBeGreaterThan(0);
    for (const other of writers('status', 'COMMITTED')) expect(path.states.has(other)).toBe(false);
    // Each participant's commit iteration passed the commit call, and no state that passes on a failed delivery.
    const commitMap = mapFor('commit');
    const iterations = path.iterations.get(commitMap);
    expect(iterations?.get(graph.nodes.get(commitMap)?.startAt ?? '?')).toEqual(['a', 'b']);
    for (const outcome of ['PENDING', 'HEURISTIC_HAZARD']) {
      const failedDelivery = [...graph.nodes.values()].find((n) => n.parent === commitMap && n.claims.some((c) => c.kind === 'literal' && c.value === outcome));
      expect(failedDelivery).toBeDefined();
      expect(path.states.has(failedDelivery?.id ?? '?')).toBe(false);
    }
    expect(path.last).toBe(commitMap);
    expect(graph.nodes.get(path.last ?? '')?.terminal).toBe(true);
    expect(graph.nodes.get(path.last ?? '')?.type).not.toBe('Fail');
  });

  const voteAbortRule = 'the participant voted VOTE_ABORT';
  it('an aborted transaction: the first no ends the prepare phase (its iteration raises it to a Fail state), the abort decision and phase follow, no commit point', () => {
    const path = pathOf(
      inspection(
        { status: 'ABORTED', decision: 'ABORT', reason: 'INSUFFICIENT_FUNDS', decidedAt: at(1), finishedAt: at(2) },
        {
          status: 'ABORTED',
          decision: 'ABORT',
          decidedAt: at(1),
          abortReason: 'INSUFFICIENT_FUNDS',
          abortedBy: 'a',
          abortRule: voteAbortRule,
          phase2StartedAt: at(1),
          phase2Json: ['ACKED', 'ACKED'],
          heuristicHazard: false,
          finishedAt: at(2),
        },
        [
          { name: 'a', vote: 'VOTE_ABORT', reason: 'INSUFFICIENT_FUNDS', phaseTwo: 'ACKED' },
          { name: 'b', vote: null, reason: null, phaseTwo: 'ACKED' },
        ],
      ),
    );
    const prepare = mapFor('prepare');
    const passed = path.iterations.get(prepare);
    const failState = [...(passed?.keys() ?? [])].find((s) => graph.nodes.get(s)?.type === 'Fail');
    expect(failState && passed?.get(failState)).toEqual(['a']);
    // The state that turns the raised no into the abort vote passes on the same rule the log records.
    const raisedNo = [...(passed?.keys() ?? [])].find((s) => graph.nodes.get(s)?.claims.some((c) => c.kind === 'literal' && c.value === voteAbortRule));
    expect(raisedNo && passed?.get(raisedNo)).toEqual(['a']);
    expect(catchesOf(prepare).some((to) => path.edges.has(`${prepare}>${to}`))).toBe(true);
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(true);
    expect(path.states.has(mapFor('abort'))).toBe(true);
    expect(path.states.has(mapFor('commit'))).toBe(false);
    // ABORTED is derived, written by no state: the abort phase is where the path ends.
    expect(writers('status', 'ABORTED')).toEqual([]);
    expect(path.last).toBe(mapFor('abort'));
    expect(graph.nodes.get(path.last ?? '')?.terminal).toBe(true);
    // The participant that was aborted, not the coordinator, said no: the coordinator's own abort is not on the path.
    const coordinatorVote = [...graph.nodes.values()].find(
      (n) => n.parent === null && n.claims.some((c) => c.kind === 'literal' && c.value === 'coordinator'),
    )?.id;
    expect(coordinatorVote).toBeDefined();
    expect(path.states.has(coordinatorVote ?? '?')).toBe(false);
  });

  it('an aborted transaction whose no is answered (a lock conflict): judged at the commit point, whose condition fails; the abort decision and phase follow', () => {
    const lockRule = [...graph.nodes.values()]
      .filter((n) => n.claims.some((c) => c.kind === 'literal' && c.value === 'LOCK_CONFLICT'))
      .flatMap((n) => n.claims.flatMap((c) => (c.kind === 'literal' && c.value.includes(' ') ? [c.value] : [])))[0];
    expect(lockRule).toBeDefined();
    const path = pathOf(
      inspection(
        { status: 'ABORTED', decision: 'ABORT', reason: 'LOCK_CONFLICT', decidedAt: at(1), finishedAt: at(2) },
        {
          status: 'ABORTED',
          decision: 'ABORT',
          decidedAt: at(1),
          abortReason: 'LOCK_CONFLICT',
          abortedBy: 'a',
          abortRule: lockRule,
          phase2StartedAt: at(1),
          phase2Json: ['ACKED', 'ACKED'],
          heuristicHazard: false,
          finishedAt: at(2),
        },
        [
          { name: 'a', vote: 'VOTE_ABORT', reason: 'LOCK_CONFLICT', phaseTwo: 'ACKED' },
          { name: 'b', vote: 'VOTE_COMMIT', reason: null, phaseTwo: 'ACKED' },
        ],
      ),
    );
    const prepare = mapFor('prepare');
    // A lock conflict is an answer: no prepare iteration failed, so the prepare Map was not left through a Catch.
    const passed = path.iterations.get(prepare);
    expect([...(passed?.keys() ?? [])].some((s) => graph.nodes.get(s)?.type === 'Fail')).toBe(false);
    for (const to of catchesOf(prepare)) expect(path.edges.has(`${prepare}>${to}`)).toBe(false);
    // The commit point was tried and refused the ballot: entered, left through its Catch.
    const commitDecision = writer('decision', 'COMMIT') ?? '?';
    // Reached from the prepare phase, through the Choice that sends a transaction to it (or to a one-phase receipt).
    const choice = nextOf(prepare);
    expect(graph.nodes.get(choice)?.type).toBe('Choice');
    expect(path.edges.has(`${prepare}>${choice}`) && path.edges.has(`${choice}>${commitDecision}`)).toBe(true);
    expect(path.edges.has(`${commitDecision}>${nextOf(commitDecision)}`)).toBe(false);
    expect(catchesOf(commitDecision).some((to) => path.edges.has(`${commitDecision}>${to}`))).toBe(true);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(true);
    expect(path.states.has(mapFor('abort'))).toBe(true);
    expect(path.states.has(mapFor('commit'))).toBe(false);
    expect(path.last).toBe(mapFor('abort'));
  });

  it('a participant that never answered: its prepare iteration ends in a Fail state, the prepare Map is left through a Catch, no commit point', () => {
    const rule = [...graph.nodes.values()]
      .filter((n) => n.parent === mapFor('prepare') && n.claims.some((c) => c.kind === 'literal' && c.value === 'TIMEOUT'))
      .flatMap((n) => n.claims.flatMap((c) => (c.kind === 'literal' && c.value !== 'TIMEOUT' ? [c.value] : [])))[0];
    expect(rule).toBeDefined();
    const path = pathOf(
      inspection(
        { status: 'ABORTED', decision: 'ABORT', reason: 'TIMEOUT', decidedAt: at(1), finishedAt: at(2) },
        {
          status: 'ABORTED',
          decision: 'ABORT',
          decidedAt: at(1),
          abortReason: 'TIMEOUT',
          abortedBy: 'a',
          abortRule: rule,
          phase2Json: ['ACKED', 'ACKED'],
          finishedAt: at(2),
        },
        [
          { name: 'a', vote: 'VOTE_ABORT', reason: 'TIMEOUT', phaseTwo: 'ACKED' },
          { name: 'b', vote: null, reason: null, phaseTwo: 'ACKED' },
        ],
      ),
    );
    const prepare = mapFor('prepare');
    const passed = path.iterations.get(prepare);
    const failState = [...(passed?.keys() ?? [])].find((s) => graph.nodes.get(s)?.type === 'Fail');
    expect(failState && passed?.get(failState)).toEqual(['a']);
    expect(catchesOf(prepare).some((to) => path.edges.has(`${prepare}>${to}`))).toBe(true);
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(true);
    expect(path.last).toBe(mapFor('abort'));
  });

  it('a transaction whose participants only read: the commit point refuses it (nothing to commit), and the decision that is final at once ends the path', () => {
    const readOnly = writers('status', 'COMMITTED');
    expect(readOnly).toHaveLength(1);
    const path = pathOf(
      inspection(
        { status: 'COMMITTED', decision: 'COMMIT', decidedAt: at(1), finishedAt: at(1) },
        {
          status: 'COMMITTED',
          decision: 'COMMIT',
          decidedAt: at(1),
          finishedAt: at(1),
          votesJson: [{ name: 'a', vote: 'READ_ONLY' }],
          phase2Json: ['SKIPPED'],
        },
        [{ name: 'a', vote: 'READ_ONLY', reason: null, phaseTwo: 'SKIPPED' }],
      ),
    );
    const commitDecision = writer('decision', 'COMMIT') ?? '?';
    expect(path.edges.has(`${commitDecision}>${nextOf(commitDecision)}`)).toBe(false);
    expect(catchesOf(commitDecision).some((to) => path.edges.has(`${commitDecision}>${to}`))).toBe(true);
    expect(path.states.has(mapFor('commit'))).toBe(false);
    expect(path.states.has(mapFor('abort'))).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(false);
    expect(path.last).toBe(readOnly[0]);
  });

  it('a transaction whose coordinator stopped after the votes: no log item (nothing is logged before the decision), the path stops at the prepare phase', () => {
    const prepared = inspection({ status: 'PREPARING' }, {}, [
      { name: 'a', vote: null, reason: null, phaseTwo: null },
      { name: 'b', vote: null, reason: null, phaseTwo: null },
    ]);
    const path = pathOf({
      ...prepared,
      log: null,
      participants: prepared.participants.map((p) => ({ ...p, record: { txnId: 't1', state: 'PREPARED' } })),
    });
    expect(path.last).toBe(mapFor('prepare'));
    // Each participant's PREPARED record is its yes: its prepare iteration is drawn whole, to a success end.
    const passed = path.iterations.get(mapFor('prepare'));
    expect(passed?.get(graph.nodes.get(mapFor('prepare'))?.startAt ?? '?')).toEqual(['a', 'b']);
    expect([...(passed?.keys() ?? [])].some((s) => graph.nodes.get(s)?.type === 'Fail')).toBe(false);
    expect(path.states.has(writer('decision', 'COMMIT') ?? '?')).toBe(false);
    expect(path.states.has(writer('decision', 'ABORT') ?? '?')).toBe(false);
  });

  it('each phase Map carries the marker the generator exports, which is what the console matches', () => {
    const selectors = [...graph.nodes.values()].filter((n) => n.startAt).map((n) => JSON.stringify(definition.States[n.id]?.ItemSelector ?? {}));
    for (const marker of Object.values(PHASE_MARKERS)) expect(selectors.filter((s) => s.includes(`"${marker}"`)).length).toBeGreaterThanOrEqual(1);
  });
});
