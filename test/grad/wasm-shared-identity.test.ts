/**
 * The wasm Identity and same-dtype Cast overrides (src/wasm-kernels.ts) share the input's data
 * instead of copying it: values, disposal and memory accounting stay right, and gradients through
 * saved (cloned) tensors are unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../../src/wasm-kernels.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('wasm Identity / Cast without copies', () => {
  it('clone and same-dtype cast share data; either can be disposed first', () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const c = tf.clone(x);
    const k = tf.cast(x, 'float32');
    expect(tf.memory().numBytes - before.numBytes).toBe(3 * 16); // engine accounting per tensor, unchanged
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    c.dispose();
    expect(Array.from(k.dataSync())).toEqual([1, 2, 3, 4]);
    k.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });

  it('casts to another dtype still convert', () => {
    const x = tf.tensor1d([1.7, -2.2, 0]);
    const i = tf.cast(x, 'int32');
    const f = tf.cast(i, 'float32');
    try {
      expect(i.dtype).toBe('int32');
      expect(Array.from(i.dataSync())).toEqual([1, -2, 0]);
      expect(f.dtype).toBe('float32');
      expect(Array.from(f.dataSync())).toEqual([1, -2, 0]);
    } finally {
      tf.dispose([x, i, f]);
    }
  });

  it('first and second derivatives are the same with and without the override', () => {
    // tanh and exp save their outputs through Identity; the second derivative uses the saved clones.
    const d2 = () =>
      tf.tidy(() => {
        const x = tf.tensor1d([-1.3, -0.2, 0.05, 0.7, 2]);
        const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), tf.exp(tf.mul(t, 0.3))));
        const g = (t: tf.Tensor) => tf.grad(f)(t);
        const h = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(g(t), tf.tensor1d([1, 2, 3, 4, 5]))))(x);
        return Array.from(tf.concat([g(x), h]).dataSync());
      });
    const shared = d2();
    uninstallWasmKernelFixes();
    let copied: number[];
    try {
      copied = d2();
    } finally {
      installWasmKernelFixes();
    }
    // The Tanh override is off too in the stock run, hence a tolerance rather than bit equality.
    for (let i = 0; i < shared.length; i++) expect(shared[i]).toBeCloseTo(copied[i]!, 5);
    expect(tf.memory().numTensors).toBe(0);
  });
});
