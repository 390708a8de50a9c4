import { describe, expect, it } from 'vitest';
import { computeGae, discountedReturns, normalizeAdvantages } from '../../src/returns.ts';
import { makeEpisodes } from '../helpers/episodes.ts';

/**
 * B = 2, T = 3, γ = 0.5 (powers of two keep every value exact in float32).
 *   episode 0: rewards [1, 2], terminated on its 2nd step (t = 1); t = 2 is padding.
 *   episode 1: rewards [1, 0, 4], truncated at t = 2 (the time limit); bootstrap value 2.
 * Time-major index t*B + b, so arrays below read [t0b0, t0b1, t1b0, t1b1, t2b0, t2b1].
 */
const GAMMA = 0.5;
const ep = makeEpisodes(
  [
    { obs: [0, 0], rewards: [1, 2], end: 'terminated', finalObs: 0 },
    { obs: [0, 0, 0], rewards: [1, 0, 4], end: 'truncated', finalObs: 0 },
  ],
  { T: 3, padValue: 77 }, // garbage reward on the padded step must be ignored
);
// V(s_t): episode 0 [0.5, 1], episode 1 [1, 2, 3]; the padded entry holds garbage.
const values = Float32Array.from([0.5, 1, 1, 2, 55, 3]);
// finalValues[0] = 100 must be ignored (terminated); finalValues[1] = 2 bootstraps the truncation.
const finalValues = Float32Array.from([100, 2]);

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `index ${i}`).toBeCloseTo(e, 6));
}

describe('discountedReturns', () => {
  it('stops at termination and bootstraps a truncation', () => {
    // ep0: G1 = 2, G0 = 1 + 0.5·2 = 2.
    // ep1: G2 = 4 + 0.5·2 = 5, G1 = 0 + 0.5·5 = 2.5, G0 = 1 + 0.5·2.5 = 2.25.
    const g = discountedReturns(ep, GAMMA, finalValues);
    expectClose(g, [2, 2.25, 2, 2.5, 0, 5]);
  });

  it('without a bootstrap treats the value after truncation as 0', () => {
    // ep1: G2 = 4, G1 = 0.5·4 = 2, G0 = 1 + 0.5·2 = 2.
    expectClose(discountedReturns(ep, GAMMA), [2, 2, 2, 2, 0, 4]);
  });

  it('γ = 1 gives plain reward sums', () => {
    // ep0: [3, 2]; ep1 with bootstrap 2: [7, 6, 6].
    expectClose(discountedReturns(ep, 1, finalValues), [3, 7, 2, 6, 0, 6]);
  });

  it('throws on a last step that is neither terminated nor truncated', () => {
    const bad = { ...ep, truncated: new Uint8Array(6) };
    expect(() => discountedReturns(bad, GAMMA)).toThrow(/episode 1.*neither terminated nor truncated/);
  });
});

describe('computeGae', () => {
  // δ_t = r_t + γ V(s_{t+1}) − V(s_t):
  //   ep0: δ1 = 2 + 0 − 1 = 1 (terminated: no bootstrap), δ0 = 1 + 0.5·1 − 0.5 = 1.
  //   ep1: δ2 = 4 + 0.5·2 − 3 = 2 (truncated: V = finalValues[1] = 2),
  //        δ1 = 0 + 0.5·3 − 2 = −0.5, δ0 = 1 + 0.5·2 − 1 = 1.
  const delta = [1, 1, 1, -0.5, 0, 2];

  it('λ = 0 gives the TD errors δ_t', () => {
    expectClose(computeGae(ep, values, finalValues, GAMMA, 0), delta);
  });

  it('λ = 1 gives bootstrapped returns minus values', () => {
    // G − V: ep0 [2 − 0.5, 2 − 1] = [1.5, 1]; ep1 [2.25 − 1, 2.5 − 2, 5 − 3] = [1.25, 0.5, 2].
    const adv = computeGae(ep, values, finalValues, GAMMA, 1);
    expectClose(adv, [1.5, 1.25, 1, 0.5, 0, 2]);
    const g = discountedReturns(ep, GAMMA, finalValues);
    const gMinusV = Array.from(g, (x, i) => (ep.mask[i] ? x - values[i] : 0));
    expectClose(adv, gMinusV);
  });

  it('intermediate λ follows A_t = δ_t + γλ A_{t+1}', () => {
    // γλ = 0.25. ep0: A1 = 1, A0 = 1 + 0.25·1 = 1.25.
    // ep1: A2 = 2, A1 = −0.5 + 0.25·2 = 0, A0 = 1 + 0.25·0 = 1.
    expectClose(computeGae(ep, values, finalValues, GAMMA, 0.5), [1.25, 1, 1, 0, 0, 2]);
  });

  it('throws on a last step that is neither terminated nor truncated', () => {
    const bad = { ...ep, terminated: new Uint8Array(6) };
    expect(() => computeGae(bad, values, finalValues, GAMMA, 1)).toThrow(/episode 0.*neither/);
  });

  it('rejects values of the wrong shape', () => {
    expect(() => computeGae(ep, new Float32Array(5), finalValues, GAMMA, 1)).toThrow(RangeError);
  });
});

describe('normalizeAdvantages', () => {
  // The λ = 1 advantages above, with garbage 99 on the padded entry.
  // Real entries: 1.5, 1.25, 1, 0.5, 2 → mean 6.25/5 = 1.25;
  // deviations 0.25, 0, −0.25, −0.75, 0.75 → squares sum 0.0625+0+0.0625+0.5625+0.5625 = 1.25,
  // population variance 1.25/5 = 0.25, σ = 0.5 → normalised 0.5, 0, −0.5, −1.5, 1.5.
  const adv = Float32Array.from([1.5, 1.25, 1, 0.5, 99, 2]);

  it('standardises the masked entries and leaves padding 0', () => {
    const out = normalizeAdvantages(adv, ep.mask, 0);
    expectClose(out, [0.5, 0, -0.5, -1.5, 0, 1.5]);
  });

  it('has masked mean 0 and population std 1 (up to eps)', () => {
    const out = normalizeAdvantages(adv, ep.mask);
    const real = Array.from(out).filter((_, i) => ep.mask[i] !== 0);
    const mean = real.reduce((s, x) => s + x, 0) / real.length;
    const std = Math.sqrt(real.reduce((s, x) => s + (x - mean) ** 2, 0) / real.length);
    expect(mean).toBeCloseTo(0, 6);
    expect(std).toBeCloseTo(1, 6);
    expect(out[4]).toBe(0);
  });

  it('maps a constant batch to zeros', () => {
    const out = normalizeAdvantages(Float32Array.from([3, 3, 3, 3, 9, 3]), ep.mask, 0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
