import type { PolicyConfig } from './policy.ts';
import type { TrpoConfig } from './trpo.ts';
import type { FvpMode, InnerLoss } from './maml.ts';
import { didYouMean, showJson } from './suggest.ts';
import type { MetaEnv } from './types.ts';
import { defaultPreset, presetFor } from './env-contract.ts';

export { defaultPreset };

/** A value as a message shows it: JSON, but NaN and ±Infinity as themselves (JSON would print null). */
function showValue(value: unknown): string {
  return showJson(value);
}

/** Thrown for invalid user input; carries the field path and the offending value. */
export class ConfigError extends Error {
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;

  /**
   * @param field the field as the caller names it: a config path (`trpo.maxKl`), an option of a
   *   library function (`episodes`) or a flag (`--tasks`).
   * @param value the offending value, shown as JSON after "got" (undefined: not shown, for a field
   *   that is missing).
   * @param reason what is wrong with it, e.g. "must be a positive integer".
   */
  constructor(
    field: string,
    value: unknown,
    reason: string,
  ) {
    super(value === undefined ? `${field}: ${reason}` : `${field}: ${reason} (got ${showValue(value)})`);
    this.field = field;
    this.value = value;
    this.reason = reason;
    this.name = 'ConfigError';
  }
}

/** Whether messages name options as a caller from code passes them (`initFrom`) or as flags (`--init-from`). */
let optionStyle: 'code' | 'cli' = 'code';

/**
 * Makes the messages of library functions ({@link ConfigError}s and hints) name their options as the
 * `metarl` command line's flags; `metarl` calls it once at startup. Default: as from code.
 */
export function setOptionStyle(style: 'code' | 'cli'): void {
  optionStyle = style;
}

/**
 * Checks that option `name` of a library function is an integer ≥ `min` (when `optional`, it may
 * also be undefined); throws a {@link ConfigError} naming it as {@link opt} does.
 */
export function checkIntOption(name: string, value: unknown, min: number, optional = false, cli?: string): void {
  if (optional && value === undefined) return;
  if (!(Number.isInteger(value) && (value as number) >= min)) {
    const what = min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    // Left out (found by an API trial: "must be" read as if a value had been given).
    throw new ConfigError(opt(name, undefined, cli), value, value === undefined ? `is required: ${what}` : `must be ${what}`);
  }
}

/**
 * Checks that `opts`, the options object of library function `fn`, holds only the keys of `known`
 * (a record of every option, so that the compiler keeps the list whole): a misspelt option would
 * otherwise be ignored. Throws a {@link ConfigError} naming the key (after `prefix`, for a nested
 * object: `'advantages.'`), its value and the closest option.
 */
export function checkOptionKeys<T extends object>(opts: T, known: Record<keyof T, true>, fn: string, prefix = ''): void {
  const names = Object.keys(known);
  for (const [k, v] of Object.entries(opts)) {
    if (!names.includes(k)) throw new ConfigError(`${prefix}${k}`, typeof v === 'function' ? 'a function' : v, `is not an option of ${fn}${didYouMean(k, names)}; its options: ${names.join(', ')}`);
  }
}

/** True once {@link setOptionStyle} chose the command line's flags. */
export function cliOptionStyle(): boolean {
  return optionStyle === 'cli';
}

/**
 * An option of a library function as messages name it: `initFrom` (or `resume: true` for a flag,
 * given `codeValue`) when called from code, `--init-from` (`cli`, if the flag is named otherwise)
 * in the command line.
 */
export function opt(name: string, codeValue?: unknown, cli?: string): string {
  if (optionStyle === 'cli') return cli ?? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return codeValue === undefined ? name : `${name}: ${JSON.stringify(codeValue)}`;
}

/** Meta-learning algorithms `metarl train --algo` accepts. */
export type Algo = 'maml-trpo' | 'pretrained' | 'oracle' | SupervisedAlgo;

/** Meta-learners for horizon-1 (supervised) envs. */
export type SupervisedAlgo = 'maml' | 'fomaml' | 'meta-sgd' | 'anil' | 'reptile' | 'protonet';

