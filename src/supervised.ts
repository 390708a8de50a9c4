import * as tf from '#tfjs';
import type { LabelledBatch } from './types.ts';
import type { ParamValues } from './policy.ts';
import type { Rng } from './rng.ts';
import { Mlp, type Activation } from './mlp.ts';
import { readFlat } from './params.ts';

/** A differentiable model over explicit parameters, for horizon-1 (supervised) tasks. */
export interface SupervisedModel {
  readonly shapes: number[][];
  readonly numParams: number;
  /** Shape of one input, without the batch dimension. */
  readonly inputShape: readonly number[];
  /** Indices of the parameters of the last (head) layer: the only ones ANIL adapts. */
  readonly headIndices: readonly number[];
  /** Fresh parameters drawn from `rng` (the same `rng` state gives the same values). */
  init(rng: Rng): ParamValues;
  /** Predictions `[N, outputDim]` for inputs `x [N, ...inputShape]`. */
  forward(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D;
  /** Features before the head `[N, F]` (what prototypical networks embed with). */
  embed?(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D;
}

/** The sine regressor of Finn et al. (2017): an MLP, 1-40-40-1 ReLU by default. */
export class MlpRegressor implements SupervisedModel {
  readonly net: Mlp;
  readonly shapes: number[][];
  readonly numParams: number;
  readonly inputShape: readonly number[];
  readonly headIndices: readonly number[];

  /**
   * @param inputDim input size (1 for sine).
   * @param hiddenSizes hidden layer widths (`[40, 40]` in the paper).
   * @param outputDim output size (1 for sine).
   * @param activation hidden nonlinearity (ReLU in the paper).
   * @throws RangeError for a size that is not a positive integer.
   */
  constructor(inputDim: number, hiddenSizes: readonly number[], outputDim: number, activation: Activation = 'relu') {
    this.net = new Mlp([inputDim, ...hiddenSizes, outputDim], activation);
    this.shapes = this.net.shapes;
    this.numParams = this.net.numParams;
    this.inputShape = [inputDim];
    this.headIndices = [this.shapes.length - 2, this.shapes.length - 1];
  }

  init(rng: Rng): ParamValues {
    return this.net.init(rng);
  }

  forward(params: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D {
    return this.net.forward(params, x as tf.Tensor2D);
  }
}

/** Labelled batch as tensors. */
export interface BatchTensors {
  x: tf.Tensor;
  /** `[N, D]` float targets or `[N, C]` one-hot labels. */
  y: tf.Tensor2D;
}

/** Uploads a batch; class labels become one-hot rows (tfjs' gather has no wasm gradient kernel). */
export function batchTensors(b: LabelledBatch, inputShape: readonly number[], outputDim: number, kind: 'mse' | 'cross-entropy'): BatchTensors {
  const x = tf.tensor(b.x, [b.n, ...inputShape]);
  if (kind === 'mse') return { x, y: tf.tensor2d(b.y as Float32Array, [b.n, outputDim]) };
  const oh = new Float32Array(b.n * outputDim);
  for (let i = 0; i < b.n; i++) oh[i * outputDim + (b.y as Int32Array)[i]!] = 1;
  return { x, y: tf.tensor2d(oh, [b.n, outputDim]) };
}

/** Mean squared error (summed over output dims) or mean softmax cross-entropy. */
export function supervisedLoss(kind: 'mse' | 'cross-entropy', pred: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  if (kind === 'mse') return tf.mean(tf.sum(tf.square(tf.sub(pred, y)), 1)) as tf.Scalar;
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(pred)), 1))) as tf.Scalar;
}

/** How a task adapts in the inner loop. */
export interface SupervisedAdaptation {
  fastLr: number;
  numInnerSteps: number;
  firstOrder: boolean;
  /** Adapt only these parameter indices (ANIL); all when absent. */
  adaptIndices?: readonly number[] | undefined;
  /**
   * Meta-SGD (Li et al. 2017): the meta-parameters are [θ, α] with α shaped like θ, and the inner
   * step is θ − α ⊙ ∇L instead of θ − fastLr ∇L.
   */
  learnedLr?: boolean;
  /**
   * Outer loss = mean of the query losses after each of the `numInnerSteps` steps instead of the
   * last one only (the multi-step loss of MAML++, Antoniou et al. 2019): every intermediate θ′ is
   * trained to be good, so repeating the step at test time stays stable.
   */
  multiStepLoss?: boolean;
}

/**
 * One supervised task's meta-objective: adapt on the support batch, loss on the query batch
 * (MAML, Finn et al. 2017 §3.1; Meta-SGD; ANIL, Raghu et al. 2020). Borrows its tensors.
 */
export class SupervisedObjective {
  readonly model: SupervisedModel;
  readonly kind: 'mse' | 'cross-entropy';
  readonly support: BatchTensors;
  readonly query: BatchTensors;
  readonly adaptation: SupervisedAdaptation;

  /**
   * @param model the regressor or classifier whose parameters are adapted.
   * @param kind the loss: mean squared error (regression) or softmax cross-entropy (classification).
   * @param support the examples the inner steps adapt on (borrowed, not freed).
   * @param query the examples the adapted parameters are scored on (borrowed, not freed).
   * @param adaptation the inner loop: steps, step size, first-order, learned rates, ANIL's head only.
   */
  constructor(
    model: SupervisedModel,
    kind: 'mse' | 'cross-entropy',
    support: BatchTensors,
    query: BatchTensors,
    adaptation: SupervisedAdaptation,
  ) {
    this.model = model;
    this.kind = kind;
    this.support = support;
    this.query = query;
    this.adaptation = adaptation;
  }

  private get nModel(): number {
    return this.model.shapes.length;
  }

