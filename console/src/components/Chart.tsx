/**
 * A time-series chart (uPlot: canvas, about 50 KB, fast enough to redraw every scrape). An alarm
 * threshold is drawn as a dashed red line, the way the CloudWatch dashboard shows it. A canvas
 * cannot read CSS, so its colours are the stylesheet's variables resolved for the reader's colour
 * scheme, and the chart is drawn again when the scheme changes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: Array<number | null>;
  /** A colour variable of the stylesheet (`--ok`), so the line follows the colour scheme. */
  color: `--${string}`;
  dash?: number[];
}

/** Until the window fills, at least this much, so the first few points do not stretch across the chart. */
const MIN_SPAN_SECONDS = 60;

/** The time axis: one line per label (uPlot's default adds a date row whose labels overlap), at least this far apart. */
const TIME_LABEL_SPACE_PX = 72;
const two = (n: number) => String(n).padStart(2, '0');
/** Local wall-clock time: seconds only when the ticks are less than a minute apart. */
export function timeLabel(epochSeconds: number, stepSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const minutes = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return stepSeconds < 60 ? `${minutes}:${two(d.getSeconds())}` : minutes;
}

/** The reader's colour scheme, followed live: the canvas is redrawn in the new colours. */
function useColorScheme(): 'light' | 'dark' {
  const query = matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const on = () => setDark(query.matches);
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, []);
  return dark ? 'dark' : 'light';
}

/**
 * Where each x-axis label was drawn (text and horizontal extent, in CSS pixels), from what uPlot
 * itself drew: kept on the chart's element so a browser test can check that no two overlap.
 */
function recordTimeLabels(u: uPlot, element: HTMLElement) {
  const axis = u.axes[0] as uPlot.Axis & { _values?: Array<string | number | null> | null; _splits?: number[] | null };
  const values = axis._values ?? [];
  const splits = axis._splits ?? [];
  const ctx = u.ctx;
  ctx.save();
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  const labels = splits.flatMap((split, i) => {
    const text = values[i];
    if (text === null || text === undefined || text === '') return [];
    const centre = u.valToPos(split, 'x');
    return String(text)
      .split('\n')
      .map((line, row) => {
        const half = ctx.measureText(line).width / devicePixelRatio / 2;
        return { text: line, row, left: centre - half, right: centre + half };
      });
  });
  ctx.restore();
  element.dataset.timeLabels = JSON.stringify(labels);
}

const axisValue = (v: number, unit: string) => (unit === 'ms' && v >= 1000 ? `${+(v / 1000).toPrecision(3)} s` : `${+v.toPrecision(3)} ${unit}`);

interface Props {
  title: string;
  times: number[];
  /** How much history the chart spans, ending at its latest point. */
  windowSeconds: number;
  lines: Line[];
  unit: string;
  threshold?: { value: number; label: string };
  height?: number;
  /** Fixed y range (success rate 0..100); otherwise from the data (and the threshold). */
  range?: [number, number];
}

export function Chart({ title, times, windowSeconds, lines, unit, threshold, height = 180, range }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const plot = useRef<uPlot | null>(null);
  const thresholdRef = useRef(threshold);
  thresholdRef.current = threshold;
  const shape = `${lines.map((l) => l.label).join('|')}|${unit}|${range?.join(',') ?? ''}|${windowSeconds}`;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const style = getComputedStyle(element);
    const color = (variable: `--${string}`) => style.getPropertyValue(variable).trim() || '#808080';
    const axisColor = color('--chart-axis');
    const gridColor = color('--chart-grid');
    const alarmColor = color('--bad');
    const drawThreshold = (u: uPlot) => {
      const t = thresholdRef.current;
      if (!t) return;
      const y = u.valToPos(t.value, 'y', true);
      if (!Number.isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = alarmColor;
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.fillStyle = alarmColor;
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
            return [Math.max(end - windowSeconds, Math.min(min ?? end, end - MIN_SPAN_SECONDS)), end];
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
        {
          stroke: axisColor,
          grid: { stroke: gridColor },
          ticks: { stroke: gridColor },
          font: '11px system-ui, sans-serif',
          space: TIME_LABEL_SPACE_PX,
          values: (_u, ticks, _axis, _space, step) => ticks.map((t) => timeLabel(t, step)),
        },
        {
          stroke: axisColor,
          grid: { stroke: gridColor },
          ticks: { stroke: gridColor },
          font: '11px system-ui, sans-serif',
          size: 64,
          values: (_u, ticks) => ticks.map((v) => axisValue(v, unit)),
        },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: color(l.color),
          width: 2,
          spanGaps: false,
          ...(l.dash ? { dash: l.dash } : {}),
          points: { show: (u: uPlot) => u.data[0].length < 3 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : axisValue(v, unit)),
        })),
      ],
      hooks: { draw: [drawThreshold, (u) => recordTimeLabels(u, element)] },
    };
    plot.current = new uPlot(options, [[], ...lines.map(() => [])] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height, scheme]);

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
