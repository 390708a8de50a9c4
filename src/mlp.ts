import * as tf from '#tfjs';
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
  readonly sizes: readonly number[];
  readonly activation: Activation;

  /**
   * @param sizes the layer widths from input to output, e.g. `[2, 100, 100, 2]`.
   * @param activation the hidden layers' nonlinearity (the output is linear).
   * @throws RangeError for fewer than two sizes or a size that is not a positive integer.
   */
  constructor(
    sizes: readonly number[],
    activation: Activation,
  ) {
    this.sizes = sizes;
    this.activation = activation;
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
   * Directional derivative of f(x) in the parameters along `tangent` (shaped like `params`), by a
   * forward pass that carries the tangent (forward-mode differentiation written out): `[N, out]`.
   * At a ReLU kink the derivative is taken as 0, as tfjs's gradient of relu does.
   */
  jvp(params: readonly tf.Tensor[], tangent: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      let dh: tf.Tensor2D | null = null;
      const nLayers = this.sizes.length - 1;
      for (let l = 0; l < nLayers - 1; l++) {
        const w = params[2 * l] as tf.Tensor2D;
        const z = tf.add(tf.matMul(h, w), params[2 * l + 1]!) as tf.Tensor2D;
        let dz = tf.add(tf.matMul(h, tangent[2 * l] as tf.Tensor2D), tangent[2 * l + 1]!) as tf.Tensor2D;
        if (dh) dz = tf.add(dz, tf.matMul(dh, w));
        h = (this.activation === 'tanh' ? tf.tanh(z) : tf.relu(z)) as tf.Tensor2D;
        dh = tf.mul(dz, this.activation === 'tanh' ? tf.sub(1, tf.square(h)) : tf.step(z)) as tf.Tensor2D;
      }
      const l = nLayers - 1;
      const out = tf.add(tf.matMul(h, tangent[2 * l] as tf.Tensor2D), tangent[2 * l + 1]!) as tf.Tensor2D;
      return dh ? (tf.add(out, tf.matMul(dh, params[2 * l] as tf.Tensor2D)) as tf.Tensor2D) : out;
    });
  }

  /**
   * f(x) in plain JS (float64 accumulation), for sampling where no gradient is needed and a
   * tfjs call per environment step would cost more than the arithmetic.
   *
   * Every output is b_j + Σ_k x_k W_kj summed in order of k in float64 (zero inputs skipped), then
   * rounded to float32. Rows are processed four at a time so each weight is read once per four
   * rows (~1.5× faster); the per-element arithmetic, and so the result, is that of one row at a time.
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
      const a0 = new Float64Array(outW);
      const a1 = new Float64Array(outW);
      const a2 = new Float64Array(outW);
      const a3 = new Float64Array(outW);
      const act = l === nLayers - 1 ? 'linear' : this.activation;
      let r = 0;
      for (; r + 4 <= n; r += 4) {
        a0.set(b);
        a1.set(b);
        a2.set(b);
        a3.set(b);
        const i0 = r * width;
        for (let k = 0; k < width; k++) {
          const v0 = h[i0 + k]!;
          const v1 = h[i0 + width + k]!;
          const v2 = h[i0 + 2 * width + k]!;
          const v3 = h[i0 + 3 * width + k]!;
          const row = k * outW;
          if (v0 !== 0 && v1 !== 0 && v2 !== 0 && v3 !== 0) {
            for (let j = 0; j < outW; j++) {
              const wj = w[row + j]!;
              a0[j]! += v0 * wj;
              a1[j]! += v1 * wj;
              a2[j]! += v2 * wj;
              a3[j]! += v3 * wj;
            }
          } else {
            if (v0 !== 0) for (let j = 0; j < outW; j++) a0[j]! += v0 * w[row + j]!;
            if (v1 !== 0) for (let j = 0; j < outW; j++) a1[j]! += v1 * w[row + j]!;
            if (v2 !== 0) for (let j = 0; j < outW; j++) a2[j]! += v2 * w[row + j]!;
            if (v3 !== 0) for (let j = 0; j < outW; j++) a3[j]! += v3 * w[row + j]!;
          }
        }
        activateInto(out, r * outW, a0, act);
        activateInto(out, (r + 1) * outW, a1, act);
        activateInto(out, (r + 2) * outW, a2, act);
        activateInto(out, (r + 3) * outW, a3, act);
      }
      for (; r < n; r++) {
        a0.set(b);
        for (let k = 0; k < width; k++) {
          const v = h[r * width + k]!;
          if (v === 0) continue;
          const row = k * outW;
          for (let j = 0; j < outW; j++) a0[j]! += v * w[row + j]!;
        }
        activateInto(out, r * outW, a0, act);
      }
      h = out;
      width = outW;
    }
    return h;
  }
}

/** out[o + j] = act(acc[j]) rounded to float32. */
function activateInto(out: Float32Array, o: number, acc: Float64Array, act: Activation | 'linear'): void {
  const m = acc.length;
  if (act === 'tanh') for (let j = 0; j < m; j++) out[o + j] = Math.tanh(acc[j]!);
  else if (act === 'relu') for (let j = 0; j < m; j++) out[o + j] = acc[j]! > 0 ? acc[j]! : 0;
  else for (let j = 0; j < m; j++) out[o + j] = acc[j]!;
}
