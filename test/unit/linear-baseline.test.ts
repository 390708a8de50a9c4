import { describe, expect, it } from 'vitest';
import { LinearBaselineFitError, LinearFeatureBaseline } from '../../src/linear-baseline.ts';
import { createRng } from '../../src/rng.ts';
import type { Episodes } from '../../src/types.ts';
import { makeEpisodes, type EpisodeSpec } from '../helpers/episodes.ts';

// obsDim = 2 → features [o1, o2, o1², o2², τ, τ², τ³, 1] with τ = t/100.
const W_TRUE = [0.5, -1, 0.25, 0.1, 2, -3, 1.5, 0.7];

/** w·φ written out term by term, independent of the implementation's feature code. */
function trueValue(o1: number, o2: number, step: number): number {
  const tau = step / 100;
  const [a, b, c, d, e, f, g, h] = W_TRUE;
  return a * o1 + b * o2 + c * o1 * o1 + d * o2 * o2 + e * tau + f * tau ** 2 + g * tau ** 3 + h;
}

/** Five episodes of lengths up to 100 (so τ spans [0, 0.99]) with observations in (−3, 3). */
function randomSpecs(): EpisodeSpec[] {
  const rng = createRng(7).fork('linear-baseline-test');
  return [100, 80, 61, 100, 37].map((L) => ({
    obs: Array.from({ length: L }, () => [rng.uniformRange(-3, 3), rng.uniformRange(-3, 3)]),
    rewards: new Array<number>(L).fill(0),
    end: L === 100 ? ('truncated' as const) : ('terminated' as const),
    finalObs: [rng.uniformRange(-3, 3), rng.uniformRange(-3, 3)],
  }));
}

/** Targets y = w·φ computed from the stored (float32) observations; `padTarget` on padded steps. */
function exactTargets(ep: Episodes, padTarget = 0): Float32Array {
  const y = new Float32Array(ep.T * ep.B).fill(padTarget);
  for (let t = 0; t < ep.T; t++) {
    for (let b = 0; b < ep.B; b++) {
      const i = t * ep.B + b;
      if (ep.mask[i]) y[i] = trueValue(ep.obs[2 * i], ep.obs[2 * i + 1], t);
    }
  }
  return y;
}

