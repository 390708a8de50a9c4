import { expect, it } from 'vitest';
import { formatFigure, formatFigureLike, formatStepTable, meanSem } from '../../src/evaluation.ts';

it('the step table prints mean ± s.e.m. and names a diverged step instead of printing NaN', () => {
  const ok = [-3, -5];
  const bad = [0.5, Number.NaN, Number.POSITIVE_INFINITY];
  const table = formatStepTable('Env', [
    { step: 0, ...meanSem(ok), perTask: ok },
    { step: 1, ...meanSem(bad), perTask: bad },
  ]);
  expect(table.split('\n')).toEqual([
    '| Env | step 0 | step 1 |',
    '|---|---|---|',
    '| return (mean ± s.e.m.) | -4.000 ± 1.000 | diverged (2 of 3 tasks non-finite) |',
  ]);
});

it('with one task the step table gives the mean alone and says there is no s.e.m.', () => {
  const one = [-41.25];
  const table = formatStepTable('Env', [{ step: 0, ...meanSem(one), perTask: one }]);
  expect(table.split('\n')[2]).toBe('| return (mean ± s.e.m.) | -41.25 (1 task, no s.e.m.) |');
});

it('evaluate and compare print a figure alike: 3 decimals below 10 in magnitude, else 2', () => {
  expect([-41.254, -3.0804, 0.1449, 9.9999, 10, 76.844].map(formatFigure)).toEqual(['-41.25', '-3.080', '0.145', '10.000', '10.00', '76.84']);
});

it('an s.e.m. has as many decimals as its mean', () => {
  const acc = [17, 19];
  const mse = [0.5, 0.7];
  const table = formatStepTable('Env', [
    { step: 0, ...meanSem(acc), perTask: acc },
    { step: 1, ...meanSem(mse), perTask: mse },
  ]);
  expect(table.split('\n')[2]).toBe('| return (mean ± s.e.m.) | 18.00 ± 1.00 | 0.600 ± 0.100 |');
  expect(formatFigureLike(1.0744, 17.8)).toBe('1.07');
  expect(formatFigureLike(12.5, 3)).toBe('12.500');
});
