// The chain-rule Fisher-vector product (fvpChain) against the third-derivative one (fvpExact).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { TaskObjective as Objective, adaptValues, toTensors, validTensors } from '../../src/maml.ts';
import { flattenValues } from '../../src/params.ts';
import type { ParamValues } from '../../src/policy.ts';
import { createRng } from '../../src/rng.ts';
import { exactFvp, makeLearnedLrObjective, makeObjective, makeTwoStepObjective, policy, relErr, unitDirection } from './maml-fixture.ts';

await initBackend('cpu', { log: () => {} });

/** ‖chain − exact‖ / ‖exact‖ along a random unit direction; frees `obj`. */
function check(obj: Objective, theta: ParamValues, seed: number): number {
  const v = unitDirection(createRng(seed), flattenValues(theta).length);
  try {
    return relErr(exactFvp(obj, theta, v, 'chain'), exactFvp(obj, theta, v));
  } finally {
    obj.dispose();
  }
}

describe('fvpChain equals fvpExact at θ_old', () => {
  it('one inner step, second order', () => {
    const { obj, theta } = makeObjective(1);
    expect(check(obj, theta, 11)).toBeLessThan(1e-4);
  });
  it('one inner step, first order', () => {
    const { obj, theta } = makeObjective(2, true);
    expect(check(obj, theta, 12)).toBeLessThan(1e-4);
  });
  it('learned step sizes', () => {
    const { obj, meta } = makeLearnedLrObjective(3);
    expect(check(obj, meta, 13)).toBeLessThan(1e-4);
  });
  it('two steps, last-step loss', () => {
    const { obj, theta } = makeTwoStepObjective(4, { multiStep: false });
    expect(check(obj, theta, 14)).toBeLessThan(1e-4);
  });
  it('two steps, weighted multi-step loss', () => {
    const { obj, theta } = makeTwoStepObjective(5, { multiStep: true, weights: [3, 1] });
    expect(check(obj, theta, 15)).toBeLessThan(1e-4);
  });
  it('two steps, multi-step loss, learned step sizes (the navigation config)', () => {
    const { train1, train2, valid, theta, rng } = makeTwoStepObjective(7, { multiStep: true });
    const sRng = rng.fork('scale');
    const scale: ParamValues = theta.map((p) => p.map(() => 1 + 0.5 * sRng.normal()));
    const theta1 = adaptValues(policy, theta, train1, 0.5, scale);
    const theta2 = adaptValues(policy, theta1, train2, 0.25, scale);
    const obj = new Objective(
      policy,
      [toTensors(train1, 2, 2), toTensors(train2, 2, 2)],
      validTensors(policy, valid, theta2),
      { fastLr: 0.5, laterStepsLrFactor: 0.5, firstOrder: false, learnedLr: true },
      [validTensors(policy, train2, theta1)],
    );
    expect(check(obj, [...theta, ...scale], 17)).toBeLessThan(1e-4);
  });
  it('two steps, multi-step, first order', () => {
    const { obj, theta } = makeTwoStepObjective(6, { multiStep: true, firstOrder: true });
    expect(check(obj, theta, 16)).toBeLessThan(1e-4);
  });
});

describe('fvpChain keeps the inner path of one θ only', () => {
  it('reuses it at the same θ, recomputes it at a new θ, and frees it on dispose', () => {
    const base = tf.memory().numTensors;
    const { obj: a, theta } = makeTwoStepObjective(8, { multiStep: true });
    const { obj: fresh } = makeTwoStepObjective(8, { multiStep: true });
    const held = tf.memory().numTensors;
    const v = unitDirection(createRng(18), flattenValues(theta).length);
    const other = theta.map((p) => p.map((x) => x + 0.05));
    try {
      const first = exactFvp(a, theta, v, 'chain');
      const kept = tf.memory().numTensors;
      expect(kept).toBeGreaterThan(held); // θ_1, θ_2 and two gradients stay
      expect(Array.from(exactFvp(a, theta, v, 'chain'))).toEqual(Array.from(first));
      expect(tf.memory().numTensors).toBe(kept);
      // At another θ the product differs, and equals that of an objective that never saw θ.
      const moved = exactFvp(a, other, v, 'chain');
      expect(relErr(moved, first)).toBeGreaterThan(1e-3);
      expect(Array.from(moved)).toEqual(Array.from(exactFvp(fresh, other, v, 'chain')));
      expect(tf.memory().numTensors).toBe(kept + (kept - held)); // a's new path replaced its old one
    } finally {
      a.dispose();
      fresh.dispose();
    }
    expect(tf.memory().numTensors).toBe(base);
  });
});