describe('LinearFeatureBaseline', () => {
  it('predicts 0 before any fit', () => {
    const ep = makeEpisodes(randomSpecs());
    const bl = new LinearFeatureBaseline();
    expect(bl.weights).toBeNull();
    expect(bl.predict(ep).every((v) => v === 0)).toBe(true);
    expect(bl.predictFinal(ep).every((v) => v === 0)).toBe(true);
  });

  it('recovers known coefficients of an exactly linear target', () => {
    const ep = makeEpisodes(randomSpecs());
    const y = exactTargets(ep);
    const bl = new LinearFeatureBaseline({ regCoeff: 1e-10 });
    bl.fit(ep, y);
    const w = bl.weights!;
    expect(w.length).toBe(8);
    W_TRUE.forEach((wt, k) => expect(Math.abs(w[k] - wt), `w[${k}]`).toBeLessThan(1e-3));
    expect(bl.regCoeffUsed).toBe(1e-10);

    const pred = bl.predict(ep);
    for (let i = 0; i < pred.length; i++) {
      if (ep.mask[i]) expect(Math.abs(pred[i] - y[i]), `pred[${i}]`).toBeLessThan(1e-4);
      else expect(pred[i]).toBe(0);
    }
    const fin = bl.predictFinal(ep);
    for (let b = 0; b < ep.B; b++) {
      const want = trueValue(ep.finalObs[2 * b], ep.finalObs[2 * b + 1], ep.lengths[b]);
      expect(Math.abs(fin[b] - want), `final[${b}]`).toBeLessThan(1e-4);
    }
  });

  it('predictFinal evaluates finalObs at t = lengths[b] (hand-computed)', () => {
    const ep = makeEpisodes(randomSpecs());
    const bl = new LinearFeatureBaseline({ regCoeff: 1e-10 });
    bl.fit(ep, exactTargets(ep));
    // Episode 0 has length 100 → τ = 1. With finalObs [1, 2]:
    // φ = [1, 2, 1, 4, 1, 1, 1, 1], w·φ = 0.5 − 2 + 0.25 + 0.4 + 2 − 3 + 1.5 + 0.7 = 0.35.
    const probe = { ...ep, finalObs: Float32Array.from([1, 2, ...ep.finalObs.slice(2)]) };
    expect(bl.predictFinal(probe)[0]).toBeCloseTo(0.35, 3);
  });

  it('clips observations to ±10', () => {
    const ep = makeEpisodes(randomSpecs());
    const bl = new LinearFeatureBaseline({ regCoeff: 1e-10 });
    bl.fit(ep, exactTargets(ep));
    const at = (o1: number): number =>
      bl.predictFinal({ ...ep, finalObs: Float32Array.from([o1, 0, ...ep.finalObs.slice(2)]) })[0];
    // o1 = 15 and o1 = 1e6 are both seen as 10: 0.5·10 + 0.25·100 + (τ = 1 terms) 2 − 3 + 1.5 + 0.7 = 31.2.
    expect(at(15)).toBeCloseTo(31.2, 2);
    expect(at(1e6)).toBe(at(10));
  });

  it('ignores padded steps (garbage obs, rewards and targets under mask 0)', () => {
    const clean = makeEpisodes(randomSpecs());
    const dirty = makeEpisodes(randomSpecs(), { padValue: 1e6 });
    // Sanity: the dirty batch really holds garbage on padding.
    expect(dirty.obs[(99 * 5 + 4) * 2]).toBe(1e6);
    const a = new LinearFeatureBaseline({ regCoeff: 1e-10 });
    const b = new LinearFeatureBaseline({ regCoeff: 1e-10 });
    a.fit(clean, exactTargets(clean));
    b.fit(dirty, exactTargets(dirty, -5e5));
    // Same real steps, same accumulation order → bitwise-identical weights.
    expect(Array.from(b.weights!)).toEqual(Array.from(a.weights!));
    const pred = b.predict(dirty);
    for (let i = 0; i < pred.length; i++) if (!dirty.mask[i]) expect(pred[i]).toBe(0);
  });

  describe('singular design (constant observation 0.5: o and o² are multiples of the bias)', () => {
    // Returns depend on time only: y = 1 + 2τ − τ², which [τ, τ², τ³, 1] represent exactly.
    const specs: EpisodeSpec[] = [100, 70, 45].map((L) => ({
      obs: new Array<number>(L).fill(0.5),
      rewards: new Array<number>(L).fill(0),
      end: 'terminated' as const,
      finalObs: 0.5,
    }));
    const ep = makeEpisodes(specs);
    const y = new Float32Array(ep.T * ep.B);
    for (let t = 0; t < ep.T; t++) {
      for (let b = 0; b < ep.B; b++) if (ep.mask[t * ep.B + b]) y[t * ep.B + b] = 1 + 2 * (t / 100) - (t / 100) ** 2;
    }

    it('escalates the ridge coefficient and still fits', () => {
      const bl = new LinearFeatureBaseline({ regCoeff: 1e-20, maxTries: 15 });
      bl.fit(ep, y);
      // With reg = 1e-20 the o² pivot is rounding noise, so at least one escalation must happen.
      expect(bl.regCoeffUsed!).toBeGreaterThan(1e-20);
      // A Cholesky pivot below rounding noise, D·ε·max diag(XᵀX) = 6·ε·215 ≈ 2.9e-13 (the bias column
      // sums 1 over the 100 + 70 + 45 real steps), counts as singular; the collinear pivots are ≈ reg,
      // so the accepted reg must exceed that level (ml-matrix alone accepts reg = 1e-14 here).
      expect(bl.regCoeffUsed!).toBeGreaterThan(6 * Number.EPSILON * 215);
      expect(bl.weights!.every(Number.isFinite)).toBe(true);
      const pred = bl.predict(ep);
      for (let i = 0; i < pred.length; i++) {
        expect(Number.isFinite(pred[i])).toBe(true);
        if (ep.mask[i]) expect(Math.abs(pred[i] - y[i]), `pred[${i}]`).toBeLessThan(1e-3);
      }
      expect(bl.predictFinal(ep).every(Number.isFinite)).toBe(true);
    });

    it('fits with the default ridge coefficient', () => {
      const bl = new LinearFeatureBaseline();
      bl.fit(ep, y);
      const pred = bl.predict(ep);
      for (let i = 0; i < pred.length; i++) if (ep.mask[i]) expect(Math.abs(pred[i] - y[i])).toBeLessThan(1e-3);
    });

    it('throws with the last coefficient when escalation runs out, keeping old weights', () => {
      const bl = new LinearFeatureBaseline({ regCoeff: 1e-30, maxTries: 2 });
      let err: unknown;
      try {
        bl.fit(ep, y);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LinearBaselineFitError);
      const fitErr = err as LinearBaselineFitError;
      // Tried 1e-30 then 1e-29.
      expect(fitErr.regCoeff / 1e-29).toBeCloseTo(1, 10);
      expect(fitErr.message).toMatch(/regCoeff 1(\.0+\d*)?e-29/);
      expect(bl.weights).toBeNull();
    });
  });

  it('rejects bad options and mismatched shapes', () => {
    expect(() => new LinearFeatureBaseline({ maxTries: 0 })).toThrow(RangeError);
    expect(() => new LinearFeatureBaseline({ regCoeff: -1 })).toThrow(RangeError);
    const ep = makeEpisodes(randomSpecs());
    expect(() => new LinearFeatureBaseline().fit(ep, new Float32Array(3))).toThrow(RangeError);
  });
});
