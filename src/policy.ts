import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.ts';

/** Hidden-layer nonlinearity of an MLP. */
export type Activation = 'tanh' | 'relu';

/** Shape of a Gaussian MLP policy. */
export interface PolicyConfig {
  /** Hidden layer widths. Default [64, 64] (reference.md; the paper used [100, 100]). */
  hiddenSizes: number[];
  /** Default 'tanh'. */
  activation: Activation;
  /** Initial standard deviation of every action dimension. Default 1. */
  initStd: number;
}

/** Parameter values as plain arrays: what is sampled with, checkpointed and sent between threads. */
export type ParamValues = Float32Array[];

/**
 * Diagonal Gaussian policy π(a | s) = N(μ_θ(s), diag(σ²)) with an MLP mean and a learned,
 * state-independent log σ — the policy of Finn et al. (2017) and of the public MAML-RL ports.
 *
 * Functional: the parameters are explicit (`[W1, b1, …, Wk, bk, logStd]`, Wi `[in, out]`),
 * so adapted parameters θ′ flow through {@link mean} like the initial ones.
 */
export class GaussianMlpPolicy {
  /** Shapes of the parameter list, logStd last. */
  readonly shapes: number[][];
  /** Total number of scalars. */
  readonly numParams: number;

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
    readonly config: PolicyConfig,
  ) {
    const sizes = [obsDim, ...config.hiddenSizes, actDim];
    this.shapes = [];
    for (let i = 0; i + 1 < sizes.length; i++) this.shapes.push([sizes[i]!, sizes[i + 1]!], [sizes[i + 1]!]);
    this.shapes.push([actDim]);
    this.numParams = this.shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  }

  /** Glorot-uniform weights, zero biases, log σ = log(initStd). */
  init(rng: Rng): ParamValues {
    const out: ParamValues = [];
    for (let i = 0; i < this.shapes.length - 1; i += 2) {
      const [fanIn, fanOut] = this.shapes[i] as [number, number];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const w = new Float32Array(fanIn * fanOut);
      for (let j = 0; j < w.length; j++) w[j] = rng.uniformRange(-limit, limit);
      out.push(w, new Float32Array(fanOut));
    }
    out.push(new Float32Array(this.actDim).fill(Math.log(this.config.initStd)));
    return out;
  }

  /** Tensors holding `values` (caller disposes). */
  toTensors(values: ParamValues): tf.Tensor[] {
    return values.map((v, i) => tf.tensor(v, this.shapes[i]));
  }

  /** μ_θ(s): `obs [N, obsDim]` → `[N, actDim]`. */
  mean(params: readonly tf.Tensor[], obs: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = obs;
    const nLayers = (params.length - 1) / 2;
    for (let l = 0; l < nLayers; l++) {
      h = tf.add(tf.matMul(h, params[2 * l] as tf.Tensor2D), params[2 * l + 1]!) as tf.Tensor2D;
      if (l < nLayers - 1) h = this.config.activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
    }
    return h;
  }

  /** log σ `[actDim]`. */
  logStd(params: readonly tf.Tensor[]): tf.Tensor1D {
    return params[params.length - 1] as tf.Tensor1D;
  }

  /**
   * μ_θ(s) in plain JS (float64 accumulation) for sampling, where no gradient is needed and
   * a tfjs call per environment step would cost more than the arithmetic.
   * @param obs `[n, obsDim]` row-major; returns `[n, actDim]`.
   */
  meanJs(values: ParamValues, obs: Float32Array, n: number): Float32Array {
    let h: Float32Array = obs;
    let width = this.obsDim;
    const nLayers = (values.length - 1) / 2;
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
          const x = h[r * width + k]!;
          if (x === 0) continue;
          const row = k * outW;
          for (let j = 0; j < outW; j++) acc[j] += x * w[row + j]!;
        }
        for (let j = 0; j < outW; j++) {
          const a = acc[j]!;
          out[r * outW + j] = last ? a : this.config.activation === 'tanh' ? Math.tanh(a) : a > 0 ? a : 0;
        }
      }
      h = out;
      width = outW;
    }
    return h;
  }
}
