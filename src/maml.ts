import * as tf from '#tfjs';
import type { Episodes } from './types.ts';
import type { GaussianMlpPolicy, ParamValues } from './policy.ts';
import { gaussianKl, gaussianLogProb } from './distributions.ts';
import { readFlat } from './params.ts';
import { ConfigError } from './config.ts';

/** Policy-gradient data of one batch, real steps only (padding dropped), row-major. */
export interface PgData {
  n: number;
  /** `[n, obsDim]` */
  obs: Float32Array;
  /** `[n, actDim]` */
  actions: Float32Array;
  /** `[n]` */
  advantages: Float32Array;
}

/** Collects the real steps of `ep` with their advantages (`[T, B]`, time-major) into rows. */
export function pgData(ep: Episodes, advantages: Float32Array): PgData {
  if (advantages?.length !== ep.T * ep.B) throw new ConfigError('advantages', advantages?.length, `must hold one value per step of the batch, T·B = ${ep.T * ep.B} (estimateAdvantages(ep, …) gives them)`);
  let n = 0;
  for (let k = 0; k < ep.T * ep.B; k++) if (ep.mask[k]) n++;
  const obs = new Float32Array(n * ep.obsDim);
  const actions = new Float32Array(n * ep.actDim);
  const adv = new Float32Array(n);
  let r = 0;
  for (let k = 0; k < ep.T * ep.B; k++) {
    if (!ep.mask[k]) continue;
    obs.set(ep.obs.subarray(k * ep.obsDim, (k + 1) * ep.obsDim), r * ep.obsDim);
    actions.set(ep.actions.subarray(k * ep.actDim, (k + 1) * ep.actDim), r * ep.actDim);
    adv[r] = advantages[k]!;
    r++;
  }
  return { n, obs, actions, advantages: adv };
}

/** {@link PgData} as tensors. */
export interface PgTensors {
  obs: tf.Tensor2D;
  actions: tf.Tensor2D;
  advantages: tf.Tensor1D;
}

/** Validation batch of a task plus the "old" adapted policy on it (constants of the outer step). */
export interface ValidTensors extends PgTensors {
  /** log π_{θ′_old}(a | s) `[n]` */
  oldLogProb: tf.Tensor1D;
  /** μ_{θ′_old}(s) `[n, actDim]` */
  oldMean: tf.Tensor2D;
  /** log σ of θ′_old `[actDim]` */
  oldLogStd: tf.Tensor1D;
}

/** Uploads a batch. The caller disposes the tensors ({@link disposeBatch}). */
export function toTensors(d: PgData, obsDim: number, actDim: number): PgTensors {
  return {
    obs: tf.tensor2d(d.obs, [d.n, obsDim]),
    actions: tf.tensor2d(d.actions, [d.n, actDim]),
    advantages: tf.tensor1d(d.advantages),
  };
}

/** Disposes every tensor of a batch. */
export function disposeBatch(b: PgTensors | ValidTensors): void {
  tf.dispose(Object.values(b) as tf.Tensor[]);
}

/**
 * REINFORCE loss L(θ) = −(1/n) Σ_i log π_θ(a_i | s_i) Â_i (Williams 1992), the inner loss of MAML-RL.
 */
export function reinforceLoss(policy: GaussianMlpPolicy, params: readonly tf.Tensor[], b: PgTensors): tf.Scalar {
  const logp = gaussianLogProb(policy.mean(params, b.obs), policy.logStd(params), b.actions);
  return tf.neg(tf.mean(tf.mul(logp, b.advantages))) as tf.Scalar;
}

/**
 * The inner loss whose gradient adapts the policy. Both have the same value of the gradient at every
 * θ, so the adapted parameters are identical; they differ in their second derivative, i.e. in a
 * gradient taken through the adaptation ({@link TaskObjective} uses it for the meta-gradient only):
 * - `reinforce`: {@link reinforceLoss}, as in Finn et al. 2017 (the pre-update episodes' dependence
 *   on θ is ignored);
 * - `lvc`: {@link lvcLoss}, the low-variance curvature objective of ProMP (Rothfuss et al. 2019),
 *   whose Hessian has the extra term −(1/n) Σ_i Â_i ∇log π_i ∇log π_iᵀ, the per-step part of the
 *   term by which the pre-update sampling distribution depends on θ.
 */
export type InnerLoss = 'reinforce' | 'lvc';

/**
 * Low-variance curvature (LVC) inner loss L(θ) = −(1/n) Σ_i exp(log π_θ(a_i|s_i) − ⊥log π_θ(a_i|s_i)) Â_i,
 * where ⊥ is a constant equal to its argument's value at the θ it is evaluated at (read out of the
 * graph: tfjs has no stop-gradient op). Value −mean(Â) and gradient equal to {@link reinforceLoss}'s;
 * Hessian −(1/n) Σ_i (∇²log π_i + ∇log π_i ∇log π_iᵀ) Â_i.
 */