/** Algorithms for supervised envs ('pretrained' works for both kinds). */
export const SUPERVISED_ALGOS: readonly string[] = ['maml', 'fomaml', 'meta-sgd', 'anil', 'reptile', 'protonet', 'pretrained'];
/** Algorithms for RL envs. */
export const RL_ALGOS: readonly string[] = ['maml-trpo', 'pretrained', 'oracle'];

/** Everything a training run needs; every field has a default in a preset. */
export interface TrainConfig {
  /** Registered env id, e.g. `Navigation2D-v0`. */
  env: string;
  /**
   * Default 'maml-trpo'. 'pretrained': one policy trained with TRPO on the whole task distribution
   * (no adaptation, task not observed); 'oracle': the same with the task appended to the observation.
   */
  algo: Algo;
  /** Root seed of every random stream. Default 1. */
  seed: number;
  /** Meta-iterations. Default 500. */
  iterations: number;
  /** Checkpoint every this many iterations (and at the end). Default 10. */
  checkpointEvery: number;
  policy: PolicyConfig;
  sampling: {
    /** Tasks per meta-iteration. Default 20 (navigation), 40 (cheetah). */
    metaBatchSize: number;
    /** Episodes per task per inner step and for validation. Default 20. */
    fastBatchSize: number;
  };
  adaptation: {
    /** Inner step size α. Default 0.1. */
    fastLr: number;
    /** Inner gradient steps. Default 1. */
    numInnerSteps: number;
    /** First-order MAML (inner gradients treated as constants). Default false. */
    firstOrder: boolean;
    /**
     * RL: the step size of every inner step after the first, as a multiple of `fastLr` (0.5 gives
     * the evaluation protocol's α then α/2). Default 1.
     */
    laterStepsLrFactor: number;
    /**
     * RL (`maml-trpo` with `numInnerSteps` ≥ 2): the outer surrogate and KL are averaged over the
     * policies after each inner step, each scored on the episodes it sampled, not taken after the
     * last step only (an RL form of MAML++'s multi-step loss). Default false.
     */
    multiStepLoss: boolean;
    /**
     * RL, with `multiStepLoss`: the weight of each inner step's term in the outer objective, one
     * non-negative number per inner step (normalised to sum 1). Empty (the default) weighs the
     * steps equally.
     */
    multiStepWeights: number[];
    /**
     * RL, `maml-trpo`: the weight of a term for the unadapted policy θ in the outer objective, scored
     * on the first inner step's episodes (which θ sampled), against the post-adaptation terms'
     * total weight 1; the surrogate and the KL are both weighted so. It makes the outer step also
     * improve the return before adaptation. 0 (the default) leaves it out.
     */
    preUpdateWeight: number;
    /**
     * RL, second-order `maml-trpo`: the inner loss differentiated through. 'reinforce' (Finn et al.
     * 2017) or 'lvc' (ProMP's low-variance curvature objective: the same inner step, plus the
     * per-step score-function term in the meta-gradient's Hessian). Default 'reinforce'.
     */
    innerLoss: InnerLoss;
    /**
     * RL, second-order `maml-trpo`: learn a per-parameter multiplier of `fastLr` (Meta-SGD, Li et
     * al. 2017), updated by the outer TRPO step with the policy and stored after the policy's
     * parameters in the checkpoint (`splitMeta` in src/maml.ts). Horizon-1 tasks use `algo: meta-sgd`
     * instead. Default false.
     */
    learnedLr: boolean;
    /**
     * With `learnedLr`: the TRPO step treats s in units of 1/gain (a diagonal preconditioner; see
     * agents/maml-trpo.ts), so that the step sizes, whose effect on the policy is small per unit,
     * get a share of the conjugate-gradient step. 1 = no preconditioning. Default 10.
     */
    learnedLrGain: number;
  };
  /** Horizon-1 (supervised) tasks only. */
  supervised: {
    /** Labelled examples per task (per class for classification) to adapt on: K. Default 10. */
    shots: number;
    /** Query examples per task (per class) for the outer loss. Default 10. */
    queries: number;
    /** Adam step size of the outer loop. Default 1e-3. */
    outerLr: number;
    /** Filters per block of the classification conv net. Default 64. */
    convFilters: number;
    /**
     * Outer loss = mean query loss over the inner steps, not only after the last (MAML++'s
     * multi-step loss; `maml`, `fomaml`, `meta-sgd`, `anil`). Default false.
     */
    multiStepLoss: boolean;
    /**
     * Rescale the outer gradient to this norm when it is longer, before Adam (0 = off). A few
     * diverging tasks then cannot inflate Adam's second moment and stall learning. Default 0.
     */
    clipGradNorm: number;
  };
  advantages: {
    /** Discount γ. Default 0.99. */
    gamma: number;
    /** GAE λ. Default 1. */
    gaeLambda: number;
    /** Normalise advantages per batch to mean 0, std 1. Default true. */
    normalize: boolean;
    /** Bootstrap truncated episodes with the baseline's V(finalObs). Default true; false = treat as terminal (pytorch-maml-rl). */
    bootstrapTruncated: boolean;
  };
  baseline: {
    /** Initial ridge coefficient of the linear feature baseline. Default 1e-5. */
    regCoeff: number;
  };
  trpo: TrpoConfig & {
    /** Fisher-vector product: 'exact' (third-order autodiff), 'chain' (the same product with second-order autodiff) or 'finite-difference'. Default 'finite-difference'. */
    fvp: FvpMode;
    /**
     * ‖ε v‖ of the finite-difference Fisher-vector product. Default 1e-3: at 0.03 the one-sided
     * difference's O(ε) error spoilt the CG direction (multi-task TRPO never passed its line search).
     */
    fdShift: number;
    /**
     * Fraction of the meta-batch's tasks the Fisher-vector products average over, in (0, 1]
     * (rllab's `subsample_factor`, per task). The tasks are evenly spaced in the meta-batch
     * (`fvpTaskIndices` in agents/shards.ts); the gradient, the line search and its KL still use every task.
     * Default 1 (all tasks).
     */
    fvpSubsample: number;
  };
}

