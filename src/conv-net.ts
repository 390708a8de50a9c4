/**
 * The few-shot classification conv net of Finn et al. (2017) / Vinyals et al. (2016) as a pure
 * function of explicit parameters, differentiable to second order on every tfjs backend.
 *
 * Architecture (the paper's, for Omniglot): `numBlocks` blocks of
 *   3×3 conv (`filters` channels, stride 2, 'same' padding, no bias)
 *   → batch norm with the statistics of the current batch (training mode, as MAML's reference
 *     implementation; transductive: a query batch is normalised with its own statistics),
 *     learnable scale γ and offset β
 *   → ReLU,
 * then mean-pool over space (default; or flatten) and a linear layer to `numClasses` logits.
 * 28×28 inputs shrink to 14, 7, 4, 2. (A conv bias would be cancelled by batch norm's mean
 * subtraction, so β plays its role.)
 *
 * Parameters, in order: per block `[W (k,k,cin,cout), γ (cout), β (cout)]`, then the head
 * `[W (features, numClasses), b (numClasses)]`. {@link ConvNet.headIndices} are the last two
 * (ANIL adapts only those; MAML adapts all).
 *
 * Why the convolution is not `tf.conv2d`: in tfjs 4.22 (test/grad/conv-net.test.ts shows both)
 *   1. the wasm backend has no `Conv2DBackpropFilter` kernel, so even the first-order gradient of
 *      `tf.conv2d` with respect to its filter throws on wasm ("Kernel 'Conv2DBackpropFilter' not
 *      registered for backend 'wasm'");
 *   2. tfjs-core registers no gradient for `Conv2DBackpropFilter`, so on every backend a
 *      gradient of a gradient through `tf.conv2d` (the MAML meta-gradient) throws ("gradient
 *      function not found for Conv2DBackpropFilter"); `tf.stridedSlice` has no gradient either.
 * {@link conv2dSame} therefore builds the convolution from ops whose gradients are themselves
 * differentiable and implemented on wasm: pad → reshape into stride-sized blocks → `slice`s
 * picking each kernel tap → per tap a matMul with that tap's `[cin, cout]` slice of the filter,
 * summed (im2col without the concat). The backward pass is then matMuls, slices, pads and adds, all linear
 * and all with registered gradients, and the matMuls go through XNNPACK with the wasm kernel
 * fixes of ./wasm-kernels.ts. Batch norm (mean, squaredDifference, rsqrt), ReLU (step) and the
 * log-softmax cross-entropy have complete second-order gradients on wasm (log-softmax relies on
 * the tape fix of ./tfjs-second-order-fix.ts, installed by `initBackend`: without it the
 * meta-gradient of a tiny instance of this net came out 4–20 % off, silently).
 * test/grad/conv-net.test.ts checks the full second-order MAML and ANIL meta-gradients against
 * finite differences of a float64 re-implementation.
 */
import * as tf from '#tfjs';
import type { Rng } from './rng.ts';

/** Shape of a {@link ConvNet}. */
export interface ConvNetConfig {
  /** Side length of the square input images. Default 28. */
  inputSize: number;
  /** Input channels. Default 1. */
  inputChannels: number;
  /** Conv blocks. Default 4. */
  numBlocks: number;
  /** Channels of every conv block. Default 64. */
  filters: number;
  /** Kernel side. Default 3. */
  kernelSize: number;
  /** Stride of every conv. Default 2. */
  stride: number;
  /** Features fed to the head: spatial mean of the last block (default) or all of it flattened. */
  pooling: 'mean' | 'flatten';
  /** Output logits (N of N-way). Required. */
  numClasses: number;
  /** Batch-norm ε. Default 1e-3 (TF's batch_norm default, used by MAML's reference code). */
  bnEpsilon: number;
}

/** The paper's Omniglot network: four 3×3 conv blocks of 64 filters (stride 2) on 28×28 inputs; the class count is left to the caller. */
export const DEFAULT_CONV_NET_CONFIG: Omit<ConvNetConfig, 'numClasses'> = {
  inputSize: 28,
  inputChannels: 1,
  numBlocks: 4,
  filters: 64,
  kernelSize: 3,
  stride: 2,
  pooling: 'mean',
  bnEpsilon: 1e-3,
};