export function lvcLoss(policy: GaussianMlpPolicy, params: readonly tf.Tensor[], b: PgTensors): tf.Scalar {
  const logp = gaussianLogProb(policy.mean(params, b.obs), policy.logStd(params), b.actions);
  const frozen = tf.tensor1d(logp.dataSync() as Float32Array);
  return tf.neg(tf.mean(tf.mul(tf.exp(tf.sub(logp, frozen)), b.advantages))) as tf.Scalar;
}

/** The inner loss function named by `kind`. */
export function innerLossFn(kind: InnerLoss): typeof reinforceLoss {
  return kind === 'lvc' ? lvcLoss : reinforceLoss;
}

/**
 * Inner step sizes for `steps` steps: `fastLr` for the first and `fastLr · laterFactor` for every
 * later one (the evaluation protocol of Finn et al. 2017 uses α then α/2, i.e. `laterFactor` 0.5).
 */
export function innerStepSizes(fastLr: number, steps: number, laterFactor = 1): number[] {
  return Array.from({ length: steps }, (_, k) => (k === 0 ? fastLr : fastLr * laterFactor));
}

/**
 * Inner-loop adaptation, keeping every iterate: θ_{k+1} = θ_k − α_k ∇_θ L_k(θ_k), one step per batch
 * in `trains` (Finn et al. 2017, Alg. 3). Returns [θ_1, …, θ_K] (empty when `trains` is).
 * Run inside a gradient tape it records the inner gradients, so differentiating an iterate gives
 * the full second-order MAML gradient.
 *
 * @param lrs step size of each step (at least one per batch).
 * @param innerLoss the loss differentiated at each step (same iterates, different second derivative).
 * @param lrScale learned per-parameter multipliers of the step sizes, shaped like `params`
 *   ({@link splitMeta}): θ_{k+1} = θ_k − α_k s ⊙ ∇L_k(θ_k). Null: plain steps.
 */
export function adaptPath(
  policy: GaussianMlpPolicy,
  params: readonly tf.Tensor[],
  trains: readonly PgTensors[],
  lrs: readonly number[],
  innerLoss: InnerLoss = 'reinforce',
  lrScale: readonly tf.Tensor[] | null = null,
): tf.Tensor[][] {
  const loss = innerLossFn(innerLoss);
  if (lrs.length < trains.length) throw new RangeError(`adaptPath: ${trains.length} batches but ${lrs.length} step sizes`);
  if (lrScale && lrScale.length !== params.length) throw new RangeError(`adaptPath: ${params.length} parameter tensors but ${lrScale.length} step-size multipliers`);
  const path: tf.Tensor[][] = [];
  let cur = params as tf.Tensor[];
  trains.forEach((b, k) => {
    const g = tf.grads((...p: tf.Tensor[]) => loss(policy, p, b))(cur);
    cur = cur.map((p, i) => tf.sub(p, lrScale ? tf.mul(tf.mul(g[i]!, lrScale[i]!), lrs[k]!) : tf.mul(g[i]!, lrs[k]!)));
    path.push(cur);
  });
  return path;
}

/**
 * Inner-loop adaptation: the last iterate of {@link adaptPath} (θ itself when `trains` is empty).
 * It returns tensors and leaves the gradients' intermediates to the caller's scope: call it inside
 * `tf.tidy` (as {@link adaptValues} does, which takes and returns plain arrays) or dispose them.
 *
 * @param fastLr one step size for every step, or one per step.
 */
export function adapt(
  policy: GaussianMlpPolicy,
  params: readonly tf.Tensor[],
  trains: readonly PgTensors[],
  fastLr: number | readonly number[],
  lrScale: readonly tf.Tensor[] | null = null,
): tf.Tensor[] {
  const lrs = typeof fastLr === 'number' ? trains.map(() => fastLr) : fastLr;
  return adaptPath(policy, params, trains, lrs, 'reinforce', lrScale).at(-1) ?? (params as tf.Tensor[]);
}

/**
 * Learned inner step sizes (Meta-SGD, Li et al. 2017, for RL; `adaptation.learnedLr`): the
 * meta-parameters are [θ, s], s shaped like θ, and the inner step is θ − α s ⊙ ∇L(θ) with α the
 * configured `fastLr` (α/2 for later evaluation steps). s starts at 1 and is updated by the outer
 * TRPO step with θ. Learning a multiplier of α rather than the rate itself keeps s on the scale of θ
 * for the conjugate-gradient solve, and lets an evaluation step size other than the trained one
 * scale every learned rate alike.
 *
 * Splits meta-parameters (tensors, value arrays or shapes) into the policy's `n` parameters and
 * the multipliers (null without `learnedLr`). Throws a RangeError when the count does not fit.
 */
export function splitMeta<T>(meta: readonly T[], n: number, learnedLr: boolean): { theta: T[]; lrScale: T[] | null } {
  const want = learnedLr ? 2 * n : n;
  if (meta.length !== want) {
    throw new RangeError(`splitMeta: ${meta.length} parameter tensors, expected ${want} (${n} policy tensors${learnedLr ? ' and as many learned step-size multipliers' : ''})`);
  }
  return learnedLr ? { theta: meta.slice(0, n), lrScale: meta.slice(n) } : { theta: meta.slice(), lrScale: null };
}

