/**
 * The state machine drawn from its ASL definition (elkjs lays it out: layered, Map iterations as
 * nested boxes), with the path this transaction took highlighted, the state where an unfinished
 * one stands marked, and per state what the log says about its timing. Rendered as SVG text nodes,
 * so nothing from the definition or the log is ever parsed as markup.
 *
 * The layout is far wider than a screen, so the box shows a view of it (graphView.ts): it opens on
 * this transaction's path, "Fit" shows the whole machine as wide as the box, and the view zooms
 * (wheel, buttons, + and −) and pans (drag, arrow keys).
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Box, type View, type Viewport, fitBox, fitWidth, pan, union, viewBox, zoomAt } from '../graphView.js';
import type { GraphNode, InferredPath, StateGraph as Graph } from '../stateGraph.js';

// The layout engine is most of the bundle: loaded only when a transaction page draws its graph.
let elk: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | undefined;
const layoutEngine = () => (elk ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK()));
const LINE = 15;
/** The box's height in pixels; its width is the page's. */
const BOX_HEIGHT = 560;
const ZOOM_STEP = 1.25;
const PAN_STEP_PX = 80;

/** Every laid-out state's box in the graph's own coordinates (elk places children relative to their parent). */
function absoluteBoxes(node: ElkNode, offset = { x: 0, y: 0 }, out = new Map<string, Box>()): Map<string, Box> {
  for (const child of node.children ?? []) {
    const x = offset.x + (child.x ?? 0);
    const y = offset.y + (child.y ?? 0);
    out.set(child.id, { x, y, width: child.width ?? 0, height: child.height ?? 0 });
    absoluteBoxes(child, { x, y }, out);
  }
  return out;
}

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
  const box = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport | null>(null);
  const [view, setView] = useState<View | null>(null);
  const drag = useRef<{ x: number; y: number; from: View } | null>(null);
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

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setViewport({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [laidOut !== null]);

  const whole: Box | null = laidOut ? { x: 0, y: 0, width: laidOut.width ?? 0, height: laidOut.height ?? 0 } : null;
  const boxes = laidOut ? absoluteBoxes(laidOut) : new Map<string, Box>();
  // The path's own states, not the Maps around them: a Map's box spans every iteration's states.
  const pathBox = union([...(path?.states ?? [])].filter((id) => !graph.nodes.get(id)?.startAt).flatMap((id) => boxes.get(id) ?? []));
  const openingView = (vp: Viewport): View | null => (pathBox ? fitBox(pathBox, vp) : whole ? fitWidth(whole, vp) : null);

  // Open on the path once the layout and the box's size are known; later relayouts keep the reader's view.
  useEffect(() => {
    if (!view && viewport && viewport.width > 0 && laidOut) setView(openingView(viewport));
  }, [laidOut, viewport]);

  if (error) return <p class="error">The state machine could not be laid out: {error}</p>;
  if (!laidOut) return <p class="muted">Laying out the state machine…</p>;

  const current = viewport ? view : null;
  const centre = () => ({ x: (viewport?.width ?? 0) / 2, y: (viewport?.height ?? 0) / 2 });
  const zoom = (factor: number, at = centre()) => viewport && current && setView(zoomAt(current, factor, at, viewport));
  const move = (dx: number, dy: number) => current && setView(pan(current, dx, dy));
  const fitAll = () => viewport && whole && setView(fitWidth(whole, viewport));
  const showPath = () => viewport && setView(openingView(viewport));
  const onKey = (event: KeyboardEvent) => {
    const actions: Record<string, () => void> = {
      ArrowLeft: () => move(PAN_STEP_PX, 0),
      ArrowRight: () => move(-PAN_STEP_PX, 0),
      ArrowUp: () => move(0, PAN_STEP_PX),
      ArrowDown: () => move(0, -PAN_STEP_PX),
      '+': () => zoom(ZOOM_STEP),
      '=': () => zoom(ZOOM_STEP),
      '-': () => zoom(1 / ZOOM_STEP),
      '0': fitAll,
      p: showPath,
    };
    const action = actions[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    action();
  };
  const local = (event: { clientX: number; clientY: number }) => {
    const rect = box.current?.getBoundingClientRect();
    return { x: event.clientX - (rect?.left ?? 0), y: event.clientY - (rect?.top ?? 0) };
  };

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

  const shown = current && viewport ? viewBox(current, viewport) : { x: -4, y: -4, width: (laidOut.width ?? 0) + 8, height: (laidOut.height ?? 0) + 8 };
  return (
    <div class="graph">
      <div class="graph-tools" role="toolbar" aria-label="State machine view">
        <button type="button" class="secondary small-button" onClick={() => zoom(ZOOM_STEP)} aria-label="Zoom in" data-testid="graph-zoom-in">
          +
        </button>
        <button type="button" class="secondary small-button" onClick={() => zoom(1 / ZOOM_STEP)} aria-label="Zoom out" data-testid="graph-zoom-out">
          −
        </button>
        <button type="button" class="secondary small-button" onClick={fitAll} data-testid="graph-fit">
          Fit
        </button>
        <button type="button" class="secondary small-button" onClick={showPath} disabled={!pathBox} data-testid="graph-path">
          Path
        </button>
        <span class="muted small">Wheel or + − to zoom, drag or arrow keys to move, 0 fits the width, P shows the path.</span>
      </div>
      <div
        ref={box}
        class={`graph-box${drag.current ? ' dragging' : ''}`}
        style={{ height: `${BOX_HEIGHT}px` }}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the view is moved with the keyboard, so it takes focus.
        tabIndex={0}
        // Keys move the view here instead of scrolling the page.
        role="application"
        aria-label="State machine: arrow keys move the view, + and − zoom"
        data-testid="graph-box"
        data-scale={current ? current.scale.toFixed(3) : ''}
        onKeyDown={onKey}
        onWheel={(event) => {
          event.preventDefault();
          zoom(Math.exp(-event.deltaY * 0.0015), local(event));
        }}
        onPointerDown={(event) => {
          if (!current || event.button !== 0) return;
          drag.current = { ...local(event), from: current };
          event.currentTarget.setPointerCapture(event.pointerId);
        }}
        onPointerMove={(event) => {
          const start = drag.current;
          if (!start) return;
          const at = local(event);
          setView(pan(start.from, at.x - start.x, at.y - start.y));
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
        onPointerCancel={() => {
          drag.current = null;
        }}
      >
        <svg
          viewBox={`${shown.x} ${shown.y} ${shown.width} ${shown.height}`}
          width="100%"
          height="100%"
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
    </div>
  );
}
