import * as tf from '#tfjs';
import type { Rng } from './rng.ts';
import { Mlp, type Activation } from './mlp.ts';
import { ConfigError, checkIntOption, checkOptionKeys } from './config.ts';

export type { Activation } from './mlp.ts';

/** Shape of a Gaussian MLP policy. */
export interface PolicyConfig {
  /** Hidden layer widths. Default [64, 64] (the public MAML-RL ports'; the paper used [100, 100]). */
  hiddenSizes: number[];
  /** Default 'tanh'. */
  activation: Activation;
  /** Initial standard deviation of every action dimension. Default 1. */
  initStd: number;
  /**
   * Act in [−1, 1]^d, mapped onto the env's action box (`NormalizedActionWrapper` in envs/, rllab's
   * `normalize` as in the original MAML code). Default false (the env's own action units). The
   * policy itself does not read it: the env does the mapping, so make envs with `envFactory(config)`
   * (or wrap them in `NormalizedActionWrapper`); `sampleEpisodes` on a bare `make(id)` env gives
   * other returns.
   */
  normalizeActions?: boolean;
}

/** Every key of {@link PolicyConfig}. */
const POLICY_KEYS: Record<keyof PolicyConfig, true> = { hiddenSizes: true, activation: true, initStd: true, normalizeActions: true };

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

  /** The mean network μ_θ. */
  readonly net: Mlp;
  readonly obsDim: number;
  readonly actDim: number;
  readonly config: PolicyConfig;

  /**
   * @param obsDim observation size (the env's `observationSpace.shape[0]`).
   * @param actDim action size (the env's `actionSpace.shape[0]`).
   * @param config hidden sizes, activation, initial σ (`TrainConfig.policy`).
   * @throws ConfigError naming the field for sizes that are not positive integers, an unknown
   *   activation, an `initStd` that is not positive and finite, or a key `config` does not have.
   */
  constructor(
    obsDim: number,
    actDim: number,
    config: PolicyConfig,
  ) {
    this.obsDim = obsDim;
    this.actDim = actDim;
    this.config = config;
    checkIntOption('obsDim', obsDim, 1);
    checkIntOption('actDim', actDim, 1);
    if (typeof config !== 'object' || config === null) throw new ConfigError('policy', config, 'must be an object ({ hiddenSizes, activation, initStd }, as config.policy)');
    // Found by a library trial: { hidden: [3] } was ignored.
    checkOptionKeys(config, POLICY_KEYS, 'a policy config', 'policy.');
    if (!Array.isArray(config.hiddenSizes) || !config.hiddenSizes.every((h) => Number.isInteger(h) && h >= 1)) throw new ConfigError('policy.hiddenSizes', config.hiddenSizes, 'must be a list of positive integers');
    if (config.activation !== 'tanh' && config.activation !== 'relu') throw new ConfigError('policy.activation', config.activation, 'must be "tanh" or "relu"');
    if (!(config.initStd > 0 && Number.isFinite(config.initStd))) throw new ConfigError('policy.initStd', config.initStd, 'must be > 0');
    this.net = new Mlp([obsDim, ...config.hiddenSizes, actDim], config.activation);
    this.shapes = [...this.net.shapes, [actDim]];
    this.numParams = this.net.numParams + actDim;
  }

  /** Glorot-uniform weights, zero biases, log σ = log(initStd). */
  init(rng: Rng): ParamValues {
    return [...this.net.init(rng), new Float32Array(this.actDim).fill(Math.log(this.config.initStd))];
  }

  /** Tensors holding `values` (caller disposes). */
  toTensors(values: ParamValues): tf.Tensor[] {
    return values.map((v, i) => tf.tensor(v, this.shapes[i]));
  }

  /**
   * Checks that `values` are parameters of this policy: one array per tensor of {@link shapes}, each
   * of its size (parameters of another policy, or with a tensor left out, would otherwise be read
   * with the wrong layer widths).
   * @param name how the caller names the parameters in the error (`params`).
   * @throws ConfigError naming `name`, the tensor and both sizes.
   */
  checkParams(values: unknown, name = 'params'): asserts values is ParamValues {
    if (!Array.isArray(values) || values.length !== this.shapes.length) {
      // A flat vector (flattenValues's) or a tensor would print every value: say what it is instead.
      const shown = Array.isArray(values) ? `${values.length} tensors` : ArrayBuffer.isView(values) ? `a flat ${values.constructor.name} (one array per tensor is needed)` : values !== null && typeof values === 'object' ? `a ${values.constructor?.name ?? 'object'}` : values;
      throw new ConfigError(name, shown, `must hold the policy's ${this.shapes.length} parameter tensors (shapes ${JSON.stringify(this.shapes)})`);
    }
    values.forEach((v: unknown, i) => {
      const size = this.shapes[i]!.reduce((a, b) => a * b, 1);
      if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v)) || v.length !== size) {
        throw new ConfigError(`${name}[${i}]`, v && typeof (v as { length?: unknown }).length === 'number' ? `${(v as { length: number }).length} values` : v, `must hold the ${size} values of the policy's tensor of shape ${JSON.stringify(this.shapes[i])}`);
      }
    });
  }

  /** μ_θ(s): `obs [N, obsDim]` → `[N, actDim]`. */
  mean(params: readonly tf.Tensor[], obs: tf.Tensor2D): tf.Tensor2D {
    return this.net.forward(params, obs);
  }

  /** log σ `[actDim]`. */
  logStd(params: readonly tf.Tensor[]): tf.Tensor1D {
    return params[params.length - 1] as tf.Tensor1D;
  }

  /** μ_θ(s) in plain JS for sampling: `obs [n, obsDim]` → `[n, actDim]` (see {@link Mlp.forwardJs}). */
  meanJs(values: ParamValues, obs: Float32Array, n: number): Float32Array {
    return this.net.forwardJs(values, obs, n);
  }
}