/** Shapes of the meta-parameters: the policy's, twice with `learnedLr` ({@link splitMeta}). */
export function metaShapes(policy: GaussianMlpPolicy, learnedLr: boolean): number[][] {
  return learnedLr ? [...policy.shapes, ...policy.shapes] : policy.shapes;
}

/** Tensors holding meta-parameter values ({@link metaShapes}); the caller disposes them. */
export function metaTensors(policy: GaussianMlpPolicy, values: ParamValues, learnedLr: boolean): tf.Tensor[] {
  const shapes = metaShapes(policy, learnedLr);
  splitMeta(values, policy.shapes.length, learnedLr);
  return values.map((v, i) => tf.tensor(v, shapes[i]));
}

/** Initial step-size multipliers for {@link splitMeta}: ones shaped like the policy's parameters. */
export function initialLrScale(policy: GaussianMlpPolicy): ParamValues {
  return policy.shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(1));
}

/**
 * TRPO surrogate of the adapted policy on validation data:
 * L(θ) = −(1/n) Σ_i exp(log π_{θ′}(a_i|s_i) − log π_{θ′_old}(a_i|s_i)) Â_i  (Schulman et al. 2015).
 */
export function surrogateLoss(policy: GaussianMlpPolicy, adapted: readonly tf.Tensor[], v: ValidTensors): tf.Scalar {
  const logp = gaussianLogProb(policy.mean(adapted, v.obs), policy.logStd(adapted), v.actions);
  return tf.neg(tf.mean(tf.mul(tf.exp(tf.sub(logp, v.oldLogProb)), v.advantages))) as tf.Scalar;
}

/** Mean over validation states of KL(π_{θ′_old} ‖ π_{θ′}). */
export function meanKl(policy: GaussianMlpPolicy, adapted: readonly tf.Tensor[], v: ValidTensors): tf.Scalar {
  return tf.mean(gaussianKl(v.oldMean, v.oldLogStd, policy.mean(adapted, v.obs), policy.logStd(adapted)));
}

/**
 * The Hessian of {@link meanKl} in the adapted parameters, at the point where they equal the old
 * ones, applied to `t`: the Gauss-Newton form Jᵀ M J t, exact there because the KL's gradient in
 * the policy's outputs vanishes. M is 1/σ² per mean output (averaged over the states) and 2 per
 * log σ; J t comes from {@link Mlp.jvp}, Jᵀ from one gradient.
 */
export function klHessianProduct(policy: GaussianMlpPolicy, params: readonly tf.Tensor[], t: readonly tf.Tensor[], b: ValidTensors): tf.Tensor[] {
  return tf.tidy(() => {
    const net = params.slice(0, -1);
    const c = tf.div(tf.mul(policy.net.jvp(net, t.slice(0, -1), b.obs), tf.exp(tf.mul(policy.logStd(params), -2))), b.obs.shape[0]);
    const g = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(policy.net.forward(p, b.obs), c)) as tf.Scalar)(net);
    return [...g, tf.mul(t.at(-1)!, 2)];
  });
}

/**
 * How the Fisher-vector product is computed: `exact` differentiates the KL three times through the
 * adaptation ({@link TaskObjective.fvpExact}); `chain` gives the same product by the chain rule with
 * second derivatives only ({@link TaskObjective.fvpChain}); `finite-difference` differences the KL
 * gradient ({@link TaskObjective.fvpFiniteDifference}).
 */
export type FvpMode = 'exact' | 'chain' | 'finite-difference';

/** Options of a {@link TaskObjective}. */
export interface TaskObjectiveOptions {
  /** Step size of the first inner step. */
  fastLr: number;
  /** Step size of every later inner step, as a multiple of `fastLr`. Default 1. */
  laterStepsLrFactor?: number;
  /** Treat inner gradients as constants (first-order MAML). */
  firstOrder: boolean;
  /**
   * Multi-step objective only: the weight of each term (one per inner step, ≥ 0, normalised here
   * to sum 1). Absent or empty: equal weights.
   */
  termWeights?: readonly number[];
  /**
   * With a pre-update batch (the constructor's `preUpdate`): the weight of the unadapted policy's
   * term θ_0 against the post-adaptation terms, whose weights sum to 1; all weights are then
   * normalised to sum 1. Default 1 when a pre-update batch is given.
   */
  preUpdateWeight?: number;
  /** The inner loss the meta-gradient differentiates through ({@link InnerLoss}). Default 'reinforce'. */
  innerLoss?: InnerLoss;
  /**
   * θ passed to every method is the meta-parameter list [θ, s] of {@link splitMeta}: the inner steps
   * are scaled per parameter by s, and gradients and Fisher-vector products cover s too. Needs
   * second order (a first-order meta-gradient has no s component). Default false.
   */
  learnedLr?: boolean;
}

