/**
 * The LVC inner loss (ProMP's low-variance curvature objective): the same adaptation as REINFORCE,
 * and a meta-gradient that differs from the REINFORCE one by exactly the score-function term
 * α (1/n) Σ_i Â_i ∇log π_i (∇log π_i · u), u the gradient of the outer loss at θ′. The REINFORCE
 * meta-gradient itself is checked against finite differences in maml-meta-gradient.test.ts; the
 * per-sample scores here are first-order gradients only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { gaussianLogProb } from '../../src/distributions.ts';
import { lvcLoss, reinforceLoss } from '../../src/maml.ts';
import { dot, flattenValues, unflattenValues } from '../../src/params.ts';
import { at, makeObjective, policy, unitDirection } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const relErr = (a: Float64Array, ref: Float64Array) => {
  const d = a.map((v, i) => v - ref[i]!);
  return Math.sqrt(dot(d, d) / dot(ref, ref));
};

/** ∇_θ log π_θ(a_i | s_i) of every row of a batch, flattened, by one first-order tf.grads per row. */
function scores(theta: tf.Tensor[], obs: Float32Array, actions: Float32Array, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const o = tf.tensor2d(obs.slice(2 * i, 2 * i + 2), [1, 2]);
    const a = tf.tensor2d(actions.slice(2 * i, 2 * i + 2), [1, 2]);
    const g = tf.grads((...p: tf.Tensor[]) => tf.sum(gaussianLogProb(policy.mean(p, o), policy.logStd(p), a)) as tf.Scalar)(theta);
    out.push(Float64Array.from(tf.tidy(() => tf.concat(g.map((x) => x.reshape([-1])))).dataSync()));
    tf.dispose([o, a, ...g]);
  }
  return out;
}

describe('LVC inner loss', () => {
  it('has the same gradient as REINFORCE, bit for bit, so the adapted parameters are identical', () => {
    const { obj, theta } = makeObjective(41);
    const batch = obj.trains[0]!;
    const [rf, lvc] = at(theta, null, 0, (t) =>
      [reinforceLoss, lvcLoss].map((f) => {
        const g = tf.grads((...p: tf.Tensor[]) => f(policy, p, batch))(t);
        const flat = Float64Array.from(tf.tidy(() => tf.concat(g.map((x) => x.reshape([-1])))).dataSync());
        tf.dispose(g);
        return flat;
      }),
    );
    expect(Array.from(lvc!)).toEqual(Array.from(rf!));
  });

  it.each([41, 42, 43])('meta-gradient = REINFORCE meta-gradient + α (1/n) Σ Â_i s_i (s_i · u) (seed %i)', (seed) => {
    const alpha = 0.5;
    const rf = makeObjective(seed, false, alpha, 'reinforce');
    const lvc = makeObjective(seed, false, alpha, 'lvc');
    const fo = makeObjective(seed, true, alpha);
    const { theta, trainData: d } = rf;
    const gRf = at(theta, null, 0, (t) => rf.obj.metaGradient(t)).grad;
    const gLvc = at(theta, null, 0, (t) => lvc.obj.metaGradient(t));
    // First-order MAML's gradient is the outer loss's gradient at θ′: u.
    const u = at(theta, null, 0, (t) => fo.obj.metaGradient(t)).grad;
    const s = at(theta, null, 0, (t) => scores(t, d.obs, d.actions, d.n));
    const expected = Float64Array.from(gRf);
    for (let i = 0; i < d.n; i++) {
      const c = (alpha / d.n) * d.advantages[i]! * dot(s[i]!, u);
      for (let k = 0; k < expected.length; k++) expected[k]! += c * s[i]![k]!;
    }
    expect(gLvc.loss).toBeCloseTo(at(theta, null, 0, (t) => rf.obj.metaGradient(t)).loss, 6);
    const err = relErr(gLvc.grad, expected);
    expect(err).toBeLessThan(1e-3);
    // The extra term is large enough here for the check to tell the two estimators apart.
    expect(relErr(gRf, expected)).toBeGreaterThan(0.05);
    [rf, lvc, fo].forEach((o) => o.obj.dispose());
  });

  it('leaves the KL, its gradient and the Fisher-vector product as with REINFORCE', () => {
    const rf = makeObjective(44, false, 0.5, 'reinforce');
    const lvc = makeObjective(44, false, 0.5, 'lvc');
    const d = unitDirection(rf.rng.fork('shift'), policy.numParams);
    const shifted = unflattenValues(flattenValues(rf.theta).map((x, i) => x + 0.2 * d[i]!), rf.theta);
    const a = at(shifted, null, 0, (t) => rf.obj.klGradient(t));
    const b = at(shifted, null, 0, (t) => lvc.obj.klGradient(t));
    expect(b.kl).toBe(a.kl);
    expect(Array.from(b.grad)).toEqual(Array.from(a.grad));
    rf.obj.dispose();
    lvc.obj.dispose();
  });
});