type Kind = 'posInt' | 'nonNegInt' | 'posNum' | 'nonNegNum' | 'unitInterval' | 'openUnit' | 'fraction' | 'bool' | 'string' | 'posIntList' | 'nonNegNumList' | { oneOf: readonly string[] };

/** The type of every leaf; used to reject unknown keys and bad values with the field's path. */
const SCHEMA: Record<string, Kind> = {
  env: 'string',
  algo: { oneOf: ['maml-trpo', 'pretrained', 'oracle', 'maml', 'fomaml', 'meta-sgd', 'anil', 'reptile', 'protonet'] },
  seed: 'nonNegInt',
  iterations: 'posInt',
  checkpointEvery: 'posInt',
  'policy.hiddenSizes': 'posIntList',
  'policy.activation': { oneOf: ['tanh', 'relu'] },
  'policy.initStd': 'posNum',
  'policy.normalizeActions': 'bool',
  'sampling.metaBatchSize': 'posInt',
  'sampling.fastBatchSize': 'posInt',
  'adaptation.fastLr': 'posNum',
  'adaptation.numInnerSteps': 'posInt',
  'adaptation.firstOrder': 'bool',
  'adaptation.laterStepsLrFactor': 'posNum',
  'adaptation.multiStepLoss': 'bool',
  'adaptation.multiStepWeights': 'nonNegNumList',
  'adaptation.preUpdateWeight': 'nonNegNum',
  'adaptation.innerLoss': { oneOf: ['reinforce', 'lvc'] },
  'adaptation.learnedLr': 'bool',
  'adaptation.learnedLrGain': 'posNum',
  'supervised.shots': 'posInt',
  'supervised.queries': 'posInt',
  'supervised.outerLr': 'posNum',
  'supervised.convFilters': 'posInt',
  'supervised.multiStepLoss': 'bool',
  'supervised.clipGradNorm': 'nonNegNum',
  'advantages.gamma': 'unitInterval',
  'advantages.gaeLambda': 'unitInterval',
  'advantages.normalize': 'bool',
  'advantages.bootstrapTruncated': 'bool',
  'baseline.regCoeff': 'posNum',
  'trpo.maxKl': 'posNum',
  'trpo.cgIters': 'posInt',
  'trpo.cgDamping': 'posNum',
  'trpo.lsMaxSteps': 'posInt',
  'trpo.lsBacktrackRatio': 'openUnit',
  'trpo.cgTruncate': 'bool',
  'trpo.fvp': { oneOf: ['exact', 'chain', 'finite-difference'] },
  'trpo.fdShift': 'posNum',
  'trpo.fvpSubsample': 'fraction',
};