/**
 * The outer objective of one task as a function of the initial parameters θ: the surrogate
 * and the KL of the adapted policy θ′(θ) on the task's validation batch.
 *
 * With `intermediate` validation batches (one per inner step but the last: the episodes sampled
 * with θ_k, k = 1 … K−1, which are also the batches of the next inner step), the objective is the
 * multi-step one: the surrogate and the KL are averaged over θ_1 … θ_K, each on its own batch,
 * instead of taken at θ_K alone (a weighted mean with `termWeights`).
 *
 * With a `preUpdate` batch (the episodes of the first inner step, sampled with θ_old), the
 * unadapted policy θ itself is scored on it too, with weight `preUpdateWeight`: the outer step then
 * also optimises the return before adaptation, and its KL counts in the trust region.
 *
 * Methods borrow θ (tensors) and return plain float64 arrays; every tensor they create is freed,
 * except the inner path {@link fvpChain} keeps for repeated products at one θ (freed when θ changes
 * and by {@link dispose}).
 */
export class TaskObjective {
  /** Step size of each inner step. */
  readonly lrs: number[];
  /** The validation batches the objective averages over, in step order (the last is `valid`). */
  readonly terms: readonly ValidTensors[];
  /** The weight of each term, summing to 1. */
  readonly weights: readonly number[];
  /** The index in the path θ_0 (= θ), θ_1 … θ_K of the parameters each term is scored at. */
  private readonly termSteps: readonly number[];
  /** Equal weights on the post-adaptation terms only: the plain mean, as before weights existed. */
  private readonly plainMean: boolean;
  /** {@link chainPoint}'s inner path and gradients, with the θ values they were computed at. */
  private chainCache: { key: Float32Array[]; path: tf.Tensor[][]; grads: tf.Tensor[][] } | null = null;
  private offsetsCache: { key: Float32Array[]; offsets: tf.Tensor[][] } | null = null;
  readonly policy: GaussianMlpPolicy;
  readonly trains: readonly PgTensors[];
  readonly valid: ValidTensors;
  readonly opts: TaskObjectiveOptions;

  /**
   * @param policy the policy whose parameters are adapted.
   * @param trains one batch per inner step (`toTensors` of the episodes sampled with θ, then with
   *   each adapted θ′ in turn); their number is the number of inner steps.
   * @param valid the post-adaptation batch (`validTensors`, with the adapted policy's old
   *   log-probabilities): the surrogate and KL are scored on it.
   * @param opts step sizes, learned step sizes, first-order, inner loss, term weights.
   * @param intermediate with more than one inner step, a validation batch after each step but the
   *   last (K − 1 of them) to score the intermediate θ′ too; none (default) scores the last only.
   * @param preUpdate the first inner step's batch as a validation batch, to score θ itself (weight
   *   `opts.preUpdateWeight`); null (default) for none.
   * @throws RangeError for a count of `intermediate` batches other than 0 or K − 1, learned step
   *   sizes with `firstOrder`, or an `opts.fastLr` that is missing or not a finite number ≥ 0.
   */
  constructor(
    policy: GaussianMlpPolicy,
    trains: readonly PgTensors[],
    valid: ValidTensors,
    opts: TaskObjectiveOptions,
    intermediate: readonly ValidTensors[] = [],
    preUpdate: ValidTensors | null = null,
  ) {
    this.policy = policy;
    this.trains = trains;
    this.valid = valid;
    this.opts = opts;
    const K = trains.length;
    if (intermediate.length > 0 && intermediate.length !== K - 1) {
      throw new RangeError(`TaskObjective: ${K} inner steps need ${K - 1} intermediate validation batches, got ${intermediate.length}`);
    }
    if (opts.learnedLr && opts.firstOrder) throw new RangeError('TaskObjective: learned step sizes need the second-order meta-gradient (firstOrder is set)');
    if (!(Number.isFinite(opts.fastLr) && opts.fastLr >= 0)) throw new RangeError(`TaskObjective: opts.fastLr must be a finite step size ≥ 0, got ${opts.fastLr}`);
    if (preUpdate && K === 0) throw new RangeError('TaskObjective: a pre-update term needs at least one inner step');
    const w0 = opts.preUpdateWeight ?? 1;
    if (preUpdate && !(Number.isFinite(w0) && w0 >= 0)) throw new RangeError(`TaskObjective: preUpdateWeight must be finite and ≥ 0, got ${w0}`);
    this.lrs = innerStepSizes(opts.fastLr, K, opts.laterStepsLrFactor ?? 1);
    const post = [...intermediate, valid];
    const postSteps = post.length === 1 ? [K] : post.map((_, k) => k + 1);
    const postWeights = termWeights(opts.termWeights ?? [], post.length);
    this.terms = preUpdate ? [preUpdate, ...post] : post;
    this.termSteps = preUpdate ? [0, ...postSteps] : postSteps;
    this.weights = preUpdate ? [w0, ...postWeights].map((x) => x / (1 + w0)) : postWeights;
    this.plainMean = !preUpdate && !opts.termWeights?.length;
  }

  /** The policy's parameters and the learned step-size multipliers (null unless `learnedLr`) of θ. */
  private split(theta: readonly tf.Tensor[]): { theta: tf.Tensor[]; lrScale: tf.Tensor[] | null } {
    return splitMeta(theta, this.policy.shapes.length, this.opts.learnedLr ?? false);
  }

