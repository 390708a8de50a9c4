import { describe, expect, it } from 'vitest';
import { trpoStep, type TrpoConfig, type TrpoProblem } from '../../src/trpo.ts';

const cfg: TrpoConfig = { maxKl: 0.01, cgIters: 10, cgDamping: 0, lsMaxSteps: 15, lsBacktrackRatio: 0.8, cgTruncate: false };

/**
 * loss(x) = x₁ + x₂ at x0 = 0 (gradient [1, 1]); KL(x) = ½ xᵀ diag(2, 1) x. The Fisher-vector product
 * is deliberately broken in its second direction, diag(2, −1), as noise in a finite-difference product
 * can make it: CG's second direction then has curvature −72 (hand trace in conjugate-gradient.test.ts).
 */
function problem(): TrpoProblem & { fvpCalls: () => number } {
  let calls = 0;
  return {
    x0: new Float64Array(2),
    loss0: 0,
    grad: Float64Array.from([1, 1]),
    fvp: async (v) => {
      calls++;
      return Float64Array.from([2 * v[0]!, -v[1]!]);
    },
    evaluate: async (x) => ({ loss: x[0]! + x[1]!, kl: 0.5 * (2 * x[0]! ** 2 + x[1]! ** 2) }),
    fvpCalls: () => calls,
  };
}

describe('trpoStep', () => {
  it('rejects the update when CG meets non-positive curvature and truncation is off', async () => {
    const p = problem();
    const r = await trpoStep(p, cfg);
    expect(r.outcome).toBe('cg-failed');
    expect(r.accepted).toBe(false);
    expect(r.cgStop).toBe('failed');
    expect(r.cgIterations).toBe(1);
    expect(Array.from(r.x)).toEqual([0, 0]);
    expect(r.x).not.toBe(p.x0);
  });

  it('with cgTruncate, steps along the first CG iterate and backtracks to the KL bound', async () => {
    const r = await trpoStep(problem(), { ...cfg, cgTruncate: true });
    // s = [2, 2]; sᵀ(product)s = 8 − 4 = 4, so shs = 2 and the full step is −s·sqrt(δ / 2) = −0.1414·[1, 1]:
    // loss −0.283, KL 0.03 > δ. KL scales with the fraction squared: 0.8³ = 0.512 gives 0.00786 ≤ δ
    // after 0.8 (0.0192) and 0.64 (0.0123) fail, so the fourth candidate is accepted.
    expect(r.outcome).toBe('accepted');
    expect(r.cgStop).toBe('truncated');
    expect(r.cgIterations).toBe(1);
    expect(r.lineSearchSteps).toBe(4);
    expect(r.stepFraction).toBeCloseTo(0.512, 12);
    const xi = -0.512 * 2 * Math.sqrt(0.01 / 2);
    expect(r.x[0]).toBeCloseTo(xi, 12);
    expect(r.x[1]).toBeCloseTo(xi, 12);
    expect(r.kl).toBeLessThanOrEqual(cfg.maxKl);
    expect(r.loss).toBeLessThan(0);
  });

  it('reports converged CG on a well-posed problem and needs no truncation', async () => {
    const p = problem();
    const good: TrpoProblem = { ...p, fvp: async (v) => Float64Array.from([2 * v[0]!, v[1]!]) };
    const r = await trpoStep(good, { ...cfg, cgTruncate: true });
    expect(r.outcome).toBe('accepted');
    expect(r.cgStop).toBe('residual');
    expect(r.cgIterations).toBe(2);
    // s = F⁻¹g = [0.5, 1], shs = ½ sᵀFs = 0.75, full step −s·sqrt(δ/0.75): KL of the full step is exactly δ.
    expect(r.lineSearchSteps).toBe(1);
    expect(r.kl).toBeCloseTo(0.01, 12);
  });

  it('never lets a non-finite gradient reach the parameters', async () => {
    const p = problem();
    const r = await trpoStep({ ...p, grad: Float64Array.from([NaN, 1]) }, { ...cfg, cgTruncate: true });
    expect(r.outcome).toBe('non-finite-gradient');
    expect(r.cgStop).toBe('none');
    expect(Array.from(r.x)).toEqual([0, 0]);
    expect(p.fvpCalls()).toBe(0);
  });
});
