/**
 * A time-series chart (uPlot: canvas, about 50 KB, fast enough to redraw every scrape). An alarm
 * threshold is drawn as a dashed red line, the way the CloudWatch dashboard shows it.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: number[];
}

/** The charts show this much history: the rolling window the page keeps. */
const WINDOW_SECONDS = 360;
/** Until the window fills, at least this much, so the first few points do not stretch across the chart. */
const MIN_SPAN_SECONDS = 60;

const axisValue = (v: number, unit: string) => (unit === 'ms' && v >= 1000 ? `${+(v / 1000).toPrecision(3)} s` : `${+v.toPrecision(3)} ${unit}`);

interface Props {
  title: string;
  times: number[];
  lines: Line[];
  unit: string;
  threshold?: { value: number; label: string };
  height?: number;
  /** Fixed y range (success rate 0..100); otherwise from the data (and the threshold). */
  range?: [number, number];
}

export function Chart({ title, times, lines, unit, threshold, height = 180, range }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const thresholdRef = useRef(threshold);
  thresholdRef.current = threshold;
  const shape = `${lines.map((l) => l.label).join('|')}|${unit}|${range?.join(',') ?? ''}`;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const drawThreshold = (u: uPlot) => {
      const t = thresholdRef.current;
      if (!t) return;
      const y = u.valToPos(t.value, 'y', true);
      if (!Number.isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#ff5c5c';
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.fillStyle = '#ff5c5c';
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.textAlign = 'right';
      ctx.fillText(t.label, u.bbox.left + u.bbox.width - 4 * devicePixelRatio, y - 4 * devicePixelRatio);
      ctx.restore();
    };
    const options: uPlot.Options = {
      width: element.clientWidth || 400,
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // A fixed window ending at the latest scrape, so a few points do not stretch over years.
        x: {
          time: true,
          range: (_u, min, max) => {
            const end = max ?? Date.now() / 1000;
            return [Math.max(end - WINDOW_SECONDS, Math.min(min ?? end, end - MIN_SPAN_SECONDS)), end];
          },
        },
        y: {
          range: (_u, _min, max) => {
            if (range) return range;
            const top = Math.max(max ?? 0, thresholdRef.current ? thresholdRef.current.value * 1.15 : 0, 1);
            return [0, top * 1.05];
          },
        },
      },
      axes: [
        { stroke: '#9aa4b2', grid: { stroke: 'rgba(154,164,178,0.12)' }, ticks: { stroke: 'rgba(154,164,178,0.2)' } },
        {
          stroke: '#9aa4b2',
          grid: { stroke: 'rgba(154,164,178,0.12)' },
          ticks: { stroke: 'rgba(154,164,178,0.2)' },
          size: 64,
          values: (_u, ticks) => ticks.map((v) => axisValue(v, unit)),
        },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          spanGaps: false,
          ...(l.dash ? { dash: l.dash } : {}),
          points: { show: (u: uPlot) => u.data[0].length < 3 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : axisValue(v, unit)),
        })),
      ],
      hooks: { draw: [drawThreshold] },
    };
    plot.current = new uPlot(options, [[], ...lines.map(() => [])] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([times, ...lines.map((l) => l.values)] as uPlot.AlignedData);
  });

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-canvas" />
    </figure>
  );
}