  /** θ′(θ) without a gradient graph (values only). Caller disposes. */
  adaptedValues(theta: readonly tf.Tensor[]): tf.Tensor[] {
    const { theta: p, lrScale } = this.split(theta);
    return tf.tidy(() => adapt(this.policy, p, this.trains, this.lrs, lrScale));
  }

  /**
   * First-order MAML: the iterates' offsets θ_k − θ, computed outside any tape (tfjs has no
   * stop-gradient op), so that θ_k = θ + offset has the identity as its Jacobian. Null otherwise.
   */
  private offsets(theta: readonly tf.Tensor[]): tf.Tensor[][] | null {
    if (!this.opts.firstOrder) return null;
    return tf.tidy(() => adaptPath(this.policy, theta, this.trains, this.lrs).map((p) => p.map((x, i) => tf.sub(x, theta[i]!))));
  }

  /**
   * The parameters each term is evaluated at: θ_1 … θ_K (multi-step) or θ_K alone, after θ itself
   * with a pre-update term, adapted with `innerLoss` (which changes only their derivatives, not
   * their values).
   */
  private termParams(th: readonly tf.Tensor[], offsets: tf.Tensor[][] | null, innerLoss: InnerLoss = 'reinforce'): tf.Tensor[][] {
    const { theta: p, lrScale } = this.split(th);
    const path = offsets ? offsets.map((o) => p.map((t, i) => tf.add(t, o[i]!))) : adaptPath(this.policy, p, this.trains, this.lrs, innerLoss, lrScale);
    const full = [p, ...path];
    return this.termSteps.map((k) => full[k]!);
  }

  /** Weighted mean over the terms of `f(θ_k, batch_k)`, given the terms' parameters. */
  private meanAt(params: tf.Tensor[][], f: (adapted: tf.Tensor[], v: ValidTensors) => tf.Scalar): tf.Scalar {
    const parts = params.map((p, k) => f(p, this.terms[k]!));
    if (parts.length === 1) return parts[0]!;
    // Equal weights keep the plain mean (bit-identical to runs made before weights existed).
    if (this.plainMean) return tf.div(tf.addN(parts), parts.length) as tf.Scalar;
    return tf.addN(parts.map((x, k) => tf.mul(x, this.weights[k]!))) as tf.Scalar;
  }

  /** Mean over the terms of `f(θ_k(θ), batch_k)`. */
  private meanOver(th: readonly tf.Tensor[], offsets: tf.Tensor[][] | null, f: (adapted: tf.Tensor[], v: ValidTensors) => tf.Scalar, innerLoss: InnerLoss = 'reinforce'): tf.Scalar {
    return this.meanAt(this.termParams(th, offsets, innerLoss), f);
  }

  /**
   * Value and gradient in θ of the mean over the terms of `objective(θ_k(θ), batch_k)`. Second
   * order unless `firstOrder`; `innerLoss` is the inner loss differentiated through.
   */
  valueAndGrad(theta: readonly tf.Tensor[], objective: (adapted: tf.Tensor[], v: ValidTensors) => tf.Scalar, innerLoss: InnerLoss = 'reinforce'): { value: number; grad: Float64Array } {
    const offsets = this.offsets(theta);
    try {
      return this.valueAndGradWith(theta, offsets, objective, innerLoss);
    } finally {
      if (offsets) tf.dispose(offsets);
    }
  }

  /** {@link valueAndGrad} with the first-order offsets given (null: second order). */
  private valueAndGradWith(theta: readonly tf.Tensor[], offsets: tf.Tensor[][] | null, objective: (adapted: tf.Tensor[], v: ValidTensors) => tf.Scalar, innerLoss: InnerLoss = 'reinforce'): { value: number; grad: Float64Array } {
    const f = (...th: tf.Tensor[]) => this.meanOver(th, offsets, objective, innerLoss);
    const { value, grads } = tf.valueAndGrads(f)(theta as tf.Tensor[]);
    const grad = readFlat(grads);
    const v = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    return { value: v, grad };
  }

  /**
   * Surrogate loss and its meta-gradient at θ, through the inner loss `opts.innerLoss`. The KL,
   * its gradient and the Fisher-vector products always differentiate the REINFORCE adaptation: the
   * trust region is on the actual KL of the adapted policies (a function of θ whose derivatives
   * the LVC estimator does not change), which also keeps the Fisher matrix symmetric.
   */
  metaGradient(theta: readonly tf.Tensor[]): { loss: number; grad: Float64Array } {
    const { value, grad } = this.valueAndGrad(theta, (a, v) => surrogateLoss(this.policy, a, v), this.opts.innerLoss ?? 'reinforce');
    return { loss: value, grad };
  }

  /** KL and its gradient at θ. */
  klGradient(theta: readonly tf.Tensor[]): { kl: number; grad: Float64Array } {
    const { value, grad } = this.valueAndGrad(theta, (a, v) => meanKl(this.policy, a, v));
    return { kl: value, grad };
  }