/** Default of `adaptation.learnedLrGain`. */
export const DEFAULT_LEARNED_LR_GAIN = 10;

/** Default of `supervised.shots`: K examples per task to adapt on (envs that draw them). */
export const DEFAULT_SUPERVISED_SHOTS = 10;
/** Default of `supervised.queries`: Q examples per task to score (envs that draw them). */
export const DEFAULT_SUPERVISED_QUERIES = 10;

/** Default of `seed` (every preset's). */
export const DEFAULT_SEED = 1;

/** Reference hyperparameters of MAML-TRPO: the settings the paper and the public MAML-RL ports share (README, "Configuration"). */
function base(env: string): TrainConfig {
  return {
    env,
    algo: 'maml-trpo',
    seed: DEFAULT_SEED,
    iterations: 500,
    checkpointEvery: 10,
    policy: { hiddenSizes: [64, 64], activation: 'tanh', initStd: 1, normalizeActions: false },
    sampling: { metaBatchSize: 20, fastBatchSize: 20 },
    adaptation: { fastLr: 0.1, numInnerSteps: 1, firstOrder: false, laterStepsLrFactor: 1, multiStepLoss: false, multiStepWeights: [], preUpdateWeight: 0, innerLoss: 'reinforce', learnedLr: false, learnedLrGain: DEFAULT_LEARNED_LR_GAIN },
    supervised: { shots: DEFAULT_SUPERVISED_SHOTS, queries: DEFAULT_SUPERVISED_QUERIES, outerLr: 1e-3, convFilters: 64, multiStepLoss: false, clipGradNorm: 0 },
    advantages: { gamma: 0.99, gaeLambda: 1, normalize: true, bootstrapTruncated: true },
    baseline: { regCoeff: 1e-5 },
    trpo: { maxKl: 0.01, cgIters: 10, cgDamping: 1e-5, lsMaxSteps: 15, lsBacktrackRatio: 0.8, cgTruncate: false, fvp: 'finite-difference', fdShift: 1e-3, fvpSubsample: 1 },
  };
}

