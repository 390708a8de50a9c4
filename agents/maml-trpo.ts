import * as tf from '#tfjs';
import { ConfigError, gradientsOfGradients, RL_ALGOS, type TrainConfig } from '../src/config.ts';
import type { MetaEnv, Task } from '../src/types.ts';
import { createRng, type Rng } from '../src/rng.ts';
import { drawTasks, isSupervised } from '../src/env-contract.ts';
import { GaussianMlpPolicy, type ParamValues } from '../src/policy.ts';
import { flattenValues, unflattenValues } from '../src/params.ts';
import { trpoStep, type TrpoResult } from '../src/trpo.ts';
import { initialLrScale, metaShapes } from '../src/maml.ts';
import { isNode, secondOrderFixInstalled, type BackendName } from '../src/backend.ts';
import { wasmKernelFixesInstalled } from '../src/wasm-kernels.ts';
import type { PoolHandle, WorkerPoolModule } from '../src/pool-types.ts';
import { fvpTaskIndices, ownExtension, shardFailure, workerBackend } from './shards.ts';
import { MamlShard, TaskFailedError, contiguousBlocks, type CollectRequest, type CollectResult, type MamlWorkerInit, type ShardTask } from './maml-shard.ts';

export { TaskFailedError };

/** Seconds spent in each phase of a meta-iteration. */
export interface PhaseTimes {
  sampling: number;
  baseline: number;
  adaptation: number;
  metaGradient: number;
  cg: number;
  lineSearch: number;
  total: number;
}

/** What one meta-iteration reports (one line of `progress.jsonl`). */
export interface StepLogs {
  iteration: number;
  /** Mean undiscounted return of the pre-adaptation episodes, over tasks. */
  returnsBefore: number;
  /** Mean undiscounted return of the post-adaptation (validation) episodes, over tasks. */
  returnsAfter: number;
  /** Surrogate loss before the step (mean over tasks). */
  lossBefore: number;
  /** Surrogate loss of the accepted parameters, or of the last candidate if rejected. */
  lossAfter: number;
  /** Mean KL(old ‖ new) of the adapted policies at the candidate. */
  kl: number;
  lineSearchAccepted: boolean;
  lineSearchSteps: number;
  /** 'accepted', or why the parameters were left unchanged. */
  stepOutcome: TrpoResult['outcome'];
  stepFraction: number;
  /** CG iterations completed (for 'cg-failed', the iteration whose curvature was refused). */
  cgIterations: number;
  /** How CG ended: 'residual', 'iterations', 'truncated', 'failed' or 'none'. */
  cgStop: TrpoResult['cgStop'];
  gradNorm: number;
  /**
   * With `adaptation.learnedLr`: mean, minimum and maximum of the learned step-size multipliers s
   * after the step, and the norm of the meta-gradient's s part (`gradNorm` covers θ and s).
   */
  lrScale?: { mean: number; min: number; max: number; gradNorm: number };
  tasks: Task[];
  time: PhaseTimes;
}

/** How {@link MamlTrpo} runs the per-task work. None of these change the results. */
export interface MamlTrpoOptions {
  /**
   * Worker threads for the per-task work (sampling, baselines, adaptation, per-task meta-gradients,
   * Fisher-vector products and line-search values); each gets a contiguous block of the meta-batch.
   * 1 (default) runs everything in-process, without threads. Results are bit-identical for any value.
   * More than one needs Node (worker threads): in a page, 1.
   * With more than one worker, workers build their envs with `envFactory(config)` (the registered env),
   * not with the `makeEnv` given to the constructor.
   */
  workers?: number | undefined;
  /**
   * Modules every worker imports before making its env (e.g. ones that `register` custom envs): file
   * URLs, or file paths (relative ones from the current directory).
   */
  envModules?: Array<string | URL> | undefined;
  /** Backend of the workers. Default: the backend of the calling thread, with the same fixes. */
  backend?: BackendName;
}

