/**
 * Training curves (`metarl plot`): the mean return over each meta-iteration's tasks before and after
 * adaptation, from runs' `progress.jsonl`, as a {@link ChartSpec} for {@link lineChartSvg}.
 */
import type { ChartSeries, ChartSpec } from '../src/line-chart.ts';
import { movingAverage, type ProgressPoint } from '../src/progress.ts';

/** One run to plot: its label, its progress lines, and whether its returns are minus a query loss. */
export interface CurveRun {
  name: string;
  points: readonly ProgressPoint[];
  supervised: boolean;
}

/**
 * Two lines per run, in one colour: after adaptation (solid) and before (dashed), against the
 * meta-iteration (1 for the first, as in the training log), each a trailing moving average over
 * `smooth` iterations (1: the raw values).
 */
export function trainingCurvesSpec(runs: readonly CurveRun[], smooth: number): ChartSpec {
  if (runs.length === 0) throw new RangeError('trainingCurvesSpec: no runs to plot');
  const series: ChartSeries[] = runs.flatMap((r, k) => {
    const x = r.points.map((p) => p.iteration + 1);
    const [after, before] = runs.length === 1 ? ['after adaptation', 'before'] : [`${r.name}, after`, `${r.name}, before`];
    return [
      { label: after, x, y: movingAverage(r.points.map((p) => p.returnsAfter), smooth), colorIndex: k },
      { label: before, x, y: movingAverage(r.points.map((p) => p.returnsBefore), smooth), colorIndex: k, dashed: true },
    ];
  });
  const longest = Math.max(...runs.map((r) => r.points.length));
  const what = runs.every((r) => r.supervised) ? 'minus the query loss' : runs.some((r) => r.supervised) ? 'mean return (supervised: minus the query loss)' : 'mean return';
  return {
    title: `${runs.length === 1 ? runs[0]!.name : 'Training'}: ${runs.every((r) => r.supervised) ? 'minus the query loss' : 'return'} over each meta-batch${smooth > 1 ? ` (moving average over ${smooth})` : ''}`,
    xLabel: 'meta-iteration',
    yLabel: what,
    series,
    // A short run (one still starting) gets a dot per iteration and a tick per iteration.
    integerX: longest <= 10,
    markers: longest <= 20,
    gaps: true,
  };
}
