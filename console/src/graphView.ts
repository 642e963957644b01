/**
 * What part of the laid-out state graph the box shows: a centre and a scale (screen pixels per
 * layout unit), turned into the SVG's viewBox. Fitting, zooming about a point and panning are
 * plain arithmetic over plain data, tested without a browser. Pure.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface View {
  /** The layout point at the middle of the box. */
  cx: number;
  cy: number;
  /** Screen pixels per layout unit. */
  scale: number;
}

export interface Viewport {
  width: number;
  height: number;
}

/** Past these the names are unreadable (too small) or one state fills the box (too large). */
export const MIN_SCALE = 0.1;
export const MAX_SCALE = 3;
/** The largest scale a fit chooses: a short path is shown at a readable size, not blown up. */
export const FIT_MAX_SCALE = 1.25;
/** Room left around what is fitted, in screen pixels. */
const FIT_MARGIN_PX = 16;

const clampScale = (scale: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));

/** The smallest box holding all the given boxes; null for none. */
export function union(boxes: readonly Box[]): Box | null {
  if (boxes.length === 0) return null;
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The view that shows all of `box`, centred, as large as fits (never above FIT_MAX_SCALE). */
export function fitBox(box: Box, viewport: Viewport): View {
  const room = (px: number) => Math.max(1, px - 2 * FIT_MARGIN_PX);
  const scale = clampScale(Math.min(room(viewport.width) / Math.max(1, box.width), room(viewport.height) / Math.max(1, box.height), FIT_MAX_SCALE));
  return { cx: box.x + box.width / 2, cy: box.y + box.height / 2, scale };
}

/** The whole graph as wide as the box, its top at the top (a tall graph is then panned down). */
export function fitWidth(graph: Box, viewport: Viewport): View {
  const scale = clampScale(Math.min((viewport.width - 2 * FIT_MARGIN_PX) / Math.max(1, graph.width), FIT_MAX_SCALE));
  const visibleHeight = viewport.height / scale;
  const cy = graph.height * scale <= viewport.height ? graph.y + graph.height / 2 : graph.y - FIT_MARGIN_PX / scale + visibleHeight / 2;
  return { cx: graph.x + graph.width / 2, cy, scale };
}

/** Zoom by `factor`, keeping the layout point under `at` (screen pixels in the box) where it is. */
export function zoomAt(view: View, factor: number, at: { x: number; y: number }, viewport: Viewport): View {
  const scale = clampScale(view.scale * factor);
  const px = view.cx + (at.x - viewport.width / 2) / view.scale;
  const py = view.cy + (at.y - viewport.height / 2) / view.scale;
  return { scale, cx: px - (at.x - viewport.width / 2) / scale, cy: py - (at.y - viewport.height / 2) / scale };
}

/** Move what is shown by a screen-pixel distance (dragging right shows what is to the left). */
export function pan(view: View, dxPx: number, dyPx: number): View {
  return { ...view, cx: view.cx - dxPx / view.scale, cy: view.cy - dyPx / view.scale };
}

/** The SVG viewBox that shows `view` in a box of `viewport` pixels. */
export function viewBox(view: View, viewport: Viewport): Box {
  const width = viewport.width / view.scale;
  const height = viewport.height / view.scale;
  return { x: view.cx - width / 2, y: view.cy - height / 2, width, height };
}
