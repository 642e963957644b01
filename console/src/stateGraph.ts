/**
 * The state machine as a graph, read from the ASL definition itself, and the path one transaction
 * took through it, inferred from what its log item and its participants hold. No state name is
 * known here: each state is judged by what it writes (DynamoDB attributes and literal values) or
 * passes on (literal results such as an outcome or a vote), against the transaction's facts. Pure.
 */

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Comment?: string;
  Resource?: string;
  Parameters?: unknown;
  ItemSelector?: unknown;
  Result?: unknown;
  ResultSelector?: unknown;
  Error?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next: string; ErrorEquals?: string[] }>;
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
  Branches?: AslMachine[];
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
}

export type EdgeKind = 'next' | 'choice' | 'catch';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

/** What a state's execution would leave behind, so the transaction's data can confirm or refute it. */
export type Claim =
  /** A DynamoDB write or condition: `attribute` holds `value` (a literal) or is present (value undefined). */
  | { kind: 'attribute'; attribute: string; value?: string }
  /** A literal the state passes on (a vote, a reason, an outcome, an action). */
  | { kind: 'literal'; value: string };

export interface GraphNode {
  id: string;
  type: string;
  /** The Map or Parallel state this one runs inside, null at the top. */
  parent: string | null;
  /** For a Map or Parallel state: where each iteration starts. */
  startAt: string | null;
  terminal: boolean;
  claims: Claim[];
  /** Log attributes this state stamps with the time it ran (`$$.State.EnteredTime`). */
  stamps: string[];
  /** A write whose condition requires an attribute to be absent: it can be the first write of the item. */
  creates: boolean;
  comment: string | null;
  resource: string | null;
}

export interface StateGraph {
  startAt: string;
  nodes: Map<string, GraphNode>;
  edges: GraphEdge[];
  /** Attributes some state removes: their absence later proves nothing. */
  removed: Set<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** String leaves under keys that are not paths (`key.$`): what the state writes literally. */
function literalLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) literalLeaves(v, out);
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (!k.endsWith('.$')) literalLeaves(v, out);
  return out;
}

/** `{ "S": "X" }` is a literal X; `{ "S.$": ... }` a value from the input; anything else: no claim. */
function attributeValue(value: unknown): { literal: string } | { dynamic: true; enteredTime: boolean } | undefined {
  if (!isRecord(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith('.$')) return { dynamic: true, enteredTime: v === '$$.State.EnteredTime' };
    if (typeof v === 'string') return { literal: v };
  }
  return undefined;
}