/** The per-task work of a block of tasks, in-process or in a worker thread. */
interface ShardRunner {
  collect(req: CollectRequest): Promise<CollectResult>;
  metaGradient(x: Float64Array): Promise<Float64Array>;
  /** `only`: meta-batch indices of the tasks to compute (the others' rows stay zero); all if absent. */
  fvpFiniteDifference(x: Float64Array, eps: number, x0: Float64Array, only?: number[]): Promise<Float64Array>;
  fvpExact(x: Float64Array, v: Float64Array, only?: number[], method?: 'exact' | 'chain'): Promise<Float64Array>;
  evaluate(x: Float64Array): Promise<Float64Array>;
  /** Frees the block's tensors; returns the runner's live tensor count (0 in-process: counted on this thread). */
  release(): Promise<number>;
}

function localRunner(shard: MamlShard): ShardRunner {
  return {
    collect: async (req) => shard.collect(req),
    metaGradient: async (x) => shard.metaGradient(x),
    fvpFiniteDifference: async (x, eps, x0, only) => shard.fvpFiniteDifference(x, eps, x0, only),
    fvpExact: async (x, v, only, method) => shard.fvpExact(x, v, only, method),
    evaluate: async (x) => shard.evaluate(x),
    release: async () => {
      shard.release();
      return 0;
    },
  };
}

function workerRunner(pool: PoolHandle, w: number): ShardRunner {
  return {
    collect: (req) => pool.call(w, 'collect', req),
    metaGradient: (x) => pool.call(w, 'metaGradient', { x }),
    fvpFiniteDifference: (x, eps, x0, only) => pool.call(w, 'fvpFiniteDifference', { x, eps, x0, only }),
    fvpExact: (x, v, only, method) => pool.call(w, 'fvpExact', { x, v, only, method }),
    evaluate: (x) => pool.call(w, 'evaluate', { x }),
    release: () => pool.call(w, 'release', null),
  };
}

const now = () => performance.now() / 1000;

/**
 * Imports a Node-only module when it is needed, with the specifier out of a bundler's sight, so
 * that the browser demo can bundle MamlTrpo: a page trains with one worker and never gets here.
 */
const nodeOnly = <T>(specifier: string): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;

/**
 * MAML with a TRPO outer step (Finn, Abbeel, Levine 2017, §5.3): per task, adapt θ by
 * `numInnerSteps` REINFORCE steps on freshly sampled episodes, sample validation episodes with θ′,
 * then take one trust-region step on the mean validation surrogate, differentiating through the
 * adaptation (second order unless `adaptation.firstOrder`).
 *
 * The per-task work runs in {@link MamlShard}s, in-process or in worker threads
 * ({@link MamlTrpoOptions.workers}); this thread only draws the tasks, sends θ (float64 vectors) and
 * sums the per-task results in task order, in float64, so the result does not depend on the
 * number of workers.
 */
export class MamlTrpo {
  readonly policy: GaussianMlpPolicy;
  /** Number of shards the meta-batch is split into (worker threads, or 1 in-process). */
  readonly workers: number;
  private runners: ShardRunner[] | null = null;
  private pool: PoolHandle | null = null;
  private starting: Promise<ShardRunner[]> | null = null;
  private workerTensors = 0;
  /** Env control steps sampled in the last {@link step}. */
  lastEnvSteps = 0;
  readonly config: TrainConfig;
  private readonly makeEnv: () => MetaEnv;
  /** Current meta-parameters θ. */
  params: ParamValues;
  private readonly options: MamlTrpoOptions;

