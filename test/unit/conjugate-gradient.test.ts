import { describe, expect, it } from 'vitest';
import {
  conjugateGradient,
  conjugateGradientAsync,
  conjugateGradientReport,
  NonPositiveCurvatureError,
} from '../../src/conjugate-gradient.ts';
import { createRng } from '../../src/rng.ts';

/** Dense row-major n×n matrix-vector product that counts its calls. */
function denseOp(a: number[][]): { fvp: (v: Float64Array) => Float64Array; calls: () => number } {
  let calls = 0;
  return {
    fvp: (v) => {
      calls++;
      return Float64Array.from(a, (row) => row.reduce((s, aij, j) => s + aij * v[j], 0));
    },
    calls: () => calls,
  };
}

function expectVec(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `x[${i}]`).toBeCloseTo(e, 12));
}

describe('conjugateGradient', () => {
  // A = [[4,1,0],[1,3,1],[0,1,2]] (SPD: leading minors 4, 11, 18), x* = [1, −1, 2] → b = A x* = [3, 0, 3].
  // Hand trace:
  //   r0 = p0 = [3,0,3], r0ᵀr0 = 18, A p0 = [12,6,6], p0ᵀAp0 = 54, α0 = 1/3,
  //   x1 = [1,0,1], r1 = [3,0,3] − [4,2,2] = [−1,−2,1], r1ᵀr1 = 6, β0 = 6/18 = 1/3, p1 = [0,−2,2];
  //   A p1 = [−2,−4,2], p1ᵀAp1 = 8 + 4 = 12, α1 = 1/2,
  //   x2 = [1,−1,2], r2 = [−1,−2,1] − [−1,−2,1] = 0 → stops after 2 products.
  const A = [
    [4, 1, 0],
    [1, 3, 1],
    [0, 1, 2],
  ];
  const b = Float64Array.from([3, 0, 3]);

  it('solves a hand-traced 3×3 system in 2 products', () => {
    const op = denseOp(A);
    const x = conjugateGradient(op.fvp, b);
    expectVec(x, [1, -1, 2]);
    expect(op.calls()).toBe(2);
  });

  it('one iteration gives the hand-computed first iterate', () => {
    const op = denseOp(A);
    const x = conjugateGradient(op.fvp, b, { iters: 1 });
    expectVec(x, [1, 0, 1]);
    expect(op.calls()).toBe(1);
  });

  it('returns 0 for b = 0 without calling the product', () => {
    const op = denseOp(A);
    expect(Array.from(conjugateGradient(op.fvp, new Float64Array(3)))).toEqual([0, 0, 0]);
    expect(op.calls()).toBe(0);
  });

  it('throws when pᵀAp ≤ 0 (not positive definite)', () => {
    const negDef = denseOp([
      [-1, 0],
      [0, -1],
    ]);
    expect(() => conjugateGradient(negDef.fvp, Float64Array.from([1, 1]))).toThrow(/pᵀAp = -2/);
  });

  it('reaches residual < 1e-8 on a random 20×20 SPD system within 20 products', () => {
    const n = 20;
    const rng = createRng(3).fork('cg-test');
    const m = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    // A = MᵀM/n + I: symmetric, eigenvalues in [1, ~5].
    const a = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => m.reduce((s, row) => s + row[i] * row[j], 0) / n + (i === j ? 1 : 0)),
    );
    const rhs = Float64Array.from({ length: n }, () => rng.normal());
    const op = denseOp(a);
    const x = conjugateGradient(op.fvp, rhs, { iters: 20, residualTol: 1e-20 });
    expect(op.calls()).toBeLessThanOrEqual(20);
    const ax = denseOp(a).fvp(x);
    const residual = Math.sqrt(ax.reduce((s, v, i) => s + (v - rhs[i]) ** 2, 0));
    expect(residual).toBeLessThan(1e-8);
  });

  it('the async twin gives bit-identical output', async () => {
    const n = 20;
    const rng = createRng(11).fork('cg-async-test');
    const m = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    const a = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => m.reduce((s, row) => s + row[i] * row[j], 0) / n + (i === j ? 0.1 : 0)),
    );
    const rhs = Float64Array.from({ length: n }, () => rng.normal());
    const op = denseOp(a);
    for (const opts of [{}, { iters: 3 }, { iters: 20, residualTol: 1e-20 }]) {
      const sync = conjugateGradient(op.fvp, rhs, opts);
      const asyncX = await conjugateGradientAsync(async (v) => op.fvp(v), rhs, opts);
      expect(Array.from(asyncX)).toEqual(Array.from(sync));
    }
    const threeByThree = await conjugateGradientAsync(async (v) => denseOp(A).fvp(v), b);
    expectVec(threeByThree, [1, -1, 2]);
  });

  it('reports how the solve ended: residual, iterations', async () => {
    const full = await conjugateGradientReport(async (v) => denseOp(A).fvp(v), b);
    expect(full.stop).toBe('residual');
    expect(full.iterations).toBe(2);
    const one = await conjugateGradientReport(async (v) => denseOp(A).fvp(v), b, { iters: 1 });
    expect(one.stop).toBe('iterations');
    expect(one.iterations).toBe(1);
    expectVec(one.x, [1, 0, 1]);
  });

  describe('non-positive curvature', () => {
    // A = diag(2, −1) (indefinite), b = [1, 1]. Hand trace:
    //   p0 = [1,1], A p0 = [2,−1], p0ᵀAp0 = 1 > 0, α0 = r0ᵀr0 / 1 = 2, x1 = [2,2],
    //   r1 = [1,1] − 2·[2,−1] = [−3,3], r1ᵀr1 = 18, β0 = 9, p1 = [−3,3] + 9·[1,1] = [6,12],
    //   A p1 = [12,−12], p1ᵀAp1 = 72 − 144 = −72 ≤ 0 at iteration 1.
    const indefinite = [
      [2, 0],
      [0, -1],
    ];
    const rhs = Float64Array.from([1, 1]);

    it('throws NonPositiveCurvatureError naming the iteration and curvature when truncation is off', () => {
      let err: unknown;
      try {
        conjugateGradient(denseOp(indefinite).fvp, rhs);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NonPositiveCurvatureError);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as NonPositiveCurvatureError).iteration).toBe(1);
      expect((err as NonPositiveCurvatureError).curvature).toBe(-72);
    });

    it('with truncate, returns the iterate before the bad direction', async () => {
      const op = denseOp(indefinite);
      const r = await conjugateGradientReport(async (v) => op.fvp(v), rhs, { truncate: true });
      expect(r.stop).toBe('truncated');
      expect(r.iterations).toBe(1);
      expectVec(r.x, [2, 2]);
      expect(op.calls()).toBe(2);
      // The returned iterate is still an ascent direction of bᵀx.
      expect(r.x[0]! * rhs[0]! + r.x[1]! * rhs[1]!).toBeGreaterThan(0);
      expectVec(conjugateGradient(denseOp(indefinite).fvp, rhs, { truncate: true }), [2, 2]);
    });

    it('with truncate, still throws at the first iteration (no iterate yet)', () => {
      const op = denseOp([
        [-1, 0],
        [0, 1],
      ]);
      expect(() => conjugateGradient(op.fvp, Float64Array.from([1, 0]), { truncate: true })).toThrow(NonPositiveCurvatureError);
    });

    it('with truncate, still throws on a non-finite product after the first iteration', () => {
      let calls = 0;
      const op = denseOp(A);
      const nanAfterFirst = (v: Float64Array) => (++calls === 1 ? op.fvp(v) : Float64Array.from(v, () => NaN));
      expect(() => conjugateGradient(nanAfterFirst, b, { truncate: true })).toThrow(/pᵀAp = NaN at iteration 1/);
    });
  });
});
