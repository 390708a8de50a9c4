import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { gaussianKl, gaussianLogProb } from '../../src/distributions.ts';

const LOG_2PI = Math.log(2 * Math.PI);

describe('diagonal Gaussian', () => {
  it('log-prob matches hand-computed values', () => {
    // Row 0: μ=(0,0), σ=(1,1), a=(0,0): −log 2π.
    // Row 1: μ=(1,−1), σ=(e^0.5, e^−1), a=(2,−1): z=(e^−0.5, 0), −½e^−1 − (0.5−1) − log 2π.
    const mean = tf.tensor2d([0, 0, 1, -1], [2, 2]);
    const actions = tf.tensor2d([0, 0, 2, -1], [2, 2]);
    const lp0 = gaussianLogProb(mean, tf.tensor1d([0, 0]), actions).arraySync();
    expect(lp0[0]).toBeCloseTo(-LOG_2PI, 5);
    const lp = gaussianLogProb(mean, tf.tensor1d([0.5, -1]), actions).arraySync();
    expect(lp[1]).toBeCloseTo(-0.5 * Math.exp(-1) + 0.5 - LOG_2PI, 5);
  });

  it('KL matches the closed form and is zero for equal distributions', () => {
    // 1-D: KL(N(0,1) ‖ N(1, e^2)) = log(e/1) + (1 + 1)/(2e²) − ½ = 1 + e^−2 − ½.
    const kl = gaussianKl(tf.tensor2d([[0]]), tf.tensor1d([0]), tf.tensor2d([[1]]), tf.tensor1d([1])).arraySync();
    expect(kl[0]).toBeCloseTo(0.5 + Math.exp(-2), 5);
    // 2-D sums per dimension; swapping old/new changes the value (asymmetry):
    // KL(N(1,e^2) ‖ N(0,1)) = −1 + (e² + 1)/2 − ½.
    const rev = gaussianKl(tf.tensor2d([[1]]), tf.tensor1d([1]), tf.tensor2d([[0]]), tf.tensor1d([0])).arraySync();
    expect(rev[0]).toBeCloseTo(-1 + (Math.exp(2) + 1) / 2 - 0.5, 4);
    const same = gaussianKl(tf.tensor2d([[0.3, -2]]), tf.tensor1d([0.1, -0.4]), tf.tensor2d([[0.3, -2]]), tf.tensor1d([0.1, -0.4])).arraySync();
    expect(Math.abs(same[0]!)).toBeLessThan(1e-6);
  });
});