/** Output side of a 'same' convolution. */
const sameOut = (size: number, stride: number): number => Math.ceil(size / stride);

/**
 * 2-D convolution with 'same' padding (TensorFlow's convention: the extra padding row/column,
 * if any, goes at the bottom/right) and no bias, as im2col + matMul; differentiable to any
 * order on every backend (see the module comment).
 * @param x `[B, H, W, Cin]`
 * @param w `[k, k, Cin, Cout]`
 * @returns `[B, ceil(H/stride), ceil(W/stride), Cout]`
 */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [b, , , cin] = x.shape;
  const [k, k2, wcin, cout] = w.shape;
  if (k !== k2 || wcin !== cin) throw new RangeError(`conv2dSame: filter ${w.shape} does not fit input ${x.shape}`);
  return tf.tidy(() => {
    const { taps, ho, wo } = convTaps(x, k, stride);
    // Σ over taps of tap · W[tap] rather than one matMul of the taps concatenated along channels:
    // the same product, but the concat's gradient (SplitV along a non-leading axis) is slow on wasm,
    // and this form's backward is matMuls, pads and adds only (about 2× faster forward + backward over
    // the four blocks at batch 80: scripts/bench-conv.ts).
    const wTaps = tf.reshape(w, [k * k * cin, cout]);
    let out: tf.Tensor | undefined;
    taps.forEach((tap, t) => {
      const term = tf.matMul(tap, tf.slice(wTaps, [t * cin, 0], [cin, cout]) as tf.Tensor2D);
      out = out === undefined ? term : tf.add(out, term);
    });
    return tf.reshape(out!, [b, ho, wo, cout]) as tf.Tensor4D;
  });
}

/**
 * The k·k kernel taps of a k×k convolution with 'same' padding (TensorFlow's convention) and
 * `stride`: tap (kh, kw), at index kh·k + kw, is `[B·ho·wo, cin]`, the input pixel that tap reads
 * for every output position. Built from pads, reshapes and slices only (differentiable to any
 * order on every backend). Call inside `tf.tidy`.
 * @param x `[B, H, W, cin]`
 */
export function convTaps(x: tf.Tensor4D, k: number, stride: number): { taps: tf.Tensor2D[]; ho: number; wo: number } {
  const [b, h, wd, cin] = x.shape;
  if (!Number.isInteger(stride) || stride < 1 || stride > k) throw new RangeError(`convolution stride must be in [1, ${k}] (the kernel size), got ${stride}`);
  const s = stride;
  const ho = sameOut(h, s);
  const wo = sameOut(wd, s);
  const padTop = Math.floor(Math.max((ho - 1) * s + k - h, 0) / 2);
  const padLeft = Math.floor(Math.max((wo - 1) * s + k - wd, 0) / 2);
  // Rows/columns in blocks of `s`: tap (kh, kw) of output (i, j) reads padded pixel
  // (s·i + kh, s·j + kw) = block (i + ⌊kh/s⌋, j + ⌊kw/s⌋), offset (kh mod s, kw mod s).
  const extra = Math.floor((k - 1) / s);
  const hb = ho + extra;
  const wb = wo + extra;
  const padded = tf.pad(x, [
    [0, 0],
    [padTop, hb * s - h - padTop],
    [padLeft, wb * s - wd - padLeft],
    [0, 0],
  ]);
  // Two stages of slices of rank ≤ 4: the wasm Slice kernel copies contiguous runs for ranks
  // 2–4 but falls back to a per-element loop above rank 4 (≈ 30× slower here).
  const rows = tf.reshape(padded, [b, hb, s, wb * s * cin]);
  const taps: tf.Tensor2D[] = [];
  for (let kh = 0; kh < k; kh++) {
    const row = tf.slice(rows, [0, Math.floor(kh / s), kh % s, 0], [b, ho, 1, wb * s * cin]);
    const cols = tf.reshape(row, [b * ho, wb, s * cin]);
    for (let kw = 0; kw < k; kw++) {
      const tap = tf.slice(cols, [0, Math.floor(kw / s), (kw % s) * cin], [b * ho, wo, cin]);
      taps.push(tf.reshape(tap, [b * ho * wo, cin]));
    }
  }
  return { taps, ho, wo };
}

