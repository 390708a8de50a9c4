/**
 * Learned per-parameter inner step sizes (Meta-SGD for RL, `adaptation.learnedLr`): the
 * meta-parameters are [θ, s] and the inner step is θ′ = θ − α s ⊙ g, g = ∇L_train(θ). Checked:
 * - s = 1 is the plain objective (same loss and θ-gradient);
 * - the s-part of the meta-gradient equals its closed form −α g ⊙ u, u = ∇L_out(θ′) (θ′ is linear
 *   in s and g does not depend on s), and differs from zero;
 * - the whole meta-gradient and the Fisher-vector products against central finite differences.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { TaskObjective, adaptValues, reinforceLoss, splitMeta, surrogateLoss, validTensors } from '../../src/maml.ts';
import { dot } from '../../src/params.ts';
import { at, exactFvp, makeLearnedLrObjective, makeObjective, policy, relErr, unitDirection, worstDirectionalError, centralDifferenceFvp } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

/** ∇ of `f` at the policy parameters `values`, flattened. */
function gradAt(values: Float32Array[], f: (p: tf.Tensor[]) => tf.Scalar): Float64Array {
  const t = policy.toTensors(values);
  const g = tf.grads((...p: tf.Tensor[]) => f(p))(t);
  const out = Float64Array.from(tf.tidy(() => tf.concat(g.map((x) => x.reshape([-1])))).dataSync());
  tf.dispose([...t, ...g]);
  return out;
}

describe('learned inner step sizes: meta-gradient', () => {
  const n = policy.numParams;

  it('with s = 1 the objective and its θ-gradient are the plain ones', () => {
    const plain = makeObjective(51);
    const learned = makeLearnedLrObjective(51, 0);
    const gp = at(plain.theta, null, 0, (t) => plain.obj.metaGradient(t));
    const gl = at(learned.meta, null, 0, (t) => learned.obj.metaGradient(t));
    expect(gl.grad).toHaveLength(2 * n);
    expect(gl.loss).toBeCloseTo(gp.loss, 6);
    expect(relErr(gl.grad.subarray(0, n), gp.grad)).toBeLessThan(1e-5);
  });

  it.each([52, 53])('the s-part equals −α g ⊙ u in closed form (seed %i)', (seed) => {
    const alpha = 0.5;
    const { obj, meta, theta, scale, trainData, validData } = makeLearnedLrObjective(seed, 0.3, alpha);
    const { grad } = at(meta, null, 0, (t) => obj.metaGradient(t));
    const gS = grad.subarray(n);
    const adapted = adaptValues(policy, theta, trainData, alpha, scale);
    const train = obj.trains[0]!;
    const g = gradAt(theta, (p) => reinforceLoss(policy, p, train));
    // u: the outer surrogate's gradient at θ′ (its old policy is θ′ itself, as in makeLearnedLrObjective).
    const valid = validTensors(policy, validData, adapted);
    const u = gradAt(adapted, (p) => surrogateLoss(policy, p, valid));
    tf.dispose(Object.values(valid) as tf.Tensor[]);
    const expected = g.map((gi, i) => -alpha * gi * u[i]!);
    expect(Math.sqrt(dot(expected, expected))).toBeGreaterThan(1e-3);
    expect(relErr(gS, expected)).toBeLessThan(1e-3);
  });

  it.each([54, 55, 56])('the whole meta-gradient in [θ, s] matches central differences (seed %i)', (seed) => {
    const { obj, meta, rng } = makeLearnedLrObjective(seed);
    const { grad } = at(meta, null, 0, (t) => obj.metaGradient(t));
    expect(worstDirectionalError(meta, grad, (t) => obj.evaluate(t).loss, rng.fork('fd'))).toBeLessThan(1e-2);
  });

  it('LVC changes the θ-part only: the s-part is the same as with REINFORCE', () => {
    const rf = makeLearnedLrObjective(57, 0.3, 0.5, 'reinforce');
    const lvc = makeLearnedLrObjective(57, 0.3, 0.5, 'lvc');
    const gr = at(rf.meta, null, 0, (t) => rf.obj.metaGradient(t)).grad;
    const gl = at(lvc.meta, null, 0, (t) => lvc.obj.metaGradient(t)).grad;
    expect(relErr(gl.subarray(n), gr.subarray(n))).toBeLessThan(1e-5);
    expect(relErr(gl.subarray(0, n), gr.subarray(0, n))).toBeGreaterThan(1e-3);
  });

  it('is rejected with first-order MAML, and a wrong parameter count names both counts', () => {
    const { obj, theta, validData } = makeLearnedLrObjective(58);
    expect(() => new TaskObjective(policy, obj.trains, validTensors(policy, validData, theta), { fastLr: 0.1, firstOrder: true, learnedLr: true })).toThrow(/second-order/);
    expect(() => splitMeta(theta, theta.length, true)).toThrow(new RegExp(`${theta.length} parameter tensors, expected ${2 * theta.length}`));
  });
});

describe('learned inner step sizes: Fisher-vector product in [θ, s]', () => {
  const { obj, meta, rng } = makeLearnedLrObjective(61);
  const dim = 2 * policy.numParams;

  it('exact product equals central differences of the KL gradient, and is symmetric', () => {
    const v = unitDirection(rng.fork('v'), dim);
    const hv = exactFvp(obj, meta, v);
    const fd = centralDifferenceFvp(obj, meta, v);
    expect(relErr(hv, fd)).toBeLessThan(1e-2);
    // The s block is not zero: the trust region sees the step sizes.
    expect(Math.sqrt(dot(hv.subarray(dim / 2), hv.subarray(dim / 2)))).toBeGreaterThan(1e-4);
    const u = unitDirection(rng.fork('u'), dim);
    const a = dot(u, hv);
    const b = dot(v, exactFvp(obj, meta, u));
    expect(Math.abs(a - b)).toBeLessThan(1e-3 * Math.max(Math.abs(a), Math.abs(b)));
  });

  it('finite-difference mode agrees with the exact product', () => {
    const v = unitDirection(rng.fork('v2'), dim);
    const he = exactFvp(obj, meta, v);
    const eps = 1e-3;
    const hf = at(meta, v, eps, (t) => obj.fvpFiniteDifference(t, eps));
    expect(relErr(hf, he)).toBeLessThan(1e-2);
  });
});