/** Named presets. `navigation` and `cheetah` follow the reference settings (README, "Configuration"); `tiny` is for smoke tests. */
export const PRESETS: Record<string, (env: string, own?: string) => TrainConfig> = {
  /**
   * Actions in [−1, 1] mapped onto the env's box (the original MAML code's `normalize` wrapper): with the
   * raw ±0.1 box an initial σ of 1 explores only the box's corners, and MAML's post-adaptation return
   * peaked near −16 and then fell to −26 by iteration 400 (an earlier session); normalised, it reaches −12 by iteration 30.
   */
  navigation: (env) => {
    const c = base(env);
    c.policy.normalizeActions = true;
    return c;
  },
  cheetah: (env) => {
    const c = base(env);
    c.sampling.metaBatchSize = 40;
    return c;
  },
  /** Sine regression as in Finn et al. (2017) §5.1: 1-40-40-1 ReLU, K = 10, α = 0.01, Adam 1e-3, 25 tasks. */
  sine: (env) => {
    const c = base(env);
    c.algo = 'maml';
    c.iterations = 70000;
    c.checkpointEvery = 1000;
    c.policy = { hiddenSizes: [40, 40], activation: 'relu', initStd: 1, normalizeActions: false };
    c.sampling = { metaBatchSize: 25, fastBatchSize: 10 };
    c.adaptation.fastLr = 0.01;
    return c;
  },
  /** Omniglot as in Finn et al. (2017) §5.2: 5-way α = 0.4 with 1 step, meta-batch 32 (20-way: α 0.1, 5 steps, 16). */
  omniglot: (env) => {
    const c = base(env);
    const twenty = env.includes('20Way');
    c.algo = 'maml';
    c.iterations = 60000;
    c.checkpointEvery = 10; // an iteration takes 10–40 s on 2 cores: a crash loses minutes, not an hour
    c.sampling = { metaBatchSize: twenty ? 16 : 32, fastBatchSize: 1 };
    c.adaptation.fastLr = twenty ? 0.1 : 0.4;
    c.adaptation.numInnerSteps = twenty ? 5 : 1;
    return c;
  },
  /**
   * A seconds-long smoke run. RL envs: the reference config, smaller (raw action units, as the
   * tests that use it were written with). Supervised envs: their own preset (algo, model, K
   * examples per task) with 3 iterations of 4 tasks. `own` is the env's own preset (`presetFor`):
   * `resolveConfig` passes it, so that a supervised env of one's own, whatever its id, gets the
   * supervised kind; by default it is told from the id (`defaultPreset`).
   */
  tiny: (env, own = defaultPreset(env)) => {
    if (own === 'sine' || own === 'omniglot') {
      const c = PRESETS[own]!(env);
      c.iterations = 3;
      c.checkpointEvery = 1;
      c.sampling.metaBatchSize = 4;
      return c;
    }
    const c = base(env);
    c.iterations = 3;
    c.checkpointEvery = 1;
    c.policy.hiddenSizes = [16, 16];
    c.sampling = { metaBatchSize: 4, fastBatchSize: 5 };
    return c;
  },
};

/** The most weights `policy.hiddenSizes` may give a network (its hidden layers' weights and biases). */
const MAX_HIDDEN_WEIGHTS = 50_000_000;

/** Upper bounds of numeric config fields beyond which nothing can run, with the reason. */
const MAX_VALUES: Record<string, [number, string]> = {
  // Found by a bad-input trial: 1e8 ended in a wasm memory fault, with a stack trace.
  'supervised.shots': [1_000_000, "a task's examples are held in the backend's memory at once"],
  'supervised.queries': [1_000_000, "a task's examples are held in the backend's memory at once"],
};

function checkLeaf(path: string, kind: Kind, v: unknown): void {
  const fail = (reason: string): never => {
    throw new ConfigError(path, v, reason);
  };
  if (typeof kind === 'object') {
    if (typeof v !== 'string' || !kind.oneOf.includes(v)) fail(`must be one of ${kind.oneOf.join(', ')}${typeof v === 'string' ? didYouMean(v, kind.oneOf) : ''}`);
    return;
  }
  switch (kind) {
    case 'bool':
      if (typeof v !== 'boolean') fail('must be true or false');
      return;
    case 'string':
      if (typeof v !== 'string' || v.length === 0) fail('must be a non-empty string');
      return;
    case 'posIntList': {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) fail('must be a non-empty list of positive integers');
      // Found by a bad-input trial: [100000000] trained on to 9 GB and did not stop at SIGTERM.
      const sizes = v as number[];
      const weights = sizes.reduce((n, h, i) => n + h + (i > 0 ? sizes[i - 1]! * h : 0), 0);
      if (path === 'policy.hiddenSizes' && weights > MAX_HIDDEN_WEIGHTS) fail(`gives the network at least ${weights} weights, more than the ${MAX_HIDDEN_WEIGHTS} that fit (training keeps many copies of them, in the wasm backend's 4 GB at most)`);
      return;
    }
    case 'nonNegNumList':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) fail('must be a list of finite numbers ≥ 0');
      return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('must be a finite number');
  const x = v as number;
  if (kind === 'posInt' && !(Number.isInteger(x) && x > 0)) fail('must be a positive integer');
  const max = MAX_VALUES[path];
  if (max !== undefined && x > max[0]) fail(`must be at most ${max[0]} (${max[1]})`);
  if (kind === 'nonNegInt' && !(Number.isInteger(x) && x >= 0)) fail('must be a non-negative integer');
  if (kind === 'nonNegInt' && !Number.isSafeInteger(x)) fail(`must be at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER: above it, doubles skip integers)`);
  if (kind === 'posNum' && !(x > 0)) fail('must be > 0');
  if (kind === 'nonNegNum' && !(x >= 0)) fail('must be ≥ 0');
  if (kind === 'unitInterval' && !(x >= 0 && x <= 1)) fail('must be in [0, 1]');
  if (kind === 'openUnit' && !(x > 0 && x < 1)) fail('must be in (0, 1)');
  if (kind === 'fraction' && !(x > 0 && x <= 1)) fail('must be in (0, 1]');
}

