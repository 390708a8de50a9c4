import { expect, it } from 'vitest';
import { formatDuration } from '../../agents/trainer.ts';

it("the training line's time left reads as seconds, minutes and seconds, or hours and minutes", () => {
  expect([0, 44.6, 59.4, 60, 725, 3599, 3600, 11_220, -3].map(formatDuration)).toEqual(['0s', '45s', '59s', '1m00s', '12m05s', '59m59s', '1h00m', '3h07m', '0s']);
});