interface DynamoParameters {
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

function dynamoClaims(parameters: DynamoParameters, removed: Set<string>): { claims: Claim[]; stamps: string[]; creates: boolean } {
  const claims: Claim[] = [];
  const stamps: string[] = [];
  const names = parameters.ExpressionAttributeNames ?? {};
  const values = parameters.ExpressionAttributeValues ?? {};
  const nameOf = (token: string) => names[token] ?? token;
  const add = (attribute: string, value: unknown) => {
    const v = attributeValue(value);
    if (!v) return;
    if ('literal' in v) claims.push({ kind: 'attribute', attribute, value: v.literal });
    else {
      claims.push({ kind: 'attribute', attribute });
      if (v.enteredTime) stamps.push(attribute);
    }
  };
  for (const [attribute, value] of Object.entries(parameters.Item ?? {})) add(attribute, value);
  const update = parameters.UpdateExpression ?? '';
  const set = /\bSET\s+(.*?)(?=\s+\b(?:REMOVE|ADD|DELETE)\b|$)/i.exec(update)?.[1] ?? '';
  for (const assignment of set.split(',')) {
    const match = /^\s*([#\w]+)\s*=\s*(:\w+)\s*$/.exec(assignment);
    if (match?.[1] && match[2]) add(nameOf(match[1]), values[match[2]]);
  }
  const remove = /\bREMOVE\s+(.*?)(?=\s+\b(?:SET|ADD|DELETE)\b|$)/i.exec(update)?.[1] ?? '';
  for (const token of remove.split(',')) if (token.trim()) removed.add(nameOf(token.trim()));
  // Equality conditions of an attribute with a literal: `decision = :decision` (only the literal ones
  // say anything). `:voteKinds = :two` compares two values from the input, not an attribute.
  for (const match of (parameters.ConditionExpression ?? '').matchAll(/(?<![:\w#])(#?[A-Za-z_]\w*)\s*=\s*(:\w+)/g)) {
    const v = attributeValue(values[match[2] ?? '']);
    if (v && 'literal' in v && match[1]) claims.push({ kind: 'attribute', attribute: nameOf(match[1]), value: v.literal });
  }
  return { claims, stamps, creates: /\battribute_not_exists\s*\(/i.test(parameters.ConditionExpression ?? '') };
}

export function stateGraph(definition: AslMachine): StateGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const removed = new Set<string>();
  const walk = (machine: AslMachine, parent: string | null) => {
    for (const [id, state] of Object.entries(machine.States)) {
      const inner = state.ItemProcessor ?? state.Iterator;
      let claims: Claim[] = [];
      let stamps: string[] = [];
      let creates = false;
      if (state.Type === 'Task' && state.Resource?.includes(':dynamodb:') && isRecord(state.Parameters) && !state.Resource.endsWith('getItem')) {
        ({ claims, stamps, creates } = dynamoClaims(state.Parameters as DynamoParameters, removed));
        // What a write passes on once it is done (a phase-2 outcome it records, the execution's result).
        claims.push(...literalLeaves(state.ResultSelector).map((value): Claim => ({ kind: 'literal', value })));
      } else if (state.Type === 'Pass') {
        claims = literalLeaves(state.Result !== undefined ? state.Result : state.Parameters).map((value) => ({ kind: 'literal', value }));
      } else if (state.Type === 'Map') {
        claims = literalLeaves(state.ItemSelector).map((value) => ({ kind: 'literal', value }));
      }
      nodes.set(id, {
        id,
        type: state.Type,
        parent,
        startAt: inner?.StartAt ?? null,
        terminal: state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
        claims,
        stamps,
        creates,
        comment: state.Comment ?? null,
        resource: state.Resource ?? null,
      });
      if (state.Next) edges.push({ from: id, to: state.Next, kind: 'next' });
      for (const choice of state.Choices ?? []) if (choice.Next) edges.push({ from: id, to: choice.Next, kind: 'choice' });
      if (state.Default) edges.push({ from: id, to: state.Default, kind: 'choice' });
      for (const c of state.Catch ?? []) edges.push({ from: id, to: c.Next, kind: 'catch' });
      if (inner) walk(inner, id);
      for (const branch of state.Branches ?? []) walk(branch, id);
    }
  };
  walk(definition, null);
  // Two edges to the same state (two Choices) draw as one.
  const unique = new Map(edges.map((e) => [`${e.from}>${e.to}`, e]));
  return { startAt: definition.StartAt, nodes, edges: [...unique.values()], removed };
}

/** What is known about one transaction, from GET /transactions/{id}/inspect. */
export interface TransactionFacts {
  /** The coordinator log item as the API returns it. */
  log: Record<string, unknown> | null;
  /** Every status the transaction has held: the protocol moves forward only. */
  statuses: readonly string[];
  /** Literals of the transaction as a whole (decision, abort reason, who aborted, phase actions); each participant's own are in IterationFacts. */
  literals: ReadonlySet<string>;
  final: boolean;
}

export type Verdict = 'evidenced' | 'contradicted' | 'neutral';

/**
 * Attributes that every state able to create the log item writes, yet the log as the API shows it
 * does not carry (index keys the API's view leaves out, or what an item logged outside the machine
 * lacks): a log item exists only once one of those states (or recovery, or an operator) wrote it, so
 * their absence means the view or the writer left them out, and it proves nothing about any state.
 */
export function unseenAttributes(graph: StateGraph, facts: TransactionFacts): Set<string> {
  const unseen = new Set<string>();
  const log = facts.log;
  if (!log) return unseen;
  const creators = [...graph.nodes.values()].filter((n) => n.creates);
  const written = (n: GraphNode) => new Set(n.claims.flatMap((c) => (c.kind === 'attribute' ? [c.attribute] : [])));
  const [first, ...others] = creators.map(written);
  for (const attribute of first ?? []) {
    if (graph.removed.has(attribute) || others.some((w) => !w.has(attribute))) continue;
    const actual = log[attribute];
    if (actual === undefined || actual === null) unseen.add(attribute);
  }
  return unseen;
}

export function verdict(node: GraphNode, facts: TransactionFacts, removed: ReadonlySet<string>, unseen: ReadonlySet<string> = new Set()): Verdict {
  if (node.claims.length === 0) return 'neutral';
  let allHold = true;
  for (const claim of node.claims) {
    if (claim.kind === 'literal') {
      if (!facts.literals.has(claim.value)) allHold = false;
      continue;
    }
    if (unseen.has(claim.attribute)) continue;
    const actual = facts.log?.[claim.attribute];
    const present = actual !== undefined && actual !== null && actual !== '';
    if (claim.value === undefined) {
      // A value from the input may legitimately be empty (an empty string is still written); its
      // absence alone refutes nothing.
      if (actual === undefined || actual === null) allHold = false;
      continue;
    }
    if (claim.attribute === 'status') {
      if (!facts.statuses.includes(claim.value)) return 'contradicted';
      continue;
    }
    if (!present) {
      if (removed.has(claim.attribute)) continue;
      return 'contradicted';
    }
    // The API's view reshapes some attributes (JSON lists parsed and aligned): a literal can only be
    // compared with what is still a plain value.
    if (typeof actual === 'object') continue;
    if (String(actual) !== claim.value) return 'contradicted';
  }
  if (allHold) return 'evidenced';
  // A state that passes on a literal the transaction never saw did not run.
  return node.claims.some((c) => c.kind === 'literal' && !facts.literals.has(c.value)) ? 'contradicted' : 'neutral';
}

const EDGE_COST: Record<EdgeKind, number> = { next: 1, choice: 1, catch: 3 };

/**
 * How a state may be left. A Task whose writes are refuted may still have been entered: its write
 * failed and it left through a Catch. A Map is left through a Catch only when an iteration failed.
 */
export type Exit = 'any' | 'catchOnly' | 'noCatch';

interface Passage {
  blocked: ReadonlySet<string>;
  exits: ReadonlyMap<string, Exit>;
}

const passable = (edge: GraphEdge, passage: Passage) => {
  if (passage.blocked.has(edge.to)) return false;
  const exit = passage.exits.get(edge.from) ?? 'any';
  return exit === 'any' || (exit === 'catchOnly') === (edge.kind === 'catch');
};

/** Cheapest routes from `from` inside one scope, never through a refuted state. */
function distances(graph: StateGraph, from: string, passage: Passage): Map<string, { cost: number; previous: string | null; via: EdgeKind | null }> {
  const best = new Map<string, { cost: number; previous: string | null; via: EdgeKind | null }>([[from, { cost: 0, previous: null, via: null }]]);
  const queue = [from];
  while (queue.length) {
    queue.sort((a, b) => (best.get(a)?.cost ?? 0) - (best.get(b)?.cost ?? 0));
    const current = queue.shift() as string;
    const base = best.get(current)?.cost ?? 0;
    for (const edge of graph.edges) {
      if (edge.from !== current || !passable(edge, passage)) continue;
      const cost = base + EDGE_COST[edge.kind];
      const known = best.get(edge.to);
      if (!known || cost < known.cost) {
        best.set(edge.to, { cost, previous: current, via: edge.kind });
        queue.push(edge.to);
      }
    }
  }
  return best;
}

function route(table: ReturnType<typeof distances>, to: string): string[] {
  const path: string[] = [];
  for (let at: string | null = to; at !== null; at = table.get(at)?.previous ?? null) path.unshift(at);
  return path;
}

type Ending = 'none' | 'success' | 'failure' | 'any';

/** Evidenced states that stay reachable from `from`: a walk goes first to the state that keeps the others in reach. */
const reachableFrom = (graph: StateGraph, from: string, passage: Passage, among: Iterable<string>) => {
  const table = distances(graph, from, passage);
  return [...among].filter((id) => id !== from && table.has(id)).length;
};

/**
 * The walk through one scope: from its start, through every confirmed state in the order they can
 * be reached, then (when the run is known to have ended) on to the nearest end of the right kind.
 */
function walkScope(
  graph: StateGraph,
  startAt: string,
  facts: TransactionFacts,
  ending: Ending,
  unseen: ReadonlySet<string>,
  mapExits: ReadonlyMap<string, Exit> = new Map(),
): { states: string[]; leftVia: Map<string, EdgeKind> } {
  const scope = [...graph.nodes.values()].filter((n) => n.parent === graph.nodes.get(startAt)?.parent);
  const verdicts = new Map(scope.map((n) => [n.id, verdict(n, facts, graph.removed, unseen)]));
  const catches = (id: string) => graph.edges.some((e) => e.from === id && e.kind === 'catch');
  const exits = new Map(mapExits);
  const blocked = new Set<string>();
  for (const n of scope) {
    const judged = verdicts.get(n.id);
    // A Task whose writes are there succeeded; one whose writes are refuted may still have been
    // entered, its write refused (a condition), and left through a Catch.
    if (judged === 'evidenced' && n.type === 'Task' && catches(n.id)) exits.set(n.id, 'noCatch');
    if (judged !== 'contradicted') continue;
    if (n.type === 'Task' && catches(n.id)) exits.set(n.id, 'catchOnly');
    else blocked.add(n.id);
  }
  const passage: Passage = { blocked, exits };
  const leftVia = new Map<string, EdgeKind>();
  if (blocked.has(startAt)) return { states: [], leftVia };
  const states = [startAt];
  const pending = new Set(scope.filter((n) => verdicts.get(n.id) === 'evidenced' && n.id !== startAt).map((n) => n.id));
  let current = startAt;
  const extend = (table: ReturnType<typeof distances>, to: string) => {
    const path = route(table, to);
    for (let i = 1; i < path.length; i++) {
      const step = path[i] as string;
      leftVia.set(path[i - 1] as string, table.get(step)?.via ?? 'next');
      states.push(step);
      pending.delete(step);
    }
    current = to;
  };
  for (;;) {
    const table = distances(graph, current, passage);
    const candidates = [...pending].filter((id) => table.has(id));
    if (candidates.length === 0) break;
    // The nearest state from which the most other confirmed states are still reachable: a route that
    // skips a confirmed state (straight to the abort phase, past the abort decision) is not the one taken.
    const reach = new Map(candidates.map((id) => [id, reachableFrom(graph, id, passage, candidates)]));
    const next = candidates.sort((a, b) => (reach.get(b) ?? 0) - (reach.get(a) ?? 0) || (table.get(a)?.cost ?? 0) - (table.get(b)?.cost ?? 0))[0] as string;
    extend(table, next);
  }
  if (ending !== 'none' && !graph.nodes.get(current)?.terminal) {
    const table = distances(graph, current, passage);
    const wanted = (n: GraphNode) =>
      n.terminal && exits.get(n.id) !== 'catchOnly' && (ending === 'any' || (ending === 'failure' ? n.type === 'Fail' : n.type !== 'Fail'));
    const end = scope.filter((n) => table.has(n.id) && wanted(n)).sort((a, b) => (table.get(a.id)?.cost ?? 0) - (table.get(b.id)?.cost ?? 0))[0];
    if (end) extend(table, end.id);
  }
  return { states, leftVia };
}

export interface IterationFacts {
  name: string;
  literals: ReadonlySet<string>;
  /**
   * The participant actions it answered (`prepare` once it voted, `commit`/`abort` once phase 2
   * reached it): a Map whose literals name an answered action shows this iteration's whole walk;
   * otherwise only its start.
   */
  answered: ReadonlySet<string>;
}

export interface InferredPath {
  /** States on the path, top level and inside Maps (a state inside a Map is on it if any iteration passed). */
  states: Set<string>;
  /** Edges taken, as `from>to`. */
  edges: Set<string>;
  /** The last state the path reaches at the top level: where an unfinished transaction stands. */
  last: string | null;
  /** Per Map state on the path: which iterations (participants) passed each inner state. */
  iterations: Map<string, Map<string, string[]>>;
}

/**
 * The path through the whole machine. Inside a Map, each participant's iteration gets its own walk,
 * with that participant's vote, reason and outcome as facts, to the nearest end. The iterations
 * decide how the Map was left: through a Catch when one of them ended in a Fail state, otherwise
 * not through a Catch.
 */
export function inferPath(graph: StateGraph, facts: TransactionFacts, iterations: readonly IterationFacts[]): InferredPath {
  const states = new Set<string>();
  const edges = new Set<string>();
  const perMap = new Map<string, Map<string, string[]>>();
  const unseen = unseenAttributes(graph, facts);
  const walks = new Map<string, Array<{ name: string; states: string[] }>>();
  const mapExits = new Map<string, Exit>();
  for (const node of graph.nodes.values()) {
    if (!node.startAt) continue;
    const start = node.startAt;
    const walked = iterations.map((iteration) => {
      const own: TransactionFacts = { ...facts, literals: new Set([...facts.literals, ...iteration.literals]) };
      const ended = node.claims.some((c) => c.kind === 'literal' && iteration.answered.has(c.value));
      return { name: iteration.name, ended, states: ended ? walkScope(graph, start, own, 'any', unseen).states : [start] };
    });
    walks.set(node.id, walked);
    const failed = walked.some((w) => w.ended && graph.nodes.get(w.states.at(-1) ?? '')?.type === 'Fail');
    // A Catch is a route taken on evidence only: a Map that failed by itself, with no iteration in a
    // Fail state, is drawn through the states its abort would otherwise take.
    mapExits.set(node.id, failed ? 'catchOnly' : 'noCatch');
  }
  const everyone: TransactionFacts = { ...facts, literals: new Set([...facts.literals, ...iterations.flatMap((i) => [...i.literals])]) };
  const top = walkScope(graph, graph.startAt, everyone, facts.final ? 'success' : 'none', unseen, mapExits);
  const addPath = (path: string[]) => {
    path.forEach((s, i) => {
      states.add(s);
      if (i > 0) edges.add(`${path[i - 1]}>${s}`);
    });
  };
  addPath(top.states);
  const visit = (mapId: string) => {
    const passes = new Map<string, string[]>();
    for (const walked of walks.get(mapId) ?? []) {
      addPath(walked.states);
      for (const s of walked.states) passes.set(s, [...(passes.get(s) ?? []), walked.name]);
      for (const s of walked.states) if (graph.nodes.get(s)?.startAt) visit(s);
    }
    perMap.set(mapId, passes);
  };
  for (const id of top.states) if (graph.nodes.get(id)?.startAt) visit(id);
  return { states, edges, last: top.states.at(-1) ?? null, iterations: perMap };
}
