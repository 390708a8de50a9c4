/**
 * MAML-RL through two inner steps (α, then α/2) and the multi-step outer objective, which averages
 * the surrogate and the KL over θ_1 and θ_2, each on its own batch. Checked against central finite
 * differences, and against the same (weighted) average built from two independent single-term
 * objectives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { TaskObjective, innerStepSizes, termWeights, toTensors, validTensors } from '../../src/maml.ts';
import { flattenValues, unflattenValues } from '../../src/params.ts';
import { at, exactFvp, makeTwoStepObjective, policy, unitDirection, worstDirectionalError, centralDifferenceFvp, relErr } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});


/** The two terms of the multi-step objective as separate objectives: θ_1 on the second inner batch, θ_2 on the validation batch. */
function terms(seed: number, firstOrder = false) {
  const f = makeTwoStepObjective(seed, { multiStep: false, firstOrder });
  const first = new TaskObjective(policy, [toTensors(f.train1, 2, 2)], validTensors(policy, f.train2, f.theta1), { fastLr: 0.5, firstOrder });
  return { first, last: f.obj };
}

describe('inner step sizes', () => {
  it('α for the first step and α·factor after it', () => {
    expect(innerStepSizes(0.5, 3, 0.5)).toEqual([0.5, 0.25, 0.25]);
    expect(innerStepSizes(0.1, 2)).toEqual([0.1, 0.1]);
    expect(innerStepSizes(0.1, 0, 0.5)).toEqual([]);
  });

  it('the objective adapts with α then α/2, as the sampling did', () => {
    const { obj, theta, theta2 } = makeTwoStepObjective(50, { multiStep: false });
    const got = at(theta, null, 0, (t) => {
      const a = obj.adaptedValues(t);
      const flat = flattenValues(a.map((x) => x.dataSync() as Float32Array));
      tf.dispose(a);
      return flat;
    });
    const want = flattenValues(theta2);
    expect(relErr(got, want)).toBeLessThan(1e-5);
    // With α for both steps the parameters differ: the factor is really applied.
    const same = makeTwoStepObjective(50, { multiStep: false, laterFactor: 1 });
    expect(relErr(flattenValues(same.theta2), want)).toBeGreaterThan(1e-3);
  });

  it('rejects a wrong number of intermediate batches', () => {
    const f = makeTwoStepObjective(50, { multiStep: false });
    const v = validTensors(policy, f.valid, f.theta2);
    expect(() => new TaskObjective(policy, [toTensors(f.train1, 2, 2), toTensors(f.train2, 2, 2)], v, { fastLr: 0.5, firstOrder: false }, [v, v])).toThrow(/2 inner steps need 1 intermediate/);
  });
});

