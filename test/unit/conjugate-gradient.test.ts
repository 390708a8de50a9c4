import { describe, expect, it } from 'vitest';
import { conjugateGradient, conjugateGradientAsync } from '../../src/conjugate-gradient.ts';
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
});
