/**
 * The LVC inner loss (ProMP's low-variance curvature objective): the same adaptation as REINFORCE,
 * and a meta-gradient that differs from the REINFORCE one by exactly the score-function term
 * α (1/n) Σ_i Â_i ∇log π_i (∇log π_i · u), u the gradient of the outer loss at θ′. The REINFORCE
 * meta-gradient itself is checked against finite differences in maml-meta-gradient.test.ts; the
 * per-sample scores here are first-order gradients only. Through two inner steps the LVC
 * meta-gradient is checked against central differences of the LVC objective itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { gaussianLogProb } from '../../src/distributions.ts';
import { TaskObjective, adaptValues, lvcLoss, reinforceLoss, validTensors, type PgData } from '../../src/maml.ts';
import { dot, flattenValues, unflattenValues } from '../../src/params.ts';
import type { ParamValues } from '../../src/policy.ts';
import { at, makeObjective, makeTwoStepObjective, policy, relErr, unitDirection, worstDirectionalError } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

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

/** log π(a_i | s_i) of every row of `d` under the parameters `p`, in float64. */
function logProbs(p: ParamValues, d: PgData): Float64Array {
  const t = policy.toTensors(p);
  const obs = tf.tensor2d(d.obs, [d.n, 2]);
  const act = tf.tensor2d(d.actions, [d.n, 2]);
  const lp = gaussianLogProb(policy.mean(t, obs), policy.logStd(t), act);
  const out = Float64Array.from(lp.dataSync());
  tf.dispose([...t, obs, act, lp]);
  return out;
}

/** `d` with each advantage multiplied by π_θ(a_i | s_i) / exp(c_i), the ratio the LVC loss differentiates. */
function reweighted(d: PgData, lp: Float64Array, c: Float64Array): PgData {
  return { ...d, advantages: Float32Array.from(d.advantages, (a, i) => a * Math.exp(lp[i]! - c[i]!)) };
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

  it.each([57, 58])('through two inner steps, matches central differences of the LVC objective with its ⊥ constants held (seed %i)', (seed) => {
    // The LVC objective as a plain function of θ: each inner step ascends (1/n) Σ Â_i π(a_i)/exp(c_i)
    // with c_i the log-probability at the point the meta-gradient is taken (θ_0, then θ_1(θ_0)), held
    // fixed as θ moves. Its gradient at θ is the REINFORCE gradient with advantages Â_i π(a_i)/exp(c_i),
    // so each step is an ordinary REINFORCE step on reweighted advantages.
    const f = makeTwoStepObjective(seed, { multiStep: false, innerLoss: 'lvc' });
    const rf = makeTwoStepObjective(seed, { multiStep: false });
    const outer = new TaskObjective(policy, [], validTensors(policy, f.valid, f.theta2), { fastLr: 0.5, firstOrder: false });
    const c1 = logProbs(f.theta, f.train1);
    const c2 = logProbs(f.theta1, f.train2);
    /** The outer loss after the two steps, LVC at the first step and (if `both`) at the second. */
    const value = (both: boolean) => (t: tf.Tensor[]) => {
      const th = t.map((x) => x.dataSync().slice() as Float32Array);
      const th1 = adaptValues(policy, th, reweighted(f.train1, logProbs(th, f.train1), c1), 0.5);
      const th2 = adaptValues(policy, th1, both ? reweighted(f.train2, logProbs(th1, f.train2), c2) : f.train2, 0.25);
      const p = policy.toTensors(th2);
      try {
        return outer.evaluate(p).loss;
      } finally {
        tf.dispose(p);
      }
    };
    const gLvc = at(f.theta, null, 0, (t) => f.obj.metaGradient(t).grad);
    const gRf = at(f.theta, null, 0, (t) => rf.obj.metaGradient(t).grad);
    // ε = 1e-2: the float32 differences through two steps are noisy to ~1e-2 at smaller ε.
    const err = (g: Float64Array, both: boolean) => worstDirectionalError(f.theta, g, value(both), f.rng.fork('fd'), 3, 1e-2);
    expect(err(gLvc, true)).toBeLessThan(2e-2);
    // The check tells estimators apart: the REINFORCE meta-gradient fails it (errors > 1 measured),
    // and the LVC one fails the objective with LVC at the first step only (errors 0.28–0.66 on 4 seeds).
    expect(err(gRf, true)).toBeGreaterThan(0.1);
    expect(err(gLvc, false)).toBeGreaterThan(0.1);
    [f.obj, rf.obj, outer].forEach((o) => o.dispose());
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
