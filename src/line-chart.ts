/** One series of a {@link lineChartSvg}: y ± err at each x. */
export interface ChartSeries {
  label: string;
  x: number[];
  y: number[];
  /** Error bar half-heights (e.g. s.e.m.); omit for none. */
  err?: number[];
  /** Draw as a horizontal dashed reference line at y[0] across the whole x range. */
  reference?: boolean;
  /** Draw the line dashed (e.g. the return before adaptation beside the one after). */
  dashed?: boolean;
  /** Index into the palette; default the series' position (series sharing a colour share a run). */
  colorIndex?: number;
}

/** What {@link lineChartSvg} draws. */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
  /** Integer ticks on x (gradient steps). Default true. */
  integerX?: boolean;
  /** A fixed y range [lo, hi]; what lies outside is clipped at the plot's edge. Default: the data's range. */
  yRange?: [number, number];
  /** A dot at every point. Default true; false for long curves (training returns per iteration). */
  markers?: boolean;
  /**
   * At a non-finite y, break the line and go on after it (training curves, where one iteration
   * may diverge and the next recover). Default false: a line stops at its first non-finite y (an
   * adaptation that diverged stays diverged), and what follows is left out of the axis range too.
   */
  gaps?: boolean;
}

/** A series up to its first non-finite y, with non-finite error bars dropped (drawn as none). */
function finitePart(s: ChartSeries): ChartSeries {
  const n = s.y.findIndex((y) => !Number.isFinite(y));
  const keep = n < 0 ? s.y.length : n;
  return { ...s, x: s.x.slice(0, keep), y: s.y.slice(0, keep), ...(s.err ? { err: s.err.slice(0, keep).map((e) => (Number.isFinite(e) ? e : 0)) } : {}) };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * The colour of series (or run) `i`: the ten of the palette, then hues a golden angle apart (dark
 * and light in turn), so that no two of the first hundreds share a colour.
 */
export function paletteColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i]!;
  const j = i - PALETTE.length;
  const h = (j * 137.508 + 15) % 360;
  // Darker and lighter than the palette's mid tones, so that a hue near one of them still reads apart.
  const l = j % 2 === 0 ? 0.3 : 0.68;
  const s = 0.7;
  // HSL to RGB (hex; resvg and browsers read it alike).
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return `#${[0, 8, 4].map((n) => channel(n).toString(16).padStart(2, '0')).join('')}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * About `target` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 times a power of
 * ten), each a whole multiple of the step printed without float noise (0.3, not
 * 0.30000000000000004; 0, not 5.55e-17). Used by the figures and the browser demo's curves.
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= target + 1) ?? 10 * mag;
  const ticks: number[] = [];
  // k · step for whole k (not a running sum, whose error would print the zero tick as 5.55e-17).
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) ticks.push(Number((k * step).toPrecision(12)) + 0);
  return ticks;
}

/**
 * A line chart with error bars as a standalone SVG document (fonts: DejaVu Sans, then sans-serif),
 * for the comparison figure: return against the number of gradient steps, one line per method.
 * A point whose y is not finite (an adaptation that diverged) is left out, and its line stops there;
 * a non-finite error bar is not drawn.
 */
export function lineChartSvg(spec: ChartSpec): string {
  spec = { ...spec, series: spec.gaps ? spec.series : spec.series.map(finitePart) };
  // The legend's column grows with its longest label (about 7.8 px a character at 13 px), and the
  // figure with it, so that long run names are not cut off.
  const legend = Math.max(170, 50 + 7.8 * Math.max(0, ...spec.series.map((s) => s.label.length)));
  const W = (spec.width ?? 720) + legend - 170;
  // Taller when the legend (24 px an entry) would run past the plot.
  const H = Math.max(spec.height ?? 460, 48 + 14 + 24 * spec.series.length + 62);
  const m = { l: 78, r: legend, t: 48, b: 62 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = spec.series.filter((s) => !s.reference).flatMap((s) => s.x.filter((_, i) => Number.isFinite(s.y[i])));
  const xMin = Math.min(...(xs.length ? xs : [0]));
  const xMax = Math.max(...(xs.length ? xs : [1]), xMin + 1);
  const ys = spec.series.flatMap((s) => s.y.flatMap((y, i) => (Number.isFinite(y) ? [y - (s.err?.[i] ?? 0), y + (s.err?.[i] ?? 0)] : [])));
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (!(yMax > yMin)) {
    yMin -= 1;
    yMax += 1;
  }
  const pad = 0.06 * (yMax - yMin);
  yMin -= pad;
  yMax += pad;
  if (spec.yRange) [yMin, yMax] = spec.yRange;
  const xPad = 0.04 * (xMax - xMin);
  const sx = (x: number) => m.l + ((x - xMin + xPad) / (xMax - xMin + 2 * xPad)) * pw;
  // Values far outside a fixed yRange are drawn at one plot-height beyond its edge: the line
  // leaves the plot in the right direction and is clipped, with coordinates an SVG renderer takes.
  const sy = (y: number) => m.t + (1 - (Math.min(Math.max(y, yMin - (yMax - yMin)), yMax + (yMax - yMin)) - yMin) / (yMax - yMin)) * ph;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  out.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">${esc(spec.title)}</text>`);
  // Grid and ticks.
  const xTicks = (spec.integerX ?? true) ? Array.from({ length: Math.round(xMax - xMin) + 1 }, (_, i) => xMin + i) : niceTicks(xMin, xMax);
  for (const t of niceTicks(yMin, yMax)) {
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 8}" y="${f(sy(t) + 4)}" text-anchor="end" font-size="12">${t}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${m.t + ph}" y2="${m.t + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${f(sx(t))}" y="${m.t + ph + 20}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 16}" text-anchor="middle" font-size="14">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(20 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, k) => {
    const c = paletteColor(s.colorIndex ?? k);
    const dash = s.reference || s.dashed ? ' stroke-dasharray="7 5"' : '';
    out.push('<g clip-path="url(#plot)">');
    if (!s.y.some(Number.isFinite)) {
      // Nothing finite to draw: the legend entry only.
    } else if (s.reference) {
      out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(sy(s.y[0]!))}" y2="${f(sy(s.y[0]!))}" stroke="${c}" stroke-width="2" stroke-dasharray="7 5"/>`);
    } else {
      // One polyline per run of finite points (one in all without gaps: the series was cut at its first non-finite y).
      const runs: string[][] = [[]];
      s.x.forEach((x, i) => (Number.isFinite(s.y[i]) ? runs[runs.length - 1]!.push(`${f(sx(x))},${f(sy(s.y[i]!))}`) : runs.push([])));
      const faint = s.dashed && spec.markers === false ? ' stroke-opacity="0.6"' : '';
      for (const pts of runs.filter((r) => r.length > 0)) {
        out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="${spec.markers === false ? 1.8 : 2.5}"${dash}${faint}/>`);
      }
      s.x.forEach((x, i) => {
        if (!Number.isFinite(s.y[i])) return;
        const e = s.err?.[i] ?? 0;
        if (e > 0) {
          const X = f(sx(x));
          out.push(`<line x1="${X}" x2="${X}" y1="${f(sy(s.y[i]! - e))}" y2="${f(sy(s.y[i]! + e))}" stroke="${c}" stroke-width="1.5"/>`);
          for (const yy of [s.y[i]! - e, s.y[i]! + e]) out.push(`<line x1="${f(sx(x) - 5)}" x2="${f(sx(x) + 5)}" y1="${f(sy(yy))}" y2="${f(sy(yy))}" stroke="${c}" stroke-width="1.5"/>`);
        }
        if (spec.markers !== false) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(s.y[i]!))}" r="4" fill="${c}"/>`);
      });
    }
    out.push('</g>');
    const ly = m.t + 14 + k * 24;
    const lx = m.l + pw + 16;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2.5"${dash}/>`);
    out.push(`<text x="${lx + 32}" y="${ly + 4}" font-size="13">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