describe('multi-step objective', () => {
  it.each([51, 52])('meta-gradient through both steps matches central differences (seed %i)', (seed) => {
    const { obj, theta, rng } = makeTwoStepObjective(seed, { multiStep: true });
    const { grad } = at(theta, null, 0, (t) => obj.metaGradient(t));
    expect(worstDirectionalError(theta, grad, (t) => obj.evaluate(t).loss, rng.fork('fd'))).toBeLessThan(1e-2);
    // It is not the last-step-only gradient.
    const last = makeTwoStepObjective(seed, { multiStep: false });
    const { grad: gLast } = at(theta, null, 0, (t) => last.obj.metaGradient(t));
    expect(relErr(grad, gLast)).toBeGreaterThan(0.05);
  });

  it('is the mean of its two terms, in value, KL and gradient (second and first order)', () => {
    for (const firstOrder of [false, true]) {
      const { obj, theta, rng } = makeTwoStepObjective(53, { multiStep: true, firstOrder });
      const { first, last } = terms(53, firstOrder);
      // Away from θ_old, so that the ratios and the KL are not trivial.
      const d = unitDirection(rng.fork('shift'), policy.numParams);
      const shifted = unflattenValues(flattenValues(theta).map((x, i) => x + 0.1 * d[i]!), theta);
      const [m, a, b] = [obj, first, last].map((o) => at(shifted, null, 0, (t) => ({ ...o.evaluate(t), ...o.metaGradient(t), klGrad: o.klGradient(t).grad })));
      expect(m!.loss).toBeCloseTo((a!.loss + b!.loss) / 2, 5);
      expect(m!.kl).toBeCloseTo((a!.kl + b!.kl) / 2, 6);
      expect(m!.kl).toBeGreaterThan(1e-4);
      expect(relErr(m!.grad, a!.grad.map((v, i) => (v + b!.grad[i]!) / 2))).toBeLessThan(1e-4);
      expect(relErr(m!.klGrad, a!.klGrad.map((v, i) => (v + b!.klGrad[i]!) / 2))).toBeLessThan(1e-4);
    }
  });

  it('with weights, is the weighted mean of its terms (value, KL, gradient, Fisher-vector product)', () => {
    const { obj, theta, rng } = makeTwoStepObjective(56, { multiStep: true, weights: [3, 1] });
    expect(obj.weights).toEqual([0.75, 0.25]);
    const { first, last } = terms(56);
    const d = unitDirection(rng.fork('shift'), policy.numParams);
    const shifted = unflattenValues(flattenValues(theta).map((x, i) => x + 0.1 * d[i]!), theta);
    const [m, a, b] = [obj, first, last].map((o) => at(shifted, null, 0, (t) => ({ ...o.evaluate(t), ...o.metaGradient(t), klGrad: o.klGradient(t).grad })));
    const mix = (x: number, y: number) => 0.75 * x + 0.25 * y;
    expect(m!.loss).toBeCloseTo(mix(a!.loss, b!.loss), 5);
    expect(m!.kl).toBeCloseTo(mix(a!.kl, b!.kl), 6);
    // The two terms differ enough that equal weights would fail these checks.
    expect(Math.abs(a!.loss - b!.loss)).toBeGreaterThan(1e-3);
    expect(relErr(m!.grad, a!.grad.map((v, i) => mix(v, b!.grad[i]!)))).toBeLessThan(1e-4);
    expect(relErr(m!.grad, a!.grad.map((v, i) => (v + b!.grad[i]!) / 2))).toBeGreaterThan(1e-2);
    expect(relErr(m!.klGrad, a!.klGrad.map((v, i) => mix(v, b!.klGrad[i]!)))).toBeLessThan(1e-4);
    const v = unitDirection(rng.fork('v'), policy.numParams);
    const hm = exactFvp(obj, theta, v);
    const ha = exactFvp(first, theta, v);
    const hb = exactFvp(last, theta, v);
    expect(relErr(hm, ha.map((x, i) => mix(x, hb[i]!)))).toBeLessThan(1e-4);
    // Meta-gradient against central differences, through both steps.
    const g = at(theta, null, 0, (t) => obj.metaGradient(t).grad);
    expect(worstDirectionalError(theta, g, (t) => obj.evaluate(t).loss, rng.fork('fd'))).toBeLessThan(1e-2);
  });

  it('rejects weights that do not fit the terms', () => {
    expect(termWeights([], 3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(termWeights([0, 2], 2)).toEqual([0, 1]);
    expect(() => termWeights([1], 2)).toThrow(/2 terms need 2 weights, got 1/);
    expect(() => termWeights([0, 0], 2)).toThrow(/not all 0/);
    expect(() => termWeights([-1, 2], 2)).toThrow(/≥ 0/);
  });

  it('first order differs from second order', () => {
    const so = makeTwoStepObjective(54, { multiStep: true });
    const fo = makeTwoStepObjective(54, { multiStep: true, firstOrder: true });
    const g2 = at(so.theta, null, 0, (t) => so.obj.metaGradient(t).grad);
    const g1 = at(fo.theta, null, 0, (t) => fo.obj.metaGradient(t).grad);
    expect(relErr(g1, g2)).toBeGreaterThan(0.05);
  });

  it('KL gradient and exact Fisher-vector product match differences', () => {
    const { obj, theta, rng } = makeTwoStepObjective(55, { multiStep: true });
    const d = unitDirection(rng.fork('shift'), policy.numParams);
    const shifted = unflattenValues(flattenValues(theta).map((x, i) => x + 0.2 * d[i]!), theta);
    const g = at(shifted, null, 0, (t) => obj.klGradient(t));
    expect(worstDirectionalError(shifted, g.grad, (t) => obj.evaluate(t).kl, rng.fork('fd'))).toBeLessThan(1e-2);
    const v = unitDirection(rng.fork('v'), policy.numParams);
    const hv = exactFvp(obj, theta, v);
    const fd = centralDifferenceFvp(obj, theta, v);
    expect(relErr(hv, fd)).toBeLessThan(1e-2);
  });
});
