// A small MAML-RL problem (tanh policy with learned log-std) for the finite-difference checks.
import * as tf from '@tensorflow/tfjs';
import { GaussianMlpPolicy, type ParamValues } from '../../src/policy.ts';
import { TaskObjective, adaptValues, metaTensors, toTensors, validTensors, type InnerLoss, type PgData } from '../../src/maml.ts';
import { createRng, type Rng } from '../../src/rng.ts';
import { dot, flattenValues, unflattenValues } from '../../src/params.ts';

export const policy = new GaussianMlpPolicy(2, 2, { hiddenSizes: [8, 8], activation: 'tanh', initStd: 0.7 });

function randomBatch(rng: Rng, n: number): PgData {
  const obs = new Float32Array(n * 2).map(() => rng.uniformRange(-1, 1));
  const actions = new Float32Array(n * 2).map(() => rng.normal());
  const advantages = new Float32Array(n).map(() => rng.uniformRange(-1, 2));
  return { n, obs, actions, advantages };
}

/** θ with non-zero biases and log-std, so every parameter's path matters. */
export function makeTheta(rng: Rng): ParamValues {
  const p = policy.init(rng);
  for (let i = 1; i < p.length; i++) for (let j = 0; j < p[i]!.length; j++) p[i]![j] += 0.2 * rng.normal();
  return p;
}

/**
 * A task objective with one inner step of size `fastLr` (large, so second-order terms matter),
 * whose meta-gradient differentiates through `innerLoss`.
 */
export function makeObjective(seed: number, firstOrder = false, fastLr = 0.5, innerLoss: InnerLoss = 'reinforce') {
  const rng = createRng(seed);
  const theta = makeTheta(rng.fork('theta'));
  const train = randomBatch(rng.fork('train'), 40);
  const valid = randomBatch(rng.fork('valid'), 40);
  const adaptedOld = adaptValues(policy, theta, train, fastLr);
  const obj = new TaskObjective(policy, [toTensors(train, 2, 2)], validTensors(policy, valid, adaptedOld), { fastLr, firstOrder, innerLoss });
  return { obj, theta, rng, validData: valid, trainData: train };
}

/** Runs `f` on θ + εd as tensors (θ may be meta-parameters [θ, s] with learned step sizes). */
export function at<R>(theta: ParamValues, d: Float64Array | null, eps: number, f: (t: tf.Tensor[]) => R): R {
  const x = flattenValues(theta);
  if (d) for (let i = 0; i < x.length; i++) x[i] += eps * d[i]!;
  const t = metaTensors(policy, unflattenValues(x, theta), theta.length !== policy.shapes.length);
  try {
    return f(t);
  } finally {
    tf.dispose(t);
  }
}

/** ‖a − ref‖ / ‖ref‖. */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (a[i]! - ref[i]!) ** 2;
    den += ref[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export function unitDirection(rng: Rng, n: number): Float64Array {
  const d = new Float64Array(n).map(() => rng.normal());
  const norm = Math.sqrt(dot(d, d));
  return d.map((v) => v / norm);
}

/**
 * Relative error of the analytic directional derivative gᵀd against a central difference of
 * `value` along d, worst over `k` random unit directions.
 */
export function worstDirectionalError(theta: ParamValues, grad: Float64Array, value: (t: tf.Tensor[]) => number, rng: Rng, k = 3, eps = 3e-3): number {
  let worst = 0;
  for (let j = 0; j < k; j++) {
    const d = unitDirection(rng.fork('dir', j), grad.length);
    const fd = (at(theta, d, eps, value) - at(theta, d, -eps, value)) / (2 * eps);
    const an = dot(grad, d);
    worst = Math.max(worst, Math.abs(fd - an) / Math.max(Math.abs(fd), Math.abs(an), 1e-8));
  }
  return worst;
}

/**
 * {@link makeObjective} with learned step sizes: the meta-parameters are [θ, s] with s = 1 + `spread`·N(0, 1)
 * per entry (s = 1 exactly with `spread` 0), and the old adapted policy is θ − α s ⊙ ∇L(θ).
 */
export function makeLearnedLrObjective(seed: number, spread = 0.3, fastLr = 0.5, innerLoss: InnerLoss = 'reinforce') {
  const rng = createRng(seed);
  const theta = makeTheta(rng.fork('theta'));
  const train = randomBatch(rng.fork('train'), 40);
  const valid = randomBatch(rng.fork('valid'), 40);
  const sRng = rng.fork('scale');
  const scale: ParamValues = theta.map((p) => p.map(() => 1 + spread * sRng.normal()));
  const adaptedOld = adaptValues(policy, theta, train, fastLr, scale);
  const obj = new TaskObjective(policy, [toTensors(train, 2, 2)], validTensors(policy, valid, adaptedOld), { fastLr, firstOrder: false, innerLoss, learnedLr: true });
  return { obj, meta: [...theta, ...scale], theta, scale, rng, validData: valid, trainData: train };
}

/**
 * A task objective with two inner steps of sizes α and α·`laterFactor`, on random batches. With
 * `multiStep`, the second inner batch (sampled, in training, with θ_1) also scores θ_1, and the
 * objective averages the two terms (weighted by `weights`, normalised, when given).
 */
export function makeTwoStepObjective(seed: number, opts: { multiStep: boolean; firstOrder?: boolean; fastLr?: number; laterFactor?: number; weights?: number[]; innerLoss?: InnerLoss }) {
  const { multiStep, firstOrder = false, fastLr = 0.5, laterFactor = 0.5, weights, innerLoss = 'reinforce' } = opts;
  const rng = createRng(seed);
  const theta = makeTheta(rng.fork('theta'));
  const train1 = randomBatch(rng.fork('train'), 40);
  const train2 = randomBatch(rng.fork('train2'), 40);
  const valid = randomBatch(rng.fork('valid'), 40);
  const theta1 = adaptValues(policy, theta, train1, fastLr);
  const theta2 = adaptValues(policy, theta1, train2, fastLr * laterFactor);
  const obj = new TaskObjective(
    policy,
    [toTensors(train1, 2, 2), toTensors(train2, 2, 2)],
    validTensors(policy, valid, theta2),
    { fastLr, laterStepsLrFactor: laterFactor, firstOrder, innerLoss, ...(weights ? { termWeights: weights } : {}) },
    multiStep ? [validTensors(policy, train2, theta1)] : [],
  );
  return { obj, theta, theta1, theta2, rng, train1, train2, valid };
}

/** H v by central differences of the KL gradient along v: (∇KL(θ + εv) − ∇KL(θ − εv)) / 2ε. */
export function centralDifferenceFvp(obj: TaskObjective, theta: ParamValues, v: Float64Array, eps = 1e-2): Float64Array {
  const plus = at(theta, v, eps, (t) => obj.klGradient(t).grad);
  const minus = at(theta, v, -eps, (t) => obj.klGradient(t).grad);
  return plus.map((p, i) => (p - minus[i]!) / (2 * eps));
}

/** The exact Fisher-vector product H v of `obj` at θ, by third derivatives or (`chain`) the chain rule. */
export function exactFvp(obj: TaskObjective, theta: ParamValues, v: Float64Array, method: 'exact' | 'chain' = 'exact'): Float64Array {
  return at(theta, null, 0, (t) => {
    const parts = metaTensors(policy, unflattenValues(v, theta), theta.length !== policy.shapes.length);
    try {
      return method === 'chain' ? obj.fvpChain(t, parts) : obj.fvpExact(t, parts);
    } finally {
      tf.dispose(parts);
    }
  });
}