/** Options of `train` (and their flags) that a config file might hold by mistake, e.g. copied from a run's `config.json`. */
const RUN_OPTIONS: Record<string, string> = {
  keepEvery: '--keep-every',
  workers: '--workers',
  backend: '--backend',
  initFrom: '--init-from',
  envModules: '--env-module',
  resume: '--resume',
  out: '--out',
};

/**
 * Applies `overrides` (parsed JSON, nested like {@link TrainConfig}) onto `cfg`, checking every
 * key against the schema. Unknown keys and bad values throw {@link ConfigError} naming the path.
 */
export function applyOverrides(cfg: TrainConfig, overrides: unknown, prefix = ''): TrainConfig {
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new ConfigError(prefix || 'config', overrides, 'must be a JSON object');
  }
  for (const [k, v] of Object.entries(overrides as Record<string, unknown>)) {
    // A key set to undefined (from code) is a key not given.
    if (v === undefined) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    // Own keys only: a name every object inherits (hasOwnProperty, __proto__, constructor) is no config key.
    const kind = Object.hasOwn(SCHEMA, path) ? SCHEMA[path] : undefined;
    if (kind !== undefined) {
      checkLeaf(path, kind, v);
      setPath(cfg, path, Array.isArray(v) ? [...v] : v);
    } else if (Object.keys(SCHEMA).some((p) => p.startsWith(`${path}.`))) {
      applyOverrides(cfg, v, path);
    } else if (!prefix && Object.hasOwn(RUN_OPTIONS, k)) {
      // A run's config.json has these beside its config: they are how a run is made, not what it learns.
      const where = optionStyle === 'cli' ? `give ${RUN_OPTIONS[k]} on the command line` : k === 'backend' ? 'call initBackend(name) before train' : `give ${k} in train's options`;
      throw new ConfigError(path, v, `is an option of train, not part of the config: ${where} instead`);
    } else if (!prefix && k === 'config' && typeof v === 'object' && v !== null) {
      // A run's whole config.json ({ config, versions, … }) given as overrides: the config is one field of it.
      throw new ConfigError(path, '{…}', "is the config field of a run's config.json, not a config key: pass the file's .config as the overrides (or the file itself with --config)");
    } else {
      const known = [...new Set(Object.keys(SCHEMA).filter((p) => p.startsWith(prefix ? `${prefix}.` : '')).map((p) => p.slice(prefix ? prefix.length + 1 : 0).split('.')[0]!))];
      throw new ConfigError(path, v, `unknown config key${didYouMean(k, known, (n) => (prefix ? `${prefix}.${n}` : n))}; known keys${prefix ? ` of ${prefix}` : ''}: ${known.join(', ')}`);
    }
  }
  return cfg;
}

function setPath(obj: object, path: string, v: unknown): void {
  const parts = path.split('.');
  let o = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[parts[parts.length - 1]!] = v;
}

/**
 * What in `config` takes gradients of gradients, which tfjs 4.22 gets silently wrong unless the fix
 * `initBackend` installs is on (pitfalls §tfjs 2), for a message ("second-order maml-trpo"); null
 * when nothing does. Second-order MAML (RL, or the supervised maml and meta-sgd) does, and so does a
 * Fisher-vector product by autodiff (`trpo.fvp` `exact` or `chain`; found by a library trial:
 * `exact` on a pretrained run took wrong steps without the fix).
 * @param supervised whether the config's env is a supervised (horizon-1) env.
 */