/**
 * Batch norm in training mode: per-channel mean and variance over `[B, H, W]` of this batch,
 * `y = γ (x − μ) / √(σ² + ε) + β`.
 * @param x `[B, H, W, C]`; `gamma`, `beta` `[C]`.
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const inv = tf.rsqrt(tf.add(variance, epsilon));
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), inv), gamma), beta) as tf.Tensor4D;
  });
}

/**
 * Mean softmax cross-entropy, −(1/B) Σ_b log softmax(logits_b)[y_b].
 * One-hot × log-softmax rather than a gather, whose gradient kernel is missing on wasm.
 * @param logits `[B, N]`; `labels` int32 `[B]` with values in [0, N).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const n = logits.shape[1];
    const oneHot = tf.oneHot(labels, n);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** Fraction of rows whose arg-max equals the label (no gradient). */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')) as tf.Scalar);
}

/**
 * The conv net as a function of explicit parameters (see the module comment).
 * `logits(params, x)` is pure and differentiable in `params` to second order, so adapted
 * parameters θ′ flow through it like the initial ones.
 */
export class ConvNet {
  readonly config: ConvNetConfig;
  /** Shapes of the parameter list. */
  readonly shapes: number[][];
  /** Total number of scalars. */
  readonly numParams: number;
  /** Indices of the head's `[W, b]` (the parameters ANIL adapts). */
  readonly headIndices: readonly number[];
  /** Indices of the conv blocks' parameters. */
  readonly bodyIndices: readonly number[];
  /** Features entering the head. */
  readonly featureSize: number;

  /**
   * @param config the architecture: `numClasses` is required, the rest defaults to
   *   {@link DEFAULT_CONV_NET_CONFIG} (the paper's four 3×3 blocks of 64 filters on 28×28 inputs).
   * @throws RangeError naming the field for a size that is not a positive integer, a stride larger
   *   than the kernel, an unknown pooling or a non-positive `bnEpsilon`.
   */
  constructor(config: Partial<ConvNetConfig> & { numClasses: number }) {
    const c = { ...DEFAULT_CONV_NET_CONFIG, ...config };
    for (const key of ['inputSize', 'inputChannels', 'numBlocks', 'filters', 'kernelSize', 'stride', 'numClasses'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1) throw new RangeError(`ConvNet: ${key} must be a positive integer, got ${c[key]}`);
    }
    if (c.stride > c.kernelSize) throw new RangeError(`ConvNet: stride ${c.stride} exceeds kernelSize ${c.kernelSize}`);
    if (c.pooling !== 'mean' && c.pooling !== 'flatten') throw new RangeError(`ConvNet: pooling must be 'mean' or 'flatten', got ${String(c.pooling)}`);
    if (!(c.bnEpsilon > 0)) throw new RangeError(`ConvNet: bnEpsilon must be positive, got ${c.bnEpsilon}`);
    this.config = c;
    this.shapes = [];
    let cin = c.inputChannels;
    let side = c.inputSize;
    for (let l = 0; l < c.numBlocks; l++) {
      this.shapes.push([c.kernelSize, c.kernelSize, cin, c.filters], [c.filters], [c.filters]);
      cin = c.filters;
      side = sameOut(side, c.stride);
    }
    this.featureSize = c.pooling === 'mean' ? c.filters : side * side * c.filters;
    this.shapes.push([this.featureSize, c.numClasses], [c.numClasses]);
    this.numParams = this.shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const n = this.shapes.length;
    this.headIndices = [n - 2, n - 1];
    this.bodyIndices = Array.from({ length: n - 2 }, (_, i) => i);
  }

