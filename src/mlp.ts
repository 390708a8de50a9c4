import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.ts';

/** Hidden-layer nonlinearity of an MLP. */
export type Activation = 'tanh' | 'relu';

/**
 * A functional multi-layer perceptron over explicit parameters `[W1, b1, …, Wk, bk]`
 * (Wi `[in, out]`), linear output. Adapted parameters flow through {@link forward} like the
 * initial ones, which is what MAML needs.
 */
export class Mlp {
  /** Parameter shapes in order. */
  readonly shapes: number[][];
  readonly numParams: number;

  constructor(
    readonly sizes: readonly number[],
    readonly activation: Activation,
  ) {
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
      throw new RangeError(`Mlp: layer sizes must be at least two positive integers, got [${sizes.join(', ')}]`);
    }
    this.shapes = [];
    for (let i = 0; i + 1 < sizes.length; i++) this.shapes.push([sizes[i]!, sizes[i + 1]!], [sizes[i + 1]!]);
    this.numParams = this.shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  }

  /** Glorot-uniform weights, zero biases. */
  init(rng: Rng): Float32Array[] {
    const out: Float32Array[] = [];
    for (let i = 0; i < this.shapes.length; i += 2) {
      const [fanIn, fanOut] = this.shapes[i] as [number, number];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const w = new Float32Array(fanIn * fanOut);
      for (let j = 0; j < w.length; j++) w[j] = rng.uniformRange(-limit, limit);
      out.push(w, new Float32Array(fanOut));
    }
    return out;
  }

  /** f(x): `x [N, in]` → `[N, out]`, using `params[0 … 2k−1]`. */
  forward(params: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    const nLayers = this.sizes.length - 1;
    for (let l = 0; l < nLayers; l++) {
      h = tf.add(tf.matMul(h, params[2 * l] as tf.Tensor2D), params[2 * l + 1]!) as tf.Tensor2D;
      if (l < nLayers - 1) h = this.activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
    }
    return h;
  }

  /**
   * f(x) in plain JS (float64 accumulation), for sampling where no gradient is needed and a
   * tfjs call per environment step would cost more than the arithmetic.
   * @param x `[n, in]` row-major; returns `[n, out]`.
   */
  forwardJs(values: readonly Float32Array[], x: Float32Array, n: number): Float32Array {
    let h: Float32Array = x;
    let width = this.sizes[0]!;
    const nLayers = this.sizes.length - 1;
    for (let l = 0; l < nLayers; l++) {
      const w = values[2 * l]!;
      const b = values[2 * l + 1]!;
      const outW = b.length;
      const out = new Float32Array(n * outW);
      const acc = new Float64Array(outW);
      const last = l === nLayers - 1;
      for (let r = 0; r < n; r++) {
        acc.set(b);
        for (let k = 0; k < width; k++) {
          const v = h[r * width + k]!;
          if (v === 0) continue;
          const row = k * outW;
          for (let j = 0; j < outW; j++) acc[j] += v * w[row + j]!;
        }
        for (let j = 0; j < outW; j++) {
          const a = acc[j]!;
          out[r * outW + j] = last ? a : this.activation === 'tanh' ? Math.tanh(a) : a > 0 ? a : 0;
        }
      }
      h = out;
      width = outW;
    }
    return h;
  }
}
