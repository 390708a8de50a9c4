/** Training curves from a run's `progress.jsonl`, drawn as plain SVG. */

import type { ProgressPoint } from '../src/progress.ts';
import { niceTicks } from '../src/line-chart.ts';
import type { RunKind } from './page-text.ts';

export { parseProgress, type ProgressPoint } from '../src/progress.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Series colours, in the order of {@link RunKind.series}. */
const COLORS = ['#3b6fb6', '#e07b00'];

/**
 * Draws the run's series (mean return, or minus the query loss, before and after adaptation; one
 * line for algos without inner steps) against the meta-iteration into `svg` (viewBox 640×300), as
 * `kind` labels them. Iterations are shown 1-based, as the training log prints them; a short run
 * gets a dot per iteration, so that a single iteration shows.
 */
export function renderCurves(svg: SVGSVGElement, points: readonly ProgressPoint[], kind: Pick<RunKind, 'series' | 'yLabel'>): void {
  const W = 640;
  const H = 300;
  const m = { l: 56, r: 16, t: 16, b: 40 };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  if (points.length === 0) {
    add('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#888' }, 'this run has no progress.jsonl');
    return;
  }
  const xs = points.map((p) => p.iteration + 1);
  // A diverged iteration (NaN) is a gap in its line, and left out of the axis range.
  const ys = points.flatMap((p) => kind.series.map((k) => p[k.key])).filter(Number.isFinite);
  if (ys.length === 0) ys.push(0);
  // One iteration: its dot in the middle of an axis one iteration wide.
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const [x0, x1] = xMax > xMin ? [xMin, xMax] : [xMin - 0.5, xMin + 0.5];
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const pad = (y1 - y0) * 0.05 || 1;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  for (const t of niceTicks(y0, y1)) {
    add('line', { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), stroke: '#ececf1' });
    add('text', { x: m.l - 6, y: sy(t) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, String(t));
  }
  for (const t of niceTicks(x0, x1, 8).filter((t) => Number.isInteger(t))) {
    add('line', { x1: sx(t), x2: sx(t), y1: H - m.b, y2: H - m.b + 4, stroke: '#888' });
    add('text', { x: sx(t), y: H - m.b + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' }, String(t));
  }
  add('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, stroke: '#888' });
  add('line', { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, stroke: '#888' });
  add('text', { x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#333' }, 'meta-iteration');
  add('text', { x: 14, y: (m.t + H - m.b) / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#333', transform: `rotate(-90 14 ${(m.t + H - m.b) / 2})` }, kind.yLabel);
  const dots = points.length <= 20;
  kind.series.forEach(({ key, label }, i) => {
    const color = COLORS[i % COLORS.length]!;
    let pen = 'M';
    const d = points
      .map((p) => {
        if (!Number.isFinite(p[key])) {
          pen = 'M';
          return '';
        }
        const seg = `${pen}${sx(p.iteration + 1).toFixed(1)},${sy(p[key]).toFixed(1)}`;
        pen = 'L';
        return seg;
      })
      .join('');
    add('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, 'data-series': key });
    if (dots) {
      for (const p of points) {
        if (Number.isFinite(p[key])) add('circle', { cx: sx(p.iteration + 1).toFixed(1), cy: sy(p[key]).toFixed(1), r: 3, fill: color, 'data-series': key });
      }
    }
    add('line', { x1: m.l + 14, x2: m.l + 34, y1: m.t + 10 + 18 * i, y2: m.t + 10 + 18 * i, stroke: color, 'stroke-width': 3 });
    add('text', { x: m.l + 40, y: m.t + 14 + 18 * i, 'font-size': 12, fill: '#333' }, label);
  });
}
