import { describe, expect, it } from 'vitest';
import { Mlp } from '../../src/mlp.ts';
import { createRng } from '../../src/rng.ts';

/** The straightforward one-row-at-a-time forward pass that Mlp.forwardJs must reproduce bit for bit. */
function reference(mlp: Mlp, values: readonly Float32Array[], x: Float32Array, n: number): Float32Array {
  let h = x;
  let width = mlp.sizes[0]!;
  const nLayers = mlp.sizes.length - 1;
  for (let l = 0; l < nLayers; l++) {
    const w = values[2 * l]!;
    const b = values[2 * l + 1]!;
    const outW = b.length;
    const out = new Float32Array(n * outW);
    const acc = new Float64Array(outW);
    for (let r = 0; r < n; r++) {
      acc.set(b);
      for (let k = 0; k < width; k++) {
        const v = h[r * width + k]!;
        if (v === 0) continue;
        for (let j = 0; j < outW; j++) acc[j] += v * w[k * outW + j]!;
      }
      for (let j = 0; j < outW; j++) {
        const a = acc[j]!;
        out[r * outW + j] = l === nLayers - 1 ? a : mlp.activation === 'tanh' ? Math.tanh(a) : a > 0 ? a : 0;
      }
    }
    h = out;
    width = outW;
  }
  return h;
}

describe('Mlp.forwardJs', () => {
  it.each(['tanh', 'relu'] as const)('equals the one-row-at-a-time float64 forward pass bit for bit (%s)', (activation) => {
    const rng = createRng(5).fork(activation);
    const mlp = new Mlp([3, 16, 16, 2], activation);
    const values = mlp.init(rng.fork('init'));
    for (const v of values) for (let i = 0; i < v.length; i++) v[i] += 0.3 * rng.normal();
    for (const n of [1, 3, 4, 5, 8, 20, 23]) {
      const x = new Float32Array(n * 3).map(() => rng.normal());
      for (let i = 0; i < x.length; i += 4) x[i] = 0; // zero inputs take the skip path on some rows only
      const got = mlp.forwardJs(values, x, n);
      const want = reference(mlp, values, x, n);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`n=${n}, index ${i}: ${got[i]} vs ${want[i]}`);
    }
  });
});
