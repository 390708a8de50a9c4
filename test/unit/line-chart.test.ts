/** The comparison figure's chart (src/line-chart.ts) with a diverged method, and its table. */
import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../src/line-chart.ts';
import { comparisonMarkdown, type Comparison } from '../../agents/compare.ts';

describe('lineChartSvg', () => {
  const base = { title: 't', xLabel: 'number of gradient steps', yLabel: 'query MSE' };

  it('draws every finite point, with an error bar for each positive error', () => {
    const svg = lineChartSvg({ ...base, series: [{ label: 'a', x: [0, 1, 2], y: [3, 2, 1], err: [0.5, 0, 0.25] }] });
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg.match(/<polyline points="([^"]*)"/)![1]!.split(' ')).toHaveLength(3);
    // Two bars, each a vertical line and two caps.
    expect(svg.match(/stroke-width="1.5"/g)).toHaveLength(6);
  });

  it('gives each of many series its own colour (past the palette of ten too)', () => {
    const series = Array.from({ length: 40 }, (_, k) => ({ label: `run ${k}`, x: [0, 1], y: [k, k + 1] }));
    const colours = [...lineChartSvg({ ...base, series }).matchAll(/<polyline points="[^"]*" fill="none" stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(colours).toHaveLength(40);
    expect(new Set(colours).size).toBe(40);
  });

  it('stops a line at its first non-finite point, and the axis range ignores it', () => {
    const svg = lineChartSvg({
      ...base,
      series: [
        { label: 'diverges', x: [0, 1, 2, 3], y: [3, 2, Number.NaN, 1e30], err: [0.1, Number.POSITIVE_INFINITY, 0.1, 0.1] },
        { label: 'never finite', x: [0, 1], y: [Number.NaN, Number.NaN] },
        { label: 'fine', x: [0, 1, 2, 3], y: [4, 3, 2.5, 2] },
      ],
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/<circle/g)).toHaveLength(2 + 4);
    expect(svg).toContain('>never finite</text>'); // still in the legend
    // The y ticks cover the finite points (2 … 4) and not 1e30.
    const ticks = [...svg.matchAll(/text-anchor="end" font-size="12">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...ticks)).toBeLessThanOrEqual(2);
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...ticks)).toBeLessThan(10);
  });
});

describe('comparisonMarkdown', () => {
  it('says which steps diverged instead of printing NaN', () => {
    const step = (k: number, perTask: number[]) => ({ step: k, mean: perTask.reduce((a, b) => a + b, 0) / perTask.length, sem: 0, perTask });
    const c: Comparison = {
      env: 'SineRegression-v0', tasks: 2, episodes: 5, seed: 1, metric: 'mse', gapClosedAfterOneStep: null, mamlMinusPretrained: null, taskList: [], gapByTask: null,
      methods: [{ name: 'meta-sgd', run: 'r', algo: 'meta-sgd', lr: 0.01, iteration: 1, steps: [step(0, [1, 2]), step(1, [0.5, Number.NaN])] }],
    };
    const md = comparisonMarkdown(c);
    expect(md).toContain('| meta-sgd | 0.01 | 1.500 ± 0.000 | diverged (1 of 2 tasks non-finite) |');
    expect(md).not.toContain('NaN');
  });

  it('counts classification shots per class, and gives ProtoNets no α (they take no step)', () => {
    const step = (k: number, v: number) => ({ step: k, mean: v, sem: 0, perTask: [v] });
    const c: Comparison = {
      env: 'Omniglot5Way1Shot-v0', tasks: 1, episodes: 1, seed: 1, metric: 'accuracy', gapClosedAfterOneStep: null, mamlMinusPretrained: null, taskList: [], gapByTask: null,
      methods: [
        { name: 'protonet', run: 'p', algo: 'protonet', lr: 0.4, iteration: 1, steps: [step(0, 90)] },
        { name: 'maml', run: 'm', algo: 'maml', lr: 0.4, iteration: 1, steps: [step(0, 20), step(1, 70)] },
      ],
    };
    const md = comparisonMarkdown(c);
    expect(md).toContain('K = 1 support examples per class');
    expect(md).toContain('| protonet | – | 90.00 (1 task, no s.e.m.) |');
    expect(md).toContain('| maml | 0.4 |');
  });
});

describe('lineChartSvg with a fixed y range', () => {
  it('keeps the given range, and a value far beyond it leaves the plot at a finite coordinate, clipped', () => {
    const svg = lineChartSvg({
      title: 't', xLabel: 'x', yLabel: 'y', yRange: [0, 5],
      series: [{ label: 'blows up', x: [0, 1, 2], y: [2, 1, 1e30], err: [0.1, 0.1, 1e30] }],
    });
    const ticks = [...svg.matchAll(/text-anchor="end" font-size="12">([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...ticks)).toBe(0);
    expect(Math.max(...ticks)).toBe(5);
    const pts = svg.match(/<polyline points="([^"]*)"/)![1]!.split(' ').map((p) => p.split(',').map(Number));
    for (const [x, y] of pts) expect(Number.isFinite(x) && Number.isFinite(y) && Math.abs(y!) < 2000).toBe(true);
    expect(svg).not.toMatch(/e\+/);
    expect(svg).toMatch(/<g clip-path="url\(#plot\)">\n<polyline/);
  });
});
