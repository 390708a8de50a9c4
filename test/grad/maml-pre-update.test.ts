/**
 * The pre-update term of the MAML outer objective (`adaptation.preUpdateWeight`): the unadapted
 * policy θ is scored on the first inner batch (the episodes θ sampled) beside the post-adaptation
 * term(s). Checked against central finite differences, and against the weighted sum of the same
 * terms built as independent objectives, in value, KL, gradient and Fisher-vector product.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { TaskObjective, adaptValues, toTensors, validTensors } from '../../src/maml.ts';
import { flattenValues, unflattenValues } from '../../src/params.ts';
import type { ParamValues } from '../../src/policy.ts';
import { at, centralDifferenceFvp, exactFvp, makeObjective, makeTwoStepObjective, policy, relErr, unitDirection, worstDirectionalError } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

/** One inner step with a pre-update term of weight `w0`, and its two terms as separate objectives. */
function withPre(seed: number, w0: number, firstOrder = false) {
  const { obj: post, theta, rng, trainData, validData } = makeObjective(seed, firstOrder);
  const adaptedOld = adaptValues(policy, theta, trainData, 0.5);
  const obj = new TaskObjective(policy, [toTensors(trainData, 2, 2)], validTensors(policy, validData, adaptedOld), { fastLr: 0.5, firstOrder, preUpdateWeight: w0 }, [], validTensors(policy, trainData, theta));
  // No inner step: the plain policy θ scored on the batch it sampled.
  const pre = new TaskObjective(policy, [], validTensors(policy, trainData, theta), { fastLr: 0.5, firstOrder });
  return { obj, post, pre, theta, rng };
}

/** θ moved by 0.1 along a random unit direction, so that ratios and KLs are not trivial. */
function shifted(theta: ParamValues, rng: ReturnType<typeof makeObjective>['rng']): ParamValues {
  const d = unitDirection(rng.fork('shift'), policy.numParams);
  return unflattenValues(flattenValues(theta).map((x, i) => x + 0.1 * d[i]!), theta);
}

describe('pre-update term', () => {
  it('meta-gradient and KL gradient match central differences', () => {
    const { obj, theta, rng } = withPre(61, 0.5);
    const g = at(theta, null, 0, (t) => obj.metaGradient(t).grad);
    expect(worstDirectionalError(theta, g, (t) => obj.evaluate(t).loss, rng.fork('fd'))).toBeLessThan(1e-2);
    const away = shifted(theta, rng);
    const k = at(away, null, 0, (t) => obj.klGradient(t).grad);
    expect(worstDirectionalError(away, k, (t) => obj.evaluate(t).kl, rng.fork('fd-kl'))).toBeLessThan(1e-2);
    const v = unitDirection(rng.fork('v'), policy.numParams);
    expect(relErr(exactFvp(obj, theta, v), centralDifferenceFvp(obj, theta, v))).toBeLessThan(1e-2);
  });

  it.each([false, true])('is w0/(1+w0) of the unadapted term plus 1/(1+w0) of the adapted one (first order: %s)', (firstOrder) => {
    const w0 = 0.5;
    const { obj, post, pre, theta, rng } = withPre(62, w0, firstOrder);
    expect(obj.weights).toEqual([1 / 3, 2 / 3]);
    const away = shifted(theta, rng);
    const [m, a, b] = [obj, pre, post].map((o) => at(away, null, 0, (t) => ({ ...o.evaluate(t), ...o.metaGradient(t), klGrad: o.klGradient(t).grad })));
    const mix = (x: number, y: number) => (w0 * x + y) / (1 + w0);
    // The two terms differ, so that leaving either out would fail these checks.
    expect(Math.abs(a!.loss - b!.loss)).toBeGreaterThan(1e-3);
    expect(relErr(a!.grad, b!.grad)).toBeGreaterThan(0.1);
    expect(m!.loss).toBeCloseTo(mix(a!.loss, b!.loss), 5);
    expect(m!.kl).toBeCloseTo(mix(a!.kl, b!.kl), 6);
    expect(relErr(m!.grad, a!.grad.map((x, i) => mix(x, b!.grad[i]!)))).toBeLessThan(1e-4);
    expect(relErr(m!.klGrad, a!.klGrad.map((x, i) => mix(x, b!.klGrad[i]!)))).toBeLessThan(1e-4);
    const v = unitDirection(rng.fork('v'), policy.numParams);
    const [hm, ha, hb] = [obj, pre, post].map((o) => exactFvp(o, theta, v));
    expect(relErr(hm!, ha!.map((x, i) => mix(x, hb![i]!)))).toBeLessThan(1e-4);
    for (const o of [obj, pre, post]) o.dispose();
  });

  it('the chain-rule Fisher-vector product equals the exact one with two inner steps and the multi-step loss', () => {
    const { train1, train2, valid, theta, theta1, theta2, rng } = makeTwoStepObjective(63, { multiStep: true });
    const obj = new TaskObjective(
      policy,
      [toTensors(train1, 2, 2), toTensors(train2, 2, 2)],
      validTensors(policy, valid, theta2),
      { fastLr: 0.5, laterStepsLrFactor: 0.5, firstOrder: false, preUpdateWeight: 2 },
      [validTensors(policy, train2, theta1)],
      validTensors(policy, train1, theta),
    );
    expect(obj.weights.map((w) => +w.toFixed(6))).toEqual([+(2 / 3).toFixed(6), +(1 / 6).toFixed(6), +(1 / 6).toFixed(6)]);
    const v = unitDirection(rng.fork('v'), policy.numParams);
    expect(relErr(exactFvp(obj, theta, v, 'chain'), exactFvp(obj, theta, v))).toBeLessThan(1e-4);
    obj.dispose();
  });

  it('rejects a pre-update term without inner steps, and a negative weight', () => {
    const { trainData, theta } = makeObjective(64);
    const b = () => validTensors(policy, trainData, theta);
    expect(() => new TaskObjective(policy, [], b(), { fastLr: 0.5, firstOrder: false }, [], b())).toThrow(/pre-update term needs at least one inner step/);
    expect(() => new TaskObjective(policy, [toTensors(trainData, 2, 2)], b(), { fastLr: 0.5, firstOrder: false, preUpdateWeight: -1 }, [], b())).toThrow(/preUpdateWeight.*-1/);
  });
});
