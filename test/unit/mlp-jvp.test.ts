// Mlp.jvp (forward-mode derivative in the parameters) against a central difference of forwardJs,
// which accumulates in float64, and against the vector-Jacobian product that tfjs computes.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { Mlp, type Activation } from '../../src/mlp.ts';
import { createRng } from '../../src/rng.ts';

await initBackend('cpu', { log: () => {} });

describe('Mlp.jvp', () => {
  it.each(['tanh', 'relu'] as Activation[])('is the directional derivative of the output in the parameters (%s)', (act) => {
    const mlp = new Mlp([3, 7, 5, 2], act);
    const rng = createRng(act === 'tanh' ? 1 : 2);
    const values = mlp.init(rng.fork('init')).map((p) => p.map((x) => x + 0.1 * rng.normal()));
    const n = 6;
    const x = new Float32Array(n * 3).map(() => rng.uniformRange(-1, 1));
    const dir = values.map((p) => p.map(() => rng.normal()));
    const eps = 1e-3;
    const shifted = (s: number) => values.map((p, i) => p.map((v, j) => v + s * eps * dir[i]![j]!));
    const plus = mlp.forwardJs(shifted(1), x, n);
    const minus = mlp.forwardJs(shifted(-1), x, n);
    const fd = plus.map((p, i) => (p - minus[i]!) / (2 * eps));
    const jvp = tf.tidy(() => {
      const params = mlp.shapes.map((s, i) => tf.tensor(values[i]!, s));
      const tangent = mlp.shapes.map((s, i) => tf.tensor(dir[i]!, s));
      return mlp.jvp(params, tangent, tf.tensor2d(x, [n, 3])).dataSync().slice();
    });
    expect(jvp.length).toBe(n * 2);
    let worst = 0;
    const scale = Math.max(...Array.from(fd, Math.abs));
    for (let i = 0; i < fd.length; i++) worst = Math.max(worst, Math.abs(jvp[i]! - fd[i]!));
    expect(scale).toBeGreaterThan(0.1);
    expect(worst / scale).toBeLessThan(5e-3);
  });

  it('keeps no tensor but its result', () => {
    const mlp = new Mlp([2, 5, 5, 1], 'tanh');
    const params = mlp.init(createRng(4)).map((p, i) => tf.tensor(p, mlp.shapes[i]));
    const tangent = mlp.shapes.map((s) => tf.ones(s));
    const x = tf.ones([3, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const out = mlp.jvp(params, tangent, x);
    expect(out.shape).toEqual([3, 1]);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([out, x, ...params, ...tangent]);
  });

  it('is the transpose of the gradient: uᵀ(J t) = (Jᵀu)ᵀ t', () => {
    const mlp = new Mlp([2, 9, 3], 'relu');
    const rng = createRng(3);
    const [lhs, rhs] = tf.tidy(() => {
      const params = mlp.init(rng.fork('init')).map((p, i) => tf.tensor(p.map((v) => v + 0.1 * rng.normal()), mlp.shapes[i]));
      const tangent = mlp.shapes.map((s) => tf.randomNormal(s, 0, 1, 'float32', 5));
      const x = tf.randomUniform([8, 2], -1, 1, 'float32', 6) as tf.Tensor2D;
      const u = tf.randomNormal([8, 3], 0, 1, 'float32', 7);
      const l = tf.sum(tf.mul(u, mlp.jvp(params, tangent, x)));
      const g = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(u, mlp.forward(p, x))) as tf.Scalar)(params);
      const r = tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, tangent[i]!))));
      return [l.dataSync()[0]!, r.dataSync()[0]!];
    });
    expect(Math.abs(lhs! - rhs!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(rhs!)));
  });
});