  /** Loss of `params` on a batch. */
  loss(params: readonly tf.Tensor[], b: BatchTensors): tf.Scalar {
    return supervisedLoss(this.kind, this.model.forward(params, b.x), b.y);
  }

  /**
   * θ′ after `steps` inner steps on the support batch (default `numInnerSteps`); records the
   * inner gradients when run inside a tape (second order). `meta` is θ, or [θ, α] for Meta-SGD.
   */
  adapt(meta: readonly tf.Tensor[], steps = this.adaptation.numInnerSteps, lr = this.adaptation.fastLr): tf.Tensor[] {
    const path = this.adaptPath(meta, steps, lr);
    return path.length > 0 ? path[path.length - 1]! : (meta.slice(0, this.nModel) as tf.Tensor[]);
  }

  /** The model parameters after each of `steps` inner steps: `path[k]` is θ after k + 1 steps. */
  adaptPath(meta: readonly tf.Tensor[], steps = this.adaptation.numInnerSteps, lr = this.adaptation.fastLr): tf.Tensor[][] {
    const n = this.nModel;
    let cur = meta.slice(0, n) as tf.Tensor[];
    const alpha = this.adaptation.learnedLr ? meta.slice(n) : null;
    const which = this.adaptation.adaptIndices ?? cur.map((_, i) => i);
    const path: tf.Tensor[][] = [];
    for (let s = 0; s < steps; s++) {
      const sel = which.map((i) => cur[i]!);
      const g = tf.grads((...p: tf.Tensor[]) => {
        const full = cur.slice();
        which.forEach((i, k) => (full[i] = p[k]!));
        return this.loss(full, this.support);
      })(sel);
      const next = cur.slice();
      which.forEach((i, k) => {
        next[i] = tf.sub(cur[i]!, alpha ? tf.mul(alpha[i]!, g[k]!) : tf.mul(g[k]!, lr));
      });
      cur = next;
      path.push(cur);
    }
    return path;
  }

  /**
   * Query loss after adaptation and its gradient in the meta-parameters. With `multiStepLoss` the
   * differentiated objective is the mean query loss over the inner steps; `loss` is still the one
   * after the last step.
   */
  metaGradient(meta: readonly tf.Tensor[]): { loss: number; grad: Float64Array } {
    const multi = this.adaptation.multiStepLoss === true;
    let last = NaN;
    // The mean query loss over `path` (the parameters after each step; never empty), or the last one's.
    const objective = (path: tf.Tensor[][]): tf.Scalar => {
      const used = multi ? path : [path[path.length - 1]!];
      const losses = used.map((p) => this.loss(p, this.query));
      last = losses[losses.length - 1]!.dataSync()[0]!;
      return tf.div(tf.addN(losses), losses.length) as tf.Scalar;
    };
    let f: (...m: tf.Tensor[]) => tf.Scalar;
    let offsets: tf.Tensor[][] | null = null;
    if (this.adaptation.firstOrder && !this.adaptation.learnedLr) {
      // First-order MAML: θ′ₖ = θ + Δₖ with Δₖ constants (tfjs has no stop-gradient op).
      offsets = tf.tidy(() => {
        const path = this.adaptPath(meta);
        return (multi ? path : path.slice(-1)).map((p) => p.map((a, i) => tf.sub(a, meta[i]!)));
      });
      if (offsets.length === 0) offsets = [meta.map((m) => tf.zerosLike(m))];
      f = (...m) => objective(offsets!.map((d) => m.map((t, i) => tf.add(t, d[i]!))));
    } else {
      f = (...m) => {
        const path = this.adaptPath(m);
        return objective(path.length > 0 ? path : [m.slice(0, this.nModel)]);
      };
    }
    const { value, grads } = tf.valueAndGrads(f)(meta as tf.Tensor[]);
    const grad = readFlat(grads);
    tf.dispose([value, ...grads]);
    if (offsets) tf.dispose(offsets.flat());
    return { loss: last, grad };
  }

  /** Query loss after `steps` inner steps of size `lr` (values only; evaluation). */
  queryLoss(meta: readonly tf.Tensor[], steps: number, lr: number): number {
    const l = tf.tidy(() => this.loss(this.adapt(meta, steps, lr), this.query));
    const v = l.dataSync()[0]!;
    l.dispose();
    return v;
  }

  /** θ′ − θ after the inner steps (values only): Reptile's update direction (Nichol et al. 2018). */
  reptileDelta(meta: readonly tf.Tensor[]): Float64Array {
    const d = tf.tidy(() => this.adapt(meta).map((a, i) => tf.sub(a, meta[i]!)));
    const out = readFlat(d);
    tf.dispose(d);
    return out;
  }
}

/**
 * Prototypical-network loss (Snell et al. 2017): class prototypes are the mean support embeddings,
 * query logits are −‖e(q) − c_k‖², cross-entropy against the query labels. No inner loop.
 * `support.y`/`query.y` are one-hot `[N, C]`.
 */
export function protoLoss(model: SupervisedModel, params: readonly tf.Tensor[], support: BatchTensors, query: BatchTensors): tf.Scalar {
  if (!model.embed) throw new TypeError('protoLoss: the model has no embed()');
  const es = model.embed(params, support.x); // [Ns, F]
  const counts = tf.sum(support.y, 0); // [C]
  const protos = tf.div(tf.matMul(support.y, es, true, false), tf.expandDims(counts, 1)); // [C, F]
  const eq = model.embed(params, query.x); // [Nq, F]
  const d2 = tf.add(tf.sub(tf.sum(tf.square(eq), 1, true), tf.mul(tf.matMul(eq, protos, false, true), 2)), tf.expandDims(tf.sum(tf.square(protos), 1), 0));
  return supervisedLoss('cross-entropy', tf.neg(d2) as tf.Tensor2D, query.y);
}
