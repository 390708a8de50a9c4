import { expect, it } from 'vitest';
import { etaText, formatDuration } from '../../agents/trainer.ts';

it("the training line's time left reads as seconds, minutes and seconds, or hours and minutes", () => {
  expect([0, 44.6, 59.4, 60, 725, 3599, 3600, 11_220, -3].map(formatDuration)).toEqual(['0s', '45s', '59s', '1m00s', '12m05s', '59m59s', '1h00m', '3h07m', '0s']);
});

it("the time left is at the pace of the iterations after a process's first (which also warms up), and not given after the first or the last", () => {
  // Iterations 10..19 of a resumed run: none after its first (10) or its last (19).
  expect(etaText(60_000, 10, 10, 20)).toBe('');
  expect(etaText(60_000, 19, 10, 20)).toBe('');
  // After iteration 12, two iterations (11, 12) took 60 s since the first ended: 30 s each, 7 left.
  expect(etaText(60_000, 12, 10, 20)).toBe('  eta 3m30s');
  expect(etaText(2_000, 1, 0, 3)).toBe('  eta 2s');
});
