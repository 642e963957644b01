/**
 * The state machine drawn from its ASL definition (elkjs lays it out: layered, Map iterations as
 * nested boxes), with the path this transaction took highlighted, the state where an unfinished
 * one stands marked, and per state what the log says about its timing. Rendered as SVG text nodes,
 * so nothing from the definition or the log is ever parsed as markup.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import { useEffect, useState } from 'preact/hooks';
import type { GraphNode, InferredPath, StateGraph as Graph } from '../stateGraph.js';

// The layout engine is most of the bundle: loaded only when a transaction page draws its graph.
let elk: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | undefined;
const layoutEngine = () => (elk ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK()));
const LINE = 15;

interface Props {
  graph: Graph;
  path: InferredPath | null;
  /** Per state: a short note (a time, a duration, the participants that passed). */
  notes: Map<string, string>;
  /** The transaction is not final: the path's last state is where it stands. */
  unfinished: boolean;
}

function nodeSize(node: GraphNode, note: string | undefined) {
  const width = Math.max(node.id.length * 7.4 + 28, (note?.length ?? 0) * 6.4 + 20, 90);
  return { width, height: note ? 44 : 30 };
}

async function layout(graph: Graph, notes: Map<string, string>): Promise<ElkNode> {
  const build = (parent: string | null): ElkNode[] =>
    [...graph.nodes.values()]
      .filter((n) => n.parent === parent)
      .map((n) => {
        const children = n.startAt ? build(n.id) : [];
        const edges: ElkExtendedEdge[] = graph.edges
          .filter((e) => graph.nodes.get(e.from)?.parent === n.id)
          .map((e) => ({ id: `${e.from}>${e.to}`, sources: [e.from], targets: [e.to] }));
        return children.length
          ? { id: n.id, children, edges, layoutOptions: { 'elk.padding': '[top=30,left=12,bottom=12,right=12]' } }
          : { id: n.id, ...nodeSize(n, notes.get(n.id)) };
      });
  return (await layoutEngine()).layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '18',
      'elk.edgeRouting': 'ORTHOGONAL',
    },
    children: build(null),
    edges: graph.edges.filter((e) => graph.nodes.get(e.from)?.parent === null).map((e) => ({ id: `${e.from}>${e.to}`, sources: [e.from], targets: [e.to] })),
  });
}

export function StateGraph({ graph, path, notes, unfinished }: Props) {
  const [laidOut, setLaidOut] = useState<ElkNode | null>(null);
  const [error, setError] = useState<string | null>(null);
  const noteKey = [...notes].join(';');
  useEffect(() => {
    let live = true;
    layout(graph, notes).then(
      (result) => live && setLaidOut(result),
      (e: unknown) => live && setError(String(e)),
    );
    return () => {
      live = false;
    };
  }, [graph, noteKey]);

  if (error) return <p class="error">The state machine could not be laid out: {error}</p>;
  if (!laidOut) return <p class="muted">Laying out the state machine…</p>;

  const edgeKind = new Map(graph.edges.map((e) => [`${e.from}>${e.to}`, e.kind]));
  const renderEdges = (edges: ElkExtendedEdge[] | undefined) =>
    (edges ?? []).map((edge) => {
      const onPath = path?.edges.has(edge.id) ?? false;
      return (edge.sections ?? []).map((s) => {
        const points = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
        return (
          <polyline
            key={`${edge.id}-${s.id}`}
            class={`edge${onPath ? ' on-path' : ''}${edgeKind.get(edge.id) === 'catch' ? ' catch' : ''}`}
            points={points.map((p) => `${p.x},${p.y}`).join(' ')}
            marker-end={onPath ? 'url(#arrow-on)' : 'url(#arrow)'}
          />
        );
      });
    });

  const renderNode = (n: ElkNode) => {
    const node = graph.nodes.get(n.id);
    if (!node) return null;
    const onPath = path?.states.has(n.id) ?? false;
    const here = unfinished && path?.last === n.id;
    const note = notes.get(n.id);
    const classes = ['state', `type-${node.type.toLowerCase()}`, onPath ? 'on-path' : 'off-path', here ? 'here' : ''].join(' ');
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    const width = n.width ?? 0;
    const height = n.height ?? 0;
    const tip = [`${node.id} (${node.type})`, node.comment ?? '', node.resource ?? ''].filter(Boolean).join('\n');
    if (n.children?.length) {
      return (
        <g key={n.id} transform={`translate(${x},${y})`} class={`${classes} compound`} data-state={n.id} data-on-path={onPath ? 'true' : 'false'}>
          <title>{tip}</title>
          <rect width={width} height={height} rx={8} />
          <text x={10} y={19} class="state-name">
            {node.id}{' '}
            <tspan class="state-type">
              {node.type}
              {note ? ` · ${note}` : ''}
            </tspan>
          </text>
          {renderEdges(n.edges)}
          {n.children.map(renderNode)}
        </g>
      );
    }
    return (
      <g key={n.id} transform={`translate(${x},${y})`} class={classes} data-state={n.id} data-on-path={onPath ? 'true' : 'false'}>
        <title>{tip}</title>
        <rect width={width} height={height} rx={node.type === 'Choice' ? 14 : 5} />
        <text x={width / 2} y={19} text-anchor="middle" class="state-name">
          {node.id}
        </text>
        {note && (
          <text x={width / 2} y={19 + LINE} text-anchor="middle" class="state-note">
            {note}
          </text>
        )}
      </g>
    );
  };

  const width = laidOut.width ?? 0;
  const height = laidOut.height ?? 0;
  return (
    <div class="graph-box">
      <svg
        viewBox={`-4 -4 ${width + 8} ${height + 8}`}
        width={width + 8}
        height={height + 8}
        role="img"
        aria-label="state machine with this transaction's path"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
          <marker id="arrow-on" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow on-path" />
          </marker>
        </defs>
        {renderEdges(laidOut.edges)}
        {(laidOut.children ?? []).map(renderNode)}
      </svg>
    </div>
  );
}