  /**
   * Exact Fisher-vector product H v = ∇_θ (∇_θ KL(θ) · v) at θ = θ_old, differentiating
   * through the adaptation (third-order derivatives for second-order MAML).
   */
  fvpExact(theta: readonly tf.Tensor[], v: readonly tf.Tensor[]): Float64Array {
    const offsets = this.offsets(theta);
    const outer = (...th: tf.Tensor[]) => {
      const gk = tf.grads((...ph: tf.Tensor[]) => this.meanOver(ph, offsets, (a, b) => meanKl(this.policy, a, b)))(th);
      return tf.addN(gk.map((g, i) => tf.sum(tf.mul(g, v[i]!)))) as tf.Scalar;
    };
    const grads = tf.grads(outer)(theta as tf.Tensor[]);
    const out = readFlat(grads);
    tf.dispose(grads);
    if (offsets) tf.dispose(offsets);
    return out;
  }

  /**
   * The same product as {@link fvpExact}, by the chain rule through the adaptation instead of a
   * third derivative. At θ = θ_old the KL of each term has zero gradient in its adapted parameters
   * θ_k, so its Hessian in θ is J_kᵀ G_k J_k, with G_k the Hessian of the KL in θ_k (a plain
   * policy's) and J_k the Jacobian of θ ↦ θ_k. J_k is a product of the inner steps' Jacobians,
   * I − α_j s ⊙ H_j (H_j the Hessian of the j-th inner loss, s the learned multipliers or 1), and
   * for learned step sizes −α_j ∇L_j in s. J_k v is carried forward step by step and the adjoint
   * back through the same steps; each H_j product is a Hessian-vector product of the plain policy
   * (second-order autodiff), each G_k product the Gauss-Newton form of {@link klHessianProduct}
   * (first order). First order (`firstOrder`): J_k = I. Faster than {@link fvpExact}, with less
   * memory (README, Performance).
   */
  fvpChain(theta: readonly tf.Tensor[], v: readonly tf.Tensor[]): Float64Array {
    const { theta: p0, lrScale } = this.split(theta);
    const n = p0.length;
    const vTheta = v.slice(0, n);
    const vS = lrScale ? v.slice(n) : null;
    const K = this.trains.length;
    const first = this.opts.firstOrder;
    const { path: kept, grads } = this.chainPoint(theta, p0, lrScale);
    const out = tf.tidy(() => {
      const path = [p0, ...kept];
      // H_j t: the Hessian of the j-th inner loss at θ_{j−1}, by differentiating ∇L_j · t.
      const innerH = (j: number, t: readonly tf.Tensor[]) =>
        tf.grads((...p: tf.Tensor[]) => {
          const g = tf.grads((...q: tf.Tensor[]) => reinforceLoss(this.policy, q, this.trains[j]!))(p);
          return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, t[i]!)))) as tf.Scalar;
        })(path[j]!);
      // Forward: tangents t_j = J_j v.
      const tangents: tf.Tensor[][] = [vTheta as tf.Tensor[]];
      for (let j = 0; j < K; j++) {
        const t = tangents[j]!;
        if (first) {
          tangents.push(t);
          continue;
        }
        const h = innerH(j, t);
        tangents.push(
          t.map((ti, i) => {
            let d = lrScale ? tf.mul(h[i]!, lrScale[i]!) : h[i]!;
            if (vS) d = tf.add(d, tf.mul(vS[i]!, grads[j]![i]!));
            return tf.sub(ti, tf.mul(d, this.lrs[j]!));
          }),
        );
      }
      // u_k = w_k G_k t at each term's parameters, added into the adjoint at its path index.
      const adj: (tf.Tensor[] | null)[] = Array.from({ length: K + 1 }, () => null);
      this.terms.forEach((b, k) => {
        const idx = this.termSteps[k]!;
        const g = klHessianProduct(this.policy, path[idx]!, tangents[idx]!, b);
        const u = g.map((x) => tf.mul(x, this.weights[k]!));
        adj[idx] = adj[idx] ? adj[idx]!.map((a, i) => tf.add(a, u[i]!)) : u;
      });
      // Backward: a_{j−1} = a_j − α_j H_j (s ⊙ a_j) (+ the term at j−1); s collects −α_j ∇L_j ⊙ a_j.
      let sAdj: tf.Tensor[] | null = lrScale ? lrScale.map((s) => tf.zerosLike(s)) : null;
      for (let j = K; j >= 1; j--) {
        const a = adj[j] ?? p0.map((x) => tf.zerosLike(x));
        let prev: tf.Tensor[];
        if (first) prev = a;
        else {
          const h = innerH(j - 1, lrScale ? a.map((ai, i) => tf.mul(ai, lrScale[i]!)) : a);
          prev = a.map((ai, i) => tf.sub(ai, tf.mul(h[i]!, this.lrs[j - 1]!)));
          if (sAdj) sAdj = sAdj.map((s, i) => tf.sub(s, tf.mul(tf.mul(a[i]!, grads[j - 1]![i]!), this.lrs[j - 1]!)));
        }
        adj[j - 1] = adj[j - 1] ? adj[j - 1]!.map((x, i) => tf.add(x, prev[i]!)) : prev;
      }
      const a0 = adj[0] ?? p0.map((x) => tf.zerosLike(x));
      return sAdj ? [...a0, ...sAdj] : a0;
    });
    const flat = readFlat(out);
    tf.dispose(out);
    return flat;
  }

  /**
   * θ_1 … θ_K and the inner gradients ∇L_j(θ_{j−1}) at θ (values), which {@link fvpChain} needs on
   * every call of a conjugate-gradient solve at the same θ_old: computed once per θ and kept until θ
   * changes or {@link dispose}. θ is recognised by its values, so a caller may rebuild its tensors.
   */
  private chainPoint(theta: readonly tf.Tensor[], p0: readonly tf.Tensor[], lrScale: tf.Tensor[] | null): { path: tf.Tensor[][]; grads: tf.Tensor[][] } {
    const key = theta.map((t) => t.dataSync() as Float32Array);
    const c = this.chainCache;
    if (c && c.key.length === key.length && c.key.every((a, i) => sameValues(a, key[i]!))) return c;
    this.dropChainCache();
    const made = tf.tidy(() => {
      const path: tf.Tensor[][] = [p0 as tf.Tensor[]];
      const grads: tf.Tensor[][] = [];
      for (let j = 0; j < this.trains.length; j++) {
        const g = tf.grads((...p: tf.Tensor[]) => reinforceLoss(this.policy, p, this.trains[j]!))(path[j]!);
        grads.push(g);
        path.push(path[j]!.map((x, i) => tf.sub(x, tf.mul(lrScale ? tf.mul(g[i]!, lrScale[i]!) : g[i]!, this.lrs[j]!))));
      }
      return { path: path.slice(1), grads };
    });
    this.chainCache = { key: key.map((a) => a.slice()), ...made };
    return made;
  }

  /** Frees {@link chainPoint}'s kept tensors. */
  private dropChainCache(): void {
    if (!this.chainCache) return;
    tf.dispose([...this.chainCache.path.flat(), ...this.chainCache.grads.flat()]);
    this.chainCache = null;
  }

  /**
   * Finite-difference Fisher-vector product H v ≈ ∇KL(θ_old + εv) / ε. The KL is closed form, so
   * ∇KL(θ_old) = 0 and one gradient evaluation suffices (as in the original MAML code).
   *
   * First-order MAML (`opts.firstOrder`) needs `thetaOld`: its adapted parameters are θ + the
   * offsets of θ_old, held fixed as in {@link fvpExact}. Offsets recomputed at the shifted point
   * would make the product G J v (J the adaptation's Jacobian), which is not symmetric.
   * @throws Error in first-order mode without `thetaOld`.
   */
  fvpFiniteDifference(thetaShifted: readonly tf.Tensor[], eps: number, thetaOld?: readonly tf.Tensor[]): Float64Array {
    let grad: Float64Array;
    if (this.opts.firstOrder) {
      if (!thetaOld) throw new Error('TaskObjective.fvpFiniteDifference: first-order MAML needs thetaOld, whose offsets θ′ − θ the product holds fixed');
      grad = this.valueAndGradWith(thetaShifted, this.oldOffsets(thetaOld), (a, v) => meanKl(this.policy, a, v)).grad;
    } else {
      grad = this.klGradient(thetaShifted).grad;
    }
    for (let i = 0; i < grad.length; i++) grad[i]! /= eps;
    return grad;
  }

  /** First-order offsets at θ_old, kept for every product of a CG solve (recognised by θ's values, as in {@link chainPoint}). */
  private oldOffsets(thetaOld: readonly tf.Tensor[]): tf.Tensor[][] {
    const key = thetaOld.map((t) => t.dataSync() as Float32Array);
    const c = this.offsetsCache;
    if (c && c.key.length === key.length && c.key.every((a, i) => sameValues(a, key[i]!))) return c.offsets;
    this.dropOffsetsCache();
    const offsets = this.offsets(thetaOld)!;
    this.offsetsCache = { key: key.map((a) => a.slice()), offsets };
    return offsets;
  }

  /** Frees {@link oldOffsets}' kept tensors. */
  private dropOffsetsCache(): void {
    if (!this.offsetsCache) return;
    tf.dispose(this.offsetsCache.offsets.flat());
    this.offsetsCache = null;
  }

  /** Surrogate loss and mean KL at θ (values only, for the line search). */
  evaluate(theta: readonly tf.Tensor[]): { loss: number; kl: number } {
    const [l, k] = tf.tidy(() => {
      const params = this.termParams(theta, null);
      return [this.meanAt(params, (a, v) => surrogateLoss(this.policy, a, v)), this.meanAt(params, (a, v) => meanKl(this.policy, a, v))];
    });
    const out = { loss: l!.dataSync()[0]!, kl: k!.dataSync()[0]! };
    tf.dispose([l!, k!]);
    return out;
  }

  /** Frees the tensors of every batch this objective holds, and {@link fvpChain}'s kept inner path. */
  dispose(): void {
    this.dropChainCache();
    this.dropOffsetsCache();
    for (const b of this.trains) disposeBatch(b);
    for (const b of this.terms) disposeBatch(b);
  }
}

