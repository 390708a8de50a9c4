/**
 * Negative control: documents the tfjs 4.22 higher-order gradient bug that
 * src/tfjs-second-order-fix.ts works around. With the fix off, the same
 * checks as in second-order-fix.test.ts must FAIL by a wide margin; if this
 * test breaks, tfjs has changed (bug fixed upstream, or engine internals
 * changed) and the fix must be re-examined.
 *
 * Vitest runs each test file in its own process, so switching the fix off
 * here does not affect other files.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, secondOrderFixInstalled } from '../../src/backend.ts';
import { checkSecondOrderGradients } from '../../src/tfjs-second-order-fix.ts';
import { checkKlHvp, checkMetaGradient, makeProblem } from './maml-fd-helpers.ts';

const LARGE = 5e-2;
const problem = makeProblem();

describe('tfjs 4.22 without the second-order fix (cpu)', () => {
  it('is off', async () => {
    const lines: string[] = [];
    await initBackend('cpu', { secondOrderFix: false, log: (l) => lines.push(l) });
    expect(lines).toEqual([`metarl: backend cpu (tfjs ${tf.version_core}, second-order fix off)`]);
    expect(tf.version_core).toBe('4.22.0');
    expect(secondOrderFixInstalled()).toBe(false);
  }, 30_000);

  it('grad(grad(tanh)) throws (every path through the saved output is dropped)', () => {
    expect(() => tf.grad(tf.grad((x: tf.Tensor) => tf.tanh(x)))(tf.tensor1d([0.3]))).toThrow(
      /Cannot compute gradient/,
    );
    expect(checkSecondOrderGradients()).toBe(Infinity);
  });

  it('a silently wrong second derivative: d2/dx2 sum(exp(x) x)', () => {
    // Only the path through exp's saved output is dropped: no error, wrong value.
    const x = 0.4;
    const got = tf.tidy(() =>
      tf.grad((z: tf.Tensor) => tf.sum(tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.exp(w), w)))(z)))(
        tf.tensor1d([x]),
      ).dataSync()[0],
    );
    const exact = Math.exp(x) * (x + 2);
    expect(Math.abs(got - exact) / exact).toBeGreaterThan(LARGE);
  });

  it('MAML meta-gradient is wrong by more than 5e-2', async () => {
    const res = await checkMetaGradient(problem);
    expect(res.vector).toBeGreaterThan(LARGE);
    expect(Math.max(...res.directional)).toBeGreaterThan(LARGE);
  }, 30_000);

  it('HVP of the KL through the adaptation is wrong by more than 5e-2', async () => {
    const res = await checkKlHvp(problem);
    expect(res.vector).toBeGreaterThan(LARGE);
    expect(Math.max(...res.directional)).toBeGreaterThan(LARGE);
  }, 30_000);

  it('switching the fix back on in the same process repairs both', async () => {
    await initBackend('cpu', { log: () => undefined });
    expect(secondOrderFixInstalled()).toBe(true);
    expect((await checkMetaGradient(problem)).vector).toBeLessThan(1e-2);
    expect((await checkKlHvp(problem)).vector).toBeLessThan(1e-2);
  }, 30_000);
});