  /**
   * @param config the run's resolved config (`resolveConfig`), complete.
   * @param makeEnv makes a fresh env of `config.env` (`envFactory(config)`, or the env's constructor):
   *   the agent makes one to size the policy, and one per shard when it runs in-process.
   * @param params the meta-parameters to start from: {@link MamlTrpo.initParams} for a new run, a
   *   checkpoint's for a resumed one.
   * @param options worker threads and the modules they import ({@link MamlTrpoOptions}).
   * @throws ConfigError when `config.algo` is not an RL algo (maml-trpo, pretrained, oracle) or the
   *   env is a supervised one; RangeError when `params` do not fit the policy `config` describes, or
   *   `workers` is not a positive integer, or more than one outside Node; Error when second-order
   *   MAML or `trpo.fvp` `exact` or `chain` is asked for before `initBackend()` installed the tfjs
   *   gradient fix.
   */
  constructor(
    config: TrainConfig,
    makeEnv: () => MetaEnv,
    params: ParamValues,
    options: MamlTrpoOptions = {},
  ) {
    this.config = config;
    this.makeEnv = makeEnv;
    this.params = params;
    this.options = options;
    // What metarl train would train with another learner, or refuse, is not run as something else.
    if (!RL_ALGOS.includes(config.algo)) {
      throw new ConfigError('algo', config.algo, `is not one MamlTrpo trains (${RL_ALGOS.join(', ')}); supervised algos train with SupervisedMetaLearner (metarl/agents, Node) or metarl train`);
    }
    const secondOrder = gradientsOfGradients(config, false);
    if (secondOrder !== null && !secondOrderFixInstalled()) {
      // tfjs 4.22 computes second-order gradients silently wrong without it (pitfalls §tfjs 2).
      throw new Error(`MamlTrpo: ${secondOrder} needs the tfjs second-order gradient fix; call initBackend() first`);
    }
    const workers = options.workers ?? 1;
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`MamlTrpo: workers must be a positive integer, got ${workers}`);
    if (workers > 1 && !isNode()) throw new RangeError(`MamlTrpo: workers ${workers} start worker threads, which need Node; in a page, use workers: 1`);
    this.workers = workers;
    this.rootRng = createRng(config.seed);
    const env = makeEnv();
    if (isSupervised(env)) {
      throw new ConfigError('env', config.env, 'is a supervised env, and MamlTrpo trains RL policies; supervised envs train with SupervisedMetaLearner (metarl/agents, Node) or metarl train');
    }
    this.policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
    const n = this.policy.shapes.length;
    const expected = this.policy.numParams * (config.adaptation.learnedLr ? 2 : 1);
    const got = Array.isArray(params) ? params.reduce((s, p) => s + p.length, 0) : NaN;
    if (got !== expected) throw new RangeError(`MamlTrpo: parameters have ${got} entries, the policy${config.adaptation.learnedLr ? ' and its learned step sizes need' : ' needs'} ${expected}`);
    // Tensor by tensor: the right total in the wrong shapes would be read with the wrong layer widths.
    this.policy.checkParams(params.slice(0, n));
    if (config.adaptation.learnedLr) this.policy.checkParams(params.slice(n), 'lrScale (params after the policy\'s)');
  }

  /** Shapes of the meta-parameters in checkpoint order: the policy's, then the learned step-size multipliers' ({@link splitMeta}). */
  get paramShapes(): number[][] {
    return metaShapes(this.policy, this.config.adaptation.learnedLr);
  }

  /**
   * Initial parameters for `config` from the run's root stream; with `adaptation.learnedLr`,
   * followed by step-size multipliers of 1 (the inner step starts as plain `fastLr`).
   */
  static initParams(config: TrainConfig, makeEnv: () => MetaEnv, root: Rng): ParamValues {
    const env = makeEnv();
    const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
    const theta = policy.init(root.fork('init'));
    return config.adaptation.learnedLr ? [...theta, ...initialLrScale(policy)] : theta;
  }

  /**
   * The run's root stream, from which each iteration's tasks and episodes are forked by iteration
   * number: `createRng(config.seed)` unless replaced (the trainer sets the same stream).
   */
  rootRng: Rng;

  /** Starts the shards (the worker pool) on first use. */
  private shardRunners(): Promise<ShardRunner[]> {
    if (this.runners) return Promise.resolve(this.runners);
    if (!this.starting) {
      this.starting = (async () => {
        if (this.workers === 1) {
          this.runners = [localRunner(new MamlShard(this.config, this.makeEnv))];
        } else {
          // Loaded lazily: worker_threads exist only in Node, and one worker needs none of it.
          // (The path is joined so that a bundler does not take `new URL('…', import.meta.url)` for an asset to ship,
          // or, as Parcel does, for a module to bundle; and marked, or webpack warns "Critical dependency" on the
          // computed URL: found by a trial with four bundlers.)
          const { WorkerPool } = await nodeOnly<WorkerPoolModule>(new URL(/* webpackIgnore: true */ ['..', 'src', `worker-pool${ownExtension(import.meta.url)}`].join('/'), import.meta.url).href);
          const init: MamlWorkerInit = {
            config: this.config,
            backend: this.options.backend ?? workerBackend('MamlTrpo'),
            secondOrderFix: secondOrderFixInstalled(),
            wasmKernelFixes: wasmKernelFixesInstalled(),
            envModules: await moduleUrls(this.options.envModules ?? []),
          };
          try {
            this.pool = await WorkerPool.start({
              entry: new URL(/* webpackIgnore: true */ ['.', `maml-worker${ownExtension(import.meta.url)}`].join('/'), import.meta.url), // as above
              size: this.workers,
              init: () => init,
              name: 'MAML task workers',
              compiled: init.envModules.length === 0, // an env module imports metarl's TypeScript
            });
          } catch (e) {
            // An env registered in this thread only: the workers, each with its own registry, do not know it.
            if (e instanceof Error && /UnknownEnvError/.test(e.message)) {
              throw new Error(
                `the worker threads cannot make env ${JSON.stringify(this.config.env)} (${e.message}); ` +
                  'an env of your own must be registered in every worker too: pass the module that registers it in envModules (command line: --env-module FILE), or use one worker',
              );
            }
            throw e;
          }
          this.runners = Array.from({ length: this.workers }, (_, w) => workerRunner(this.pool!, w));
        }
        return this.runners;
      })();
      this.starting.catch(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  /** Live tensors: this thread's plus the workers' (as reported at the end of the last step). */
  liveTensors(): number {
    return tf.memory().numTensors + this.workerTensors;
  }

  /** Stops the worker threads (if any). The agent cannot step afterwards. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.runners = null;
    this.starting = Promise.reject(new Error('MamlTrpo: closed'));
    this.starting.catch(() => undefined);
    if (pool) await pool.close();
  }

  /**
   * Runs meta-iteration `it` (tasks and samples are drawn from streams keyed by `it`).
   * @param env an env of the run's `config.env`, used only to draw the iteration's tasks
   *   (`sampleTasks`); the episodes are sampled on the envs of the constructor's `makeEnv`.
   */
  async step(env: MetaEnv, it: number): Promise<StepLogs> {
    const c = this.config;
    const t: PhaseTimes = { sampling: 0, baseline: 0, adaptation: 0, metaGradient: 0, cg: 0, lineSearch: 0, total: 0 };
    const start = now();
    const tasks = drawTasks(env, c.sampling.metaBatchSize, this.rootRng.fork('tasks', it));
    const n = tasks.length;
    const runners = await this.shardRunners();
    const blocks = contiguousBlocks(n, runners.length);
    const used = runners.slice(0, blocks.length);
    /** Awaits one call per block; a failure is rethrown naming the task. */
    const all = async <R>(f: (r: ShardRunner, j: number) => Promise<R>): Promise<R[]> => {
      try {
        return await Promise.all(used.map((r, j) => f(r, j)));
      } catch (e) {
        throw shardFailure(e, tasks, blocks, 'MamlTrpo');
      }
    };
    /** Calls `f` on every block and visits the per-task rows (`width` floats each) in task order. */
    const perTask = async (f: (r: ShardRunner) => Promise<Float64Array>, width: number, visit: (row: Float64Array, offset: number) => void) => {
      const outs = await all((r) => f(r));
      blocks.forEach(([b0, b1], j) => {
        const out = outs[j]!;
        if (out.length !== (b1 - b0) * width) throw new Error(`MamlTrpo: block ${j} returned ${out.length} values, expected ${(b1 - b0) * width}`);
        for (let i = 0; i < b1 - b0; i++) visit(out, i * width);
      });
    };

    const x0 = flattenValues(this.params);
    const dim = x0.length;
    let result: TrpoResult;
    let loss0 = 0;
    let gradNorm = 0;
    let lrScaleGradNorm = 0;
    const returnsBefore = new Float64Array(n);
    const returnsAfter = new Float64Array(n);
    try {
      const collected = await all((r, j) => {
        const [b0, b1] = blocks[j]!;
        const shardTasks: ShardTask[] = tasks.slice(b0, b1).map((task, i) => ({ index: b0 + i, task }));
        return r.collect({ iteration: it, rootKey: this.rootRng.key, params: this.params, tasks: shardTasks });
      });
      this.lastEnvSteps = 0;
      collected.forEach((r, j) => {
        returnsBefore.set(r.returnsBefore, blocks[j]![0]);
        returnsAfter.set(r.returnsAfter, blocks[j]![0]);
        this.lastEnvSteps += r.envSteps;
        // In parallel the phases overlap: report the slowest block's time per phase.
        const agg = used.length === 1 ? (a: number, b: number) => a + b : Math.max;
        t.sampling = agg(t.sampling, r.time.sampling);
        t.baseline = agg(t.baseline, r.time.baseline);
        t.adaptation = agg(t.adaptation, r.time.adaptation);
      });

      let t0 = now();
      const grad = new Float64Array(dim);
      await perTask((r) => r.metaGradient(x0), dim + 1, (row, o) => {
        loss0 += row[o]! / n;
        for (let i = 0; i < dim; i++) grad[i]! += row[o + 1 + i]! / n;
      });
      gradNorm = Math.sqrt(grad.reduce((s, v) => s + v * v, 0));
      t.metaGradient += now() - t0;

      // The tasks the Fisher-vector products average over (all unless trpo.fvpSubsample < 1); the
      // shards leave the other tasks' rows zero.
      const fvpTasks = fvpTaskIndices(n, c.trpo.fvpSubsample);
      const only = fvpTasks.length < n ? fvpTasks : undefined;
      /** v ↦ F v, without the damping. */
      const fisher = async (v: Float64Array): Promise<Float64Array> => {
        const t1 = now();
        const out = new Float64Array(v.length);
        const add = (row: Float64Array, o: number) => {
          for (let i = 0; i < dim; i++) out[i]! += row[o + i]! / fvpTasks.length;
        };
        if (c.trpo.fvp !== 'finite-difference') {
          const method = c.trpo.fvp;
          await perTask((r) => r.fvpExact(x0, v, only, method), dim, add);
        } else {
          const norm = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
          if (norm === 0) return out;
          const eps = c.trpo.fdShift / norm;
          const shifted = x0.map((a, i) => a + eps * v[i]!);
          await perTask((r) => r.fvpFiniteDifference(shifted, eps, x0, only), dim, add);
        }
        t.cg += now() - t1;
        return out;
      };
      const damped = (fv: Float64Array, v: Float64Array) => {
        for (let i = 0; i < fv.length; i++) fv[i]! += c.trpo.cgDamping * v[i]!;
        return fv;
      };
      const evaluate = async (x: Float64Array) => {
        const t1 = now();
        let loss = 0;
        let kl = 0;
        await perTask((r) => r.evaluate(x), 2, (row, o) => {
          loss += row[o]! / n;
          kl += row[o + 1]! / n;
        });
        t.lineSearch += now() - t1;
        return { loss, kl };
      };
      if (!c.adaptation.learnedLr) {
        result = await trpoStep({ x0, loss0, grad, fvp: async (v) => damped(await fisher(v), v), evaluate }, c.trpo);
      } else {
        // Learned step sizes: the TRPO step is taken in coordinates y with x = x0 + D (y − x0), D = 1 on
        // θ and `learnedLrGain` on s (a fixed diagonal preconditioner). Through the adaptation, s moves
        // the policy by about α |∇L_inner| per unit, orders of magnitude less than θ does, so its
        // directions have almost no curvature and 10 CG iterations would leave them out of the step.
        const n0 = this.policy.numParams;
        const gain = c.adaptation.learnedLrGain;
        const scaleS = (v: Float64Array) => {
          const out = v.slice();
          for (let i = n0; i < out.length; i++) out[i]! *= gain;
          return out;
        };
        const toX = (y: Float64Array) => {
          const x = y.slice();
          for (let i = n0; i < x.length; i++) x[i] = x0[i]! + gain * (y[i]! - x0[i]!);
          return x;
        };
        lrScaleGradNorm = Math.sqrt(grad.subarray(n0).reduce((s, v) => s + v * v, 0));
        result = await trpoStep(
          { x0, loss0, grad: scaleS(grad), fvp: async (v) => damped(scaleS(await fisher(scaleS(v))), v), evaluate: (y) => evaluate(toX(y)) },
          c.trpo,
        );
        result = { ...result, x: toX(result.x) };
      }
    } finally {
      if (!this.pool?.failure) {
        const counts = await Promise.all(used.map((r) => r.release()));
        this.workerTensors = counts.reduce((a, b) => a + b, 0);
      }
    }
    if (result.accepted) this.params = unflattenValues(result.x, this.params);
    t.total = now() - start;
    const mean = (xs: Float64Array) => xs.reduce((a, s) => a + s, 0) / xs.length;
    return {
      iteration: it,
      returnsBefore: mean(returnsBefore),
      returnsAfter: mean(returnsAfter),
      lossBefore: loss0,
      lossAfter: result.loss,
      kl: result.kl,
      lineSearchAccepted: result.accepted,
      lineSearchSteps: result.lineSearchSteps,
      stepOutcome: result.outcome,
      stepFraction: result.stepFraction,
      cgIterations: result.cgIterations,
      cgStop: result.cgStop,
      gradNorm,
      ...(c.adaptation.learnedLr ? { lrScale: { ...lrScaleStats(this.params.slice(this.policy.shapes.length)), gradNorm: lrScaleGradNorm } } : {}),
      tasks,
      time: t,
    };
  }
}

/** Mean, minimum and maximum over every entry of the learned step-size multipliers. */
function lrScaleStats(s: ParamValues): { mean: number; min: number; max: number } {
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of s) {
    for (const v of p) {
      sum += v;
      count++;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  return { mean: sum / count, min, max };
}

/**
 * `modules` as URLs a worker thread can import: a URL as it is, a string with a URL scheme
 * (`file:`, `data:`, …) as it is, any other string as a file path from the current directory.
 * Node only (called when starting worker threads).
 */
export async function moduleUrls(modules: ReadonlyArray<string | URL>): Promise<string[]> {
  // Structural types: a page's type check has no Node types to name these modules by.
  const { resolve } = await nodeOnly<{ resolve(...paths: string[]): string }>('node:path');
  const { pathToFileURL } = await nodeOnly<{ pathToFileURL(path: string): URL }>('node:url');
  return modules.map((m) => (m instanceof URL ? m.href : /^[a-zA-Z][a-zA-Z\d+.-]+:/.test(m) ? m : pathToFileURL(resolve(m)).href));
}