/**
 * The weights of `n` objective terms: `raw` normalised to sum 1, or equal weights when `raw` is
 * empty. Throws a RangeError for a wrong length, a negative or non-finite weight, or a zero sum.
 */
export function termWeights(raw: readonly number[], n: number): number[] {
  if (raw.length === 0) return Array.from({ length: n }, () => 1 / n);
  if (raw.length !== n) throw new RangeError(`TaskObjective: ${n} terms need ${n} weights, got ${raw.length}`);
  const sum = raw.reduce((s, x) => s + x, 0);
  if (!raw.every((x) => Number.isFinite(x) && x >= 0) || !(sum > 0)) {
    throw new RangeError(`TaskObjective: weights must be finite, ≥ 0 and not all 0, got [${raw.join(', ')}]`);
  }
  return raw.map((x) => x / sum);
}

/** Builds the validation tensors with the old adapted policy θ′_old evaluated on them. */
export function validTensors(policy: GaussianMlpPolicy, d: PgData, adaptedOld: ParamValues): ValidTensors {
  const base = toTensors(d, policy.obsDim, policy.actDim);
  const extra = tf.tidy(() => {
    const p = policy.toTensors(adaptedOld);
    const mean = policy.mean(p, base.obs);
    const logStd = policy.logStd(p);
    return { oldLogProb: gaussianLogProb(mean, logStd, base.actions), oldMean: mean, oldLogStd: tf.clone(logStd) };
  });
  return { ...base, ...extra };
}

