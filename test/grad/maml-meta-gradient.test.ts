import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { TaskObjective, reinforceLoss, validTensors } from '../../src/maml.ts';
import { resolveConfig } from '../../src/config.ts';
import { dot, flattenValues, unflattenValues } from '../../src/params.ts';
import { at, exactFvp, makeObjective, policy, relErr, unitDirection, worstDirectionalError, centralDifferenceFvp } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('gradients of the MAML-RL objective against central finite differences', () => {
  it('REINFORCE loss gradient', () => {
    const { obj, theta, rng } = makeObjective(1);
    const batch = obj.trains[0]!;
    const value = (t: tf.Tensor[]) => tf.tidy(() => reinforceLoss(policy, t, batch).dataSync()[0]!);
    const grad = at(theta, null, 0, (t) => {
      const g = tf.grads((...p: tf.Tensor[]) => reinforceLoss(policy, p, batch))(t);
      const flat = Float64Array.from(tf.concat(g.map((x) => x.reshape([-1]))).dataSync());
      tf.dispose(g);
      return flat;
    });
    expect(worstDirectionalError(theta, grad, value, rng.fork('fd'))).toBeLessThan(1e-2);
  });

  it.each([11, 12, 13])('full second-order meta-gradient through the adaptation (seed %i)', (seed) => {
    const { obj, theta, rng } = makeObjective(seed);
    const { grad } = at(theta, null, 0, (t) => obj.metaGradient(t));
    const err = worstDirectionalError(theta, grad, (t) => obj.evaluate(t).loss, rng.fork('fd'));
    expect(err).toBeLessThan(1e-2);
    // The check must be able to tell second from first order: the first-order gradient differs.
    const fo = makeObjective(seed, true);
    const { grad: g1 } = at(theta, null, 0, (t) => fo.obj.metaGradient(t));
    const diff = Math.sqrt(dot(grad.map((v, i) => v - g1[i]!), grad.map((v, i) => v - g1[i]!)) / dot(grad, grad));
    expect(diff).toBeGreaterThan(0.05);
  });

  it('gradient of the KL through the adaptation vanishes at θ_old and matches differences away from it', () => {
    const { obj, theta, rng } = makeObjective(21);
    const g0 = at(theta, null, 0, (t) => obj.klGradient(t));
    expect(Math.abs(g0.kl)).toBeLessThan(1e-6);
    expect(Math.sqrt(dot(g0.grad, g0.grad))).toBeLessThan(1e-4);
    const d = unitDirection(rng.fork('shift'), g0.grad.length);
    const shiftedValues = unflattenValues(flattenValues(theta).map((x, i) => x + 0.2 * d[i]!), theta);
    const g = at(shiftedValues, null, 0, (t) => obj.klGradient(t));
    expect(worstDirectionalError(shiftedValues, g.grad, (t) => obj.evaluate(t).kl, rng.fork('fd'))).toBeLessThan(1e-2);
  });
});

describe('Fisher-vector product through the adaptation', () => {
  const { obj, theta, rng } = makeObjective(31);
  const n = policy.numParams;
  const fvp = (v: Float64Array, mode: 'exact' | 'fd') =>
    mode === 'exact'
      ? exactFvp(obj, theta, v)
      : (() => {
          const norm = Math.sqrt(dot(v, v));
          const eps = 1e-3 / norm;
          return at(theta, v, eps, (t) => obj.fvpFiniteDifference(t, eps));
        })();

  it('exact product equals central differences of the KL gradient (third order checked)', () => {
    const v = unitDirection(rng.fork('v'), n);
    const hv = fvp(v, 'exact');
    const fd = centralDifferenceFvp(obj, theta, v);
    const err = Math.sqrt(dot(hv.map((h, i) => h - fd[i]!), hv.map((h, i) => h - fd[i]!)) / dot(fd, fd));
    expect(err).toBeLessThan(1e-2);
  });

  it('exact product is symmetric and positive semi-definite', () => {
    const u = unitDirection(rng.fork('u'), n);
    const v = unitDirection(rng.fork('w'), n);
    const hu = fvp(u, 'exact');
    const hv = fvp(v, 'exact');
    const a = dot(v, hu);
    const b = dot(u, hv);
    expect(Math.abs(a - b)).toBeLessThan(1e-3 * Math.max(Math.abs(a), Math.abs(b), dot(u, hu)));
    expect(dot(u, hu)).toBeGreaterThan(0);
    expect(dot(v, hv)).toBeGreaterThan(0);
  });

  it('finite-difference mode agrees with the exact product and is symmetric', () => {
    const u = unitDirection(rng.fork('u2'), n);
    const v = unitDirection(rng.fork('w2'), n);
    const he = fvp(v, 'exact');
    const hf = fvp(v, 'fd');
    const err = Math.sqrt(dot(he.map((h, i) => h - hf[i]!), he.map((h, i) => h - hf[i]!)) / dot(he, he));
    expect(err).toBeLessThan(1e-2);
    const a = dot(u, hf);
    const b = dot(v, fvp(u, 'fd'));
    expect(Math.abs(a - b)).toBeLessThan(1e-2 * Math.max(Math.abs(a), Math.abs(b)));
  });
});

describe('Fisher-vector product of first-order MAML', () => {
  it('finite-difference mode holds θ_old\'s offsets: equal to the exact product and symmetric', () => {
    const { obj, theta, rng } = makeObjective(31, true);
    const n = policy.numParams;
    const eps = 1e-3;
    const fd = (v: Float64Array) => at(theta, null, 0, (old) => at(theta, v, eps, (t) => obj.fvpFiniteDifference(t, eps, old)));
    const u = unitDirection(rng.fork('u'), n);
    const v = unitDirection(rng.fork('v'), n);
    const exact = exactFvp(obj, theta, v);
    const hv = fd(v);
    // With the offsets recomputed at the shifted point, the product was G J v: 145 % off here, and uᵀHv ≠ vᵀHu.
    expect(relErr(hv, exact)).toBeLessThan(1e-2);
    const a = dot(u, hv);
    const b = dot(v, fd(u));
    expect(Math.abs(a - b)).toBeLessThan(1e-2 * Math.max(Math.abs(a), Math.abs(b)));
    expect(() => at(theta, v, eps, (t) => obj.fvpFiniteDifference(t, eps))).toThrow('first-order MAML needs thetaOld');
  });
});

describe('Fisher-vector product without adaptation (the pretrained and oracle baselines)', () => {
  it('finite-difference mode agrees with the exact product at the default shift', () => {
    const { theta, rng, validData } = makeObjective(41);
    const plain = new TaskObjective(policy, [], validTensors(policy, validData, theta), { fastLr: 0.1, firstOrder: false });
    const v = unitDirection(rng.fork('v'), policy.numParams);
    const he = exactFvp(plain, theta, v);
    const shift = resolveConfig('Navigation2D-v0', undefined).trpo.fdShift;
    const hf = at(theta, v, shift, (t) => plain.fvpFiniteDifference(t, shift));
    const err = Math.sqrt(dot(he.map((h, i) => h - hf[i]!), he.map((h, i) => h - hf[i]!)) / dot(he, he));
    expect(err).toBeLessThan(1e-2);
  });
});
