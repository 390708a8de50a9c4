/** Training curves (`metarl plot`): the moving average, the chart spec per run, and how the chart draws them. */
import { describe, expect, it } from 'vitest';
import { movingAverage, parseProgress } from '../../src/progress.ts';
import { trainingCurvesSpec } from '../../agents/curves.ts';
import { lineChartSvg } from '../../src/line-chart.ts';

describe('movingAverage', () => {
  it('averages the last `window` values (fewer at the start) and skips non-finite ones', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 1)).toEqual([1, 2, 3, 4, 5]);
    expect(movingAverage([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(movingAverage([3, Number.NaN, 6, 9], 3)).toEqual([3, 3, 4.5, 7.5]);
    expect(movingAverage([Number.NaN, 2], 1)[0]).toBeNaN();
    expect(() => movingAverage([1], 0)).toThrow('window must be a positive integer, got 0');
  });
});

describe('trainingCurvesSpec', () => {
  const progress = (n: number, f: (i: number) => [number, number]) =>
    parseProgress(Array.from({ length: n }, (_, i) => JSON.stringify({ iteration: i, returnsBefore: f(i)[0], returnsAfter: f(i)[1], kl: 0 })).join('\n'));

  it('gives each run an after (solid) and a before (dashed) line in one colour, against iterations counted from 1', () => {
    const spec = trainingCurvesSpec(
      [
        { name: 'a', points: progress(4, (i) => [-10 - i, -5 - i]), supervised: false },
        { name: 'b', points: progress(2, () => [-1, -0.5]), supervised: true },
      ],
      2,
    );
    expect(spec.series.map((s) => [s.label, s.colorIndex, s.dashed ?? false])).toEqual([
      ['a, after', 0, false],
      ['a, before', 0, true],
      ['b, after', 1, false],
      ['b, before', 1, true],
    ]);
    expect(spec.series[0]!.x).toEqual([1, 2, 3, 4]);
    expect(spec.series[0]!.y).toEqual([-5, -5.5, -6.5, -7.5]);
    expect(spec.yLabel).toBe('mean return (supervised: minus the query loss)');
    expect(spec.title).toBe('Training: return over each meta-batch (moving average over 2)');
    // Supervised runs alone: their title says what is plotted (found by a supervised-path trial).
    expect(trainingCurvesSpec([{ name: 'b', points: progress(2, () => [-1, -0.5]), supervised: true }], 1).title).toBe('b: minus the query loss over each meta-batch');
    expect([spec.markers, spec.integerX, spec.gaps]).toEqual([true, true, true]); // 4 iterations: a dot and a tick each
  });

  it('a diverged iteration (null in progress.jsonl) breaks the line, which goes on after it', () => {
    const points = parseProgress(['{"iteration":0,"returnsBefore":-3,"returnsAfter":-2}', '{"iteration":1,"returnsBefore":null,"returnsAfter":null}', '{"iteration":2,"returnsBefore":-4,"returnsAfter":-1}'].join('\n'));
    expect(points[1]!.returnsAfter).toBeNaN();
    const svg = lineChartSvg(trainingCurvesSpec([{ name: 'r', points, supervised: false }], 1));
    expect(svg.match(/<polyline /g)).toHaveLength(4); // before and after, each in two pieces
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).not.toMatch(/NaN/);
  });

  it('the chart draws dashed lines without dots, and widens the legend for long names', () => {
    const svg = lineChartSvg(trainingCurvesSpec([{ name: 'x'.repeat(40), points: progress(30, (i) => [-i, -i / 2]), supervised: false }, { name: 'y', points: progress(30, () => [0, 1]), supervised: false }], 1));
    expect(svg).not.toContain('<circle');
    expect(svg.match(/<polyline [^>]*stroke-dasharray/g)).toHaveLength(2);
    const width = Number(/<svg [^>]*width="([\d.]+)"/.exec(svg)![1]);
    expect(width).toBeGreaterThan(720 + 7.8 * 40 - 170);
  });
});
