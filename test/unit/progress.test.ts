/** `parseProgress`: what `metarl plot` and the demo read from a run's `progress.jsonl`. */
import { describe, expect, it } from 'vitest';
import { parseProgress } from '../../src/progress.ts';

const line = (i: number) => JSON.stringify({ iteration: i, returnsBefore: -40 + i, returnsAfter: -20 + i });

describe('parseProgress', () => {
  it('leaves out a last line cut short, as a run still training or a crash leaves it (found by a bad-input trial: plot refused the run)', () => {
    const whole = `${line(0)}\n${line(1)}\n`;
    expect(parseProgress(whole).map((p) => p.iteration)).toEqual([0, 1]);
    expect(parseProgress(`${whole}{"iteration":2,"returnsBe`).map((p) => p.iteration)).toEqual([0, 1]);
    // A whole last line without its newline is read.
    expect(parseProgress(`${whole}${line(2)}`).map((p) => p.iteration)).toEqual([0, 1, 2]);
  });

  it('refuses a line that does not parse before the last', () => {
    expect(() => parseProgress(`${line(0)}\n{"iteration":1,\n${line(2)}\n`)).toThrow('progress.jsonl line 2: not valid JSON');
    // With its newline, a last line was written whole: one that does not parse is corrupt.
    expect(() => parseProgress(`${line(0)}\n{"iteration":1,\n`)).toThrow('progress.jsonl line 2: not valid JSON');
  });
});
