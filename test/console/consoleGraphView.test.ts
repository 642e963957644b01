/** The state graph's view: fitting a box or the whole width, zooming about a point, panning (console/src/graphView.ts). */
import { describe, expect, it } from 'vitest';
import { FIT_MAX_SCALE, MAX_SCALE, MIN_SCALE, fitBox, fitWidth, pan, union, viewBox, zoomAt } from '../../console/src/graphView.js';

const viewport = { width: 1000, height: 500 };
const inside = (outer: { x: number; y: number; width: number; height: number }, inner: typeof outer) =>
  inner.x >= outer.x - 1e-9 &&
  inner.y >= outer.y - 1e-9 &&
  inner.x + inner.width <= outer.x + outer.width + 1e-9 &&
  inner.y + inner.height <= outer.y + outer.height + 1e-9;

describe('the state graph view', () => {
  it('fits a box: all of it shown, centred, never blown up past a readable size', () => {
    const path = { x: 2000, y: 100, width: 800, height: 1200 };
    const view = fitBox(path, viewport);
    expect(inside(viewBox(view, viewport), path)).toBe(true);
    expect(view.cx).toBe(2400);
    expect(fitBox({ x: 0, y: 0, width: 50, height: 20 }, viewport).scale).toBe(FIT_MAX_SCALE);
  });

  it('fits the whole graph to the width, its top at the top when it is taller than the box', () => {
    const graph = { x: 0, y: 0, width: 2871, height: 1400 };
    const shown = viewBox(fitWidth(graph, viewport), viewport);
    expect(shown.x).toBeLessThanOrEqual(0);
    expect(shown.x + shown.width).toBeGreaterThanOrEqual(2871);
    expect(shown.y).toBeLessThanOrEqual(0);
    expect(shown.y).toBeGreaterThan(-50);
  });

  it('zooms about the pointer: the point under it stays under it, within the scale limits', () => {
    const view = { cx: 500, cy: 300, scale: 1 };
    const at = { x: 800, y: 100 };
    const under = (v: typeof view) => ({ x: v.cx + (at.x - viewport.width / 2) / v.scale, y: v.cy + (at.y - viewport.height / 2) / v.scale });
    const zoomed = zoomAt(view, 2, at, viewport);
    expect(zoomed.scale).toBe(2);
    expect(under(zoomed).x).toBeCloseTo(under(view).x);
    expect(under(zoomed).y).toBeCloseTo(under(view).y);
    expect(zoomAt(view, 1000, at, viewport).scale).toBe(MAX_SCALE);
    expect(zoomAt(view, 1e-6, at, viewport).scale).toBe(MIN_SCALE);
  });

  it('pans by screen pixels: dragging right shows what lies to the left', () => {
    expect(pan({ cx: 500, cy: 300, scale: 2 }, 100, -40)).toEqual({ cx: 450, cy: 320, scale: 2 });
  });

  it('unions boxes, and has none for no box', () => {
    expect(union([])).toBeNull();
    expect(
      union([
        { x: 10, y: 20, width: 5, height: 5 },
        { x: -5, y: 40, width: 10, height: 10 },
      ]),
    ).toEqual({ x: -5, y: 20, width: 20, height: 30 });
  });
});
