import { expect, it } from 'vitest';
import { ticks } from '../../demo/curves.ts';

it('axis ticks are nice round numbers covering the range, printed without float noise', () => {
  expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(ticks(-0.35, 0.05).map(String)).toEqual(['-0.3', '-0.2', '-0.1', '0']);
  expect(ticks(-47, -3)).toEqual([-40, -30, -20, -10]);
  expect(ticks(1, 2, 8).map(String)).toEqual(['1', '1.2', '1.4', '1.6', '1.8', '2']);
  expect(ticks(3, 3)).toEqual([3]);
});
