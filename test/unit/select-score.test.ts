import { describe, expect, it } from 'vitest';
import { bestIndex, candidatesSince, selectionScore, selectionScoreRule, type Candidate } from '../../agents/select.ts';
import type { StepStat } from '../../src/evaluation.ts';
import { setOptionStyle } from '../../src/config.ts';

const steps = (...means: number[]): StepStat[] => means.map((mean, step) => ({ step, mean, sem: 1, perTask: [mean] }));

describe('checkpoint selection score', () => {
  it('is the step-0 mean with no adaptation step, else the sum of the adapted means', () => {
    expect(selectionScore(steps(-40))).toBe(-40);
    expect(selectionScore(steps(-40, -12))).toBe(-12);
    expect(selectionScore(steps(-40, -12, -4, -3))).toBe(-19);
  });

  it('counts step 0 too from step 0', () => {
    expect(selectionScore(steps(-40, -12, -4, -3), 0)).toBe(-59);
    expect(selectionScore(steps(-40, -12), 0)).toBe(-52);
    expect(selectionScore(steps(-40), 0)).toBe(-40);
    expect(selectionScoreRule(3, 0)).toBe('sum of the mean returns after steps 0–3');
    expect(selectionScoreRule(1, 0)).toBe('sum of the mean returns after steps 0–1');
  });

  it('is described in words that match what it computes', () => {
    expect(selectionScoreRule(0)).toBe('mean return at step 0');
    expect(selectionScoreRule(1)).toBe('mean return after step 1');
    expect(selectionScoreRule(3)).toBe('sum of the mean returns after steps 1–3');
  });

  it('picks the highest finite score, the earlier one on a tie', () => {
    expect(bestIndex([-3, -1, Number.NaN, -1])).toBe(1);
    expect(() => bestIndex([Number.NaN])).toThrow(/no candidate/);
  });

  it('keeps the candidates from the given iteration on, and refuses to leave none', () => {
    const c = (name: string, iteration: number): Candidate => ({ name, run: `r/${name}`, iteration });
    const all = [c('start', 0), c('it50', 50), c('it100', 100), c('final', 120)];
    expect(candidatesSince(all, 0)).toEqual(all);
    expect(candidatesSince(all, 1).map((x) => x.name)).toEqual(['it50', 'it100', 'final']);
    expect(candidatesSince(all, 100).map((x) => x.name)).toEqual(['it100', 'final']);
    // One kept since an earlier selection: its score is set against that selection's pick.
    expect(candidatesSince(all, 101).map((x) => x.name)).toEqual(['final']);
    expect(() => candidatesSince(all, 121)).toThrow(/^since: leaves no checkpoint to score.*0, 50, 100, 120.*\(got 121\)/);
    // The command line names the option as its flag.
    setOptionStyle('cli');
    try {
      expect(() => candidatesSince(all, 121)).toThrow(/^--since: leaves no checkpoint/);
    } finally {
      setOptionStyle('code');
    }
  });
});