export function gradientsOfGradients(config: TrainConfig, supervised: boolean): string | null {
  // anil adapts its head with second-order gradients too (found by a review), unless firstOrder is set.
  if (supervised) return config.algo === 'meta-sgd' || ((config.algo === 'maml' || config.algo === 'anil') && !config.adaptation.firstOrder) ? config.algo : null;
  if (config.algo === 'maml-trpo' && !config.adaptation.firstOrder) return 'second-order maml-trpo';
  return config.trpo.fvp !== 'finite-difference' ? `trpo.fvp ${JSON.stringify(config.trpo.fvp)}` : null;
}

/**
 * Checks a config read back from a run (its checkpoint or `config.json`) and returns a new, complete
 * one. Fields it lacks (a run written before they existed) take the plain reference values (the
 * settings every preset starts from), not the env preset's (`policy.normalizeActions` is false there): to build a config for a
 * new run, use {@link resolveConfig}, and `train` refuses an incomplete one.
 * @throws ConfigError naming the first unknown key or bad value.
 */
export function validateConfig(cfg: TrainConfig): TrainConfig {
  // Found by a library trial: null threw a TypeError, and {} gave a config with no env.
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new ConfigError('config', cfg, "must be an object: a TrainConfig, as resolveConfig gives it or a run's config.json holds it");
  if (typeof cfg.env !== 'string' || cfg.env === '') throw new ConfigError('env', cfg.env, 'must be an env id (a non-empty string)');
  // Missing fields take the plain reference values (a config written before `policy.normalizeActions`
  // existed ran with the env's own action units).
  const fresh = base(cfg.env);
  return applyOverrides(fresh, cfg);
}

/**
 * Builds a config: the preset `presetName` for `env`, then each override in turn (a config file's,
 * then the command line's), nested like {@link TrainConfig}.
 * @param env the env's id, or the env itself (`make(id)`). Given the env, its own preset is told
 *   from what it is ({@link presetFor}: a supervised env of one's own gets `sine` or `omniglot`,
 *   and so does `tiny` for it); given an id, from the id ({@link defaultPreset}), which is not
 *   looked up here (`train` and `make` do that).
 * @param presetName a key of {@link PRESETS}; by default the env's own.
 * @throws ConfigError for an unknown preset, an unknown key or bad value in an override (naming its
 *   path), or an override whose `env` differs from `env`.
 */
export function resolveConfig(env: string | MetaEnv, presetName?: string, ...overrides: unknown[]): TrainConfig {
  const given = env;
  if (typeof given !== 'string' && typeof (given as Partial<MetaEnv> | null)?.id !== 'string') throw new ConfigError('env', given, "must be an env id or an env (make(id)), resolveConfig's first argument");
  const id = typeof given === 'string' ? given : given.id;
  const own = typeof given === 'string' ? defaultPreset(given) : presetFor(given);
  if (presetName !== undefined && typeof presetName !== 'string') throw new ConfigError('preset', presetName, `must be a preset name (${Object.keys(PRESETS).join(', ')}) or undefined, resolveConfig's second argument; the overrides come after it`);
  const name = presetName ?? own;
  const preset = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!preset) throw new ConfigError(opt('preset'), name, `unknown preset${didYouMean(name, Object.keys(PRESETS))}; known: ${Object.keys(PRESETS).join(', ')}`);
  let cfg = preset(id, own);
  for (const o of overrides) cfg = applyOverrides(cfg, o);
  // The preset was made for `env`: an override naming another env would get the wrong settings.
  if (cfg.env !== id) {
    const instead = typeof given === 'string' ? JSON.stringify(cfg.env) : `make(${JSON.stringify(cfg.env)})`;
    throw new ConfigError('env', cfg.env, `differs from the env the config is resolved for (${JSON.stringify(id)}): pass ${instead} as resolveConfig's first argument instead`);
  }
  return cfg;
}