  /**
   * Glorot-uniform conv filters (fan-in k²·cin, fan-out k²·cout) and head weights, γ = 1,
   * β = 0, zero head bias.
   */
  init(rng: Rng): Float32Array[] {
    return this.shapes.map((shape, i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(size);
      if (shape.length === 1) {
        const isGamma = i < this.headIndices[0]! && i % 3 === 1;
        if (isGamma) v.fill(1);
        return v;
      }
      const receptive = shape.length === 4 ? shape[0]! * shape[1]! : 1;
      const fanIn = receptive * shape[shape.length - 2]!;
      const fanOut = receptive * shape[shape.length - 1]!;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let j = 0; j < size; j++) v[j] = rng.uniformRange(-limit, limit);
      return v;
    });
  }

  /** Shape of one input without the batch dimension, `[size, size, channels]`. */
  get inputShape(): readonly number[] {
    return [this.config.inputSize, this.config.inputSize, this.config.inputChannels];
  }

  /** Same as {@link logits} (the name the supervised learners' model interface uses). */
  forward(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
    return this.logits(params, x);
  }

  /** Same as {@link features}: the embedding prototypical networks compare. */
  embed(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
    return this.features(params, x);
  }

  /** Tensors holding `values` (caller disposes). */
  toTensors(values: readonly Float32Array[]): tf.Tensor[] {
    if (values.length !== this.shapes.length) throw new RangeError(`ConvNet: expected ${this.shapes.length} parameter arrays, got ${values.length}`);
    return values.map((v, i) => tf.tensor(v, this.shapes[i]));
  }

  /** `[B, size²·channels]` or `[B, size, size, channels]` → `[B, size, size, channels]` (a view). */
  private asImages(x: tf.Tensor): tf.Tensor4D {
    const { inputSize: s, inputChannels: ch } = this.config;
    if (x.rank === 4 && x.shape[1] === s && x.shape[2] === s && x.shape[3] === ch) return x as tf.Tensor4D;
    if (x.rank === 2 && x.shape[1] === s * s * ch) return tf.reshape(x, [x.shape[0]!, s, s, ch]);
    throw new RangeError(`ConvNet: input must be [B, ${s}, ${s}, ${ch}] or [B, ${s * s * ch}], got [${x.shape}]`);
  }

  /** Head input `[B, featureSize]` (the last block's output, mean-pooled or flattened). */
  features(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
    this.checkParams(params);
    const c = this.config;
    return tf.tidy(() => {
      let h = this.asImages(x);
      for (let l = 0; l < c.numBlocks; l++) {
        const z = conv2dSame(h, params[3 * l] as tf.Tensor4D, c.stride);
        h = tf.relu(batchNormTrain(z, params[3 * l + 1]!, params[3 * l + 2]!, c.bnEpsilon));
      }
      return (c.pooling === 'mean' ? tf.mean(h, [1, 2]) : tf.reshape(h, [h.shape[0], -1])) as tf.Tensor2D;
    });
  }

  /** Class logits `[B, numClasses]` of images `x` (`[B, size, size, ch]` or `[B, size²·ch]`). */
  logits(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const f = this.features(params, x);
      const [w, b] = this.headIndices.map((i) => params[i]!);
      return tf.add(tf.matMul(f, w as tf.Tensor2D), b!) as tf.Tensor2D;
    });
  }

  /** Mean cross-entropy of the logits of `x` against int32 labels `y [B]`. */
  loss(params: readonly tf.Tensor[], x: tf.Tensor, y: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(params, x), y));
  }

  /**
   * One inner SGD step θ′ = θ − α ∇θ L(θ; x, y) on the parameters listed in `adapt`
   * (default all: MAML; `headIndices`: ANIL); the others are returned as the same tensor
   * objects. Differentiable (second order) when called inside `tf.grads`; the caller disposes
   * the new tensors (those at the indices in `adapt`).
   */
  sgdStep(
    params: readonly tf.Tensor[],
    x: tf.Tensor,
    y: tf.Tensor1D,
    lr: number,
    adapt: readonly number[] = this.shapes.map((_, i) => i),
  ): tf.Tensor[] {
    if (adapt.length === 0) return params.slice();
    const chosen = adapt.map((i) => params[i]!);
    const g = tf.grads((...qs: tf.Tensor[]) => {
      const full = params.slice();
      adapt.forEach((i, j) => (full[i] = qs[j]!));
      return this.loss(full, x, y);
    })(chosen);
    const out = params.slice();
    adapt.forEach((i, j) => {
      out[i] = tf.sub(params[i]!, tf.mul(lr, g[j]!));
    });
    tf.dispose(g);
    return out;
  }

  private checkParams(params: readonly tf.Tensor[]): void {
    if (params.length !== this.shapes.length) throw new RangeError(`ConvNet: expected ${this.shapes.length} parameters, got ${params.length}`);
  }
}