/**
 * Checks that `d` is a batch of `policy`'s sizes with finite values; throws a {@link ConfigError}
 * naming `name`'s field and the first row at fault (a NaN advantage would make every adapted
 * parameter NaN).
 */
function checkPgData(policy: GaussianMlpPolicy, d: PgData, name: string): void {
  if (!(Number.isInteger(d?.n) && d.n >= 0)) throw new ConfigError(`${name}.n`, d?.n, 'must be the number of rows, an integer ≥ 0 (pgData(ep, advantages) makes the batch)');
  const fields = [['obs', policy.obsDim], ['actions', policy.actDim], ['advantages', 1]] as const;
  for (const [field, width] of fields) {
    const a = d[field];
    if (!(a instanceof Float32Array) || a.length !== d.n * width) throw new ConfigError(`${name}.${field}`, a instanceof Float32Array ? `length ${a.length}` : a, `must be a Float32Array of n·${width} = ${d.n * width} values`);
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw new ConfigError(`${name}.${field}`, a[i], `must be finite; row ${Math.floor(i / width)} of ${d.n} is not`);
    }
  }
}

/**
 * Thrown by {@link adaptValues} when its step gives parameters that are not finite: the step size is
 * too large for the policy (found by a bad-input trial: a step size of 1e5 failed later, as the
 * policy's actions, with a stack trace).
 */
export class StepDivergedError extends RangeError {
  /** The step size of the step. */
  readonly lr: number;

  /**
   * @param lr the step size.
   * @param tensor the index of the first parameter tensor with a value that is not finite.
   */
  constructor(lr: number, tensor: number) {
    super(`a gradient step of size ${lr} made the policy's parameters not finite (tensor ${tensor}): the step diverges; use a smaller step size`);
    this.lr = lr;
    this.name = 'StepDivergedError';
  }
}

/**
 * One plain gradient step on a batch, values only: θ − lr ∇L(θ), or θ − lr s ⊙ ∇L(θ) with learned
 * step-size multipliers s ({@link splitMeta}). Used to adapt for sampling and in evaluation, where
 * no meta-gradient flows.
 *
 * @throws ConfigError when `values` or `lrScale` do not fit `policy`, `lr` is not a finite number
 *   ≥ 0, or `d` is not a batch of the policy's sizes with finite values (naming the field and row);
 *   {@link StepDivergedError} when the step's result is not finite.
 */
export function adaptValues(policy: GaussianMlpPolicy, values: ParamValues, d: PgData, lr: number, lrScale: ParamValues | null = null): ParamValues {
  policy.checkParams(values, 'values');
  if (lrScale) policy.checkParams(lrScale, 'lrScale');
  if (!(Number.isFinite(lr) && lr >= 0)) throw new ConfigError('lr', lr, 'must be a finite step size ≥ 0');
  checkPgData(policy, d, 'd');
  const batch = toTensors(d, policy.obsDim, policy.actDim);
  const out = tf.tidy(() => adapt(policy, policy.toTensors(values), [batch], lr, lrScale && policy.toTensors(lrScale)));
  disposeBatch(batch);
  const res = out.map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose(out);
  const bad = res.findIndex((v) => !v.every(Number.isFinite));
  if (bad >= 0) throw new StepDivergedError(lr, bad);
  return res;
}

/** Whether two float arrays hold the same values (bit for bit, as float32). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
