import * as tf from '#tfjs';
import type { TrainConfig } from '../src/config.ts';
import type { BackendName } from '../src/backend-names.ts';
import type { Episodes, MetaEnv, Task } from '../src/types.ts';
import { Rng } from '../src/rng.ts';
import { GaussianMlpPolicy, type ParamValues } from '../src/policy.ts';
import { sampleEpisodes, meanReturn } from '../src/sampler.ts';
import { estimateAdvantages } from '../src/advantages.ts';
import { TaskObjective, adaptValues, innerStepSizes, metaShapes, metaTensors, pgData, splitMeta, toTensors, validTensors, type PgData, type ValidTensors } from '../src/maml.ts';
import { unflattenValues } from '../src/params.ts';
import { asTaskFailure } from './shards.ts';

/** What every MAML worker is started with. */
export interface MamlWorkerInit {
  config: TrainConfig;
  backend: BackendName;
  secondOrderFix: boolean;
  wasmKernelFixes: boolean;
  /** Module URLs imported before the env is made (e.g. ones that `register` custom envs). */
  envModules: string[];
}

export { TaskFailedError, contiguousBlocks } from './shards.ts';

/** A task of the meta-batch with its position in it (which fixes its random streams). */
export interface ShardTask {
  index: number;
  task: Task;
}

/** What {@link MamlShard.collect} needs: the iteration's streams, θ, and this shard's tasks. */
export interface CollectRequest {
  iteration: number;
  /** Key of the run's root stream ({@link Rng.key}); the shard forks per-task streams from it. */
  rootKey: string;
  params: ParamValues;
  tasks: ShardTask[];
}

/** Seconds this shard spent per phase of the collection. */
export interface CollectTimes {
  sampling: number;
  baseline: number;
  adaptation: number;
}

/** Per-task results of {@link MamlShard.collect}, in the shard's task order. */
export interface CollectResult {
  returnsBefore: Float64Array;
  returnsAfter: Float64Array;
  /** Env control steps sampled (pre- and post-adaptation). */
  envSteps: number;
  time: CollectTimes;
}

const now = () => performance.now() / 1000;

/**
 * The per-task half of a MAML-TRPO meta-iteration for a fixed subset ("shard") of the meta-batch:
 * sampling, baselines, inner adaptation ({@link collect}), then the outer step's per-task
 * quantities at a given θ (meta-gradient, Fisher-vector product, line-search loss and KL), with the
 * {@link TaskObjective}s (and their tensors) kept alive between those calls until {@link release}.
 *
 * Runs in-process (one worker) or inside a worker thread (agents/maml-worker.ts); either way each
 * task is computed by the same code from streams keyed by its index, so the per-task results do not
 * depend on how tasks are sharded. θ arrives as a float64 vector and is rounded to float32 here,
 * exactly as on the main thread. Results are packed per task, in the shard's task order:
 * `[k, …]` row-major Float64Arrays.
 */
export class MamlShard {
  readonly policy: GaussianMlpPolicy;
  private readonly envs: MetaEnv[] = [];
  private tasks: ShardTask[] = [];
  private objectives: TaskObjective[] = [];
  private readonly like: ParamValues;
  readonly config: TrainConfig;
  private readonly makeEnv: () => MetaEnv;
  /** Called with a task's index before work on it starts (a worker records it for error reports). */
  private readonly onTask: (index: number) => void;

  /**
   * @param config the run's config.
   * @param makeEnv makes the env of `config.env`: one now (to size the policy), more as a call
   *   needs one per task at once.
   * @param onTask called with a task's index before work on it starts.
   */
  constructor(
    config: TrainConfig,
    makeEnv: () => MetaEnv,
    onTask: (index: number) => void = () => {},
  ) {
    this.config = config;
    this.makeEnv = makeEnv;
    this.onTask = onTask;
    const env = makeEnv();
    this.envs.push(env);
    this.policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
    this.like = metaShapes(this.policy, config.adaptation.learnedLr).map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
  }

  /** Number of meta-parameters: the policy's, plus as many learned step-size multipliers with `adaptation.learnedLr`. */
  get numParams(): number {
    return this.policy.numParams * (this.config.adaptation.learnedLr ? 2 : 1);
  }

  private envPool(n: number): MetaEnv[] {
    while (this.envs.length < n) this.envs.push(this.makeEnv());
    return this.envs;
  }

  /** Runs `f` for each task in order; an error is rethrown as a {@link TaskFailedError} naming the task. */
  private each(phase: string | (() => string), f: (i: number) => void): void {
    for (let i = 0; i < this.tasks.length; i++) {
      const { index, task } = this.tasks[i]!;
      this.onTask(index);
      try {
        f(i);
      } catch (e) {
        throw asTaskFailure(e, index, task, typeof phase === 'string' ? phase : phase());
      }
    }
  }

  private sample(task: Task, params: ParamValues, rng: Rng): Episodes {
    const n = this.config.sampling.fastBatchSize;
    return sampleEpisodes(this.envPool(n), this.policy, { task, params, numEpisodes: n, rng });
  }

  private advantages(ep: Episodes): Float32Array {
    const c = this.config;
    return estimateAdvantages(ep, { ...c.advantages, regCoeff: c.baseline.regCoeff });
  }

  /**
   * Per task: samples with θ, fits the baseline, adapts (`numInnerSteps` REINFORCE steps, none for
   * the non-adaptive baselines), samples validation episodes with θ′ and builds the task's outer
   * objective. Any objectives of a previous call are released first.
   */
  collect(req: CollectRequest): CollectResult {
    this.release();
    const c = this.config;
    const root = new Rng(req.rootKey);
    const time: CollectTimes = { sampling: 0, baseline: 0, adaptation: 0 };
    const k = req.tasks.length;
    const returnsBefore = new Float64Array(k);
    const returnsAfter = new Float64Array(k);
    let envSteps = 0;
    this.tasks = req.tasks;
    const innerSteps = c.algo === 'maml-trpo' ? c.adaptation.numInnerSteps : 0;
    const lrs = innerStepSizes(c.adaptation.fastLr, innerSteps, c.adaptation.laterStepsLrFactor);
    const multiStep = innerSteps > 1 && c.adaptation.multiStepLoss;
    const preWeight = innerSteps > 0 ? c.adaptation.preUpdateWeight : 0;
    const { policy } = this;
    let phase = 'sampling';
    const { theta, lrScale } = splitMeta(req.params, policy.shapes.length, c.adaptation.learnedLr);
    this.each(() => phase, (i) => {
      const { index, task } = req.tasks[i]!;
      let params = theta;
      const trains: PgData[] = [];
      // Multi-step loss: the batch sampled with θ_s (s ≥ 1) also scores θ_s in the outer objective.
      const intermediate: ValidTensors[] = [];
      // Pre-update term: the batch sampled with θ also scores θ itself.
      let preUpdate: ValidTensors | null = null;
      let t0: number;
      for (let s = 0; s < innerSteps; s++) {
        phase = 'sampling';
        t0 = now();
        const ep = this.sample(task, params, root.fork('sample', req.iteration, index, 'train', s));
        if (s === 0) returnsBefore[i] = meanReturn(ep);
        time.sampling += now() - t0;
        phase = 'baseline';
        t0 = now();
        const d = pgData(ep, this.advantages(ep));
        envSteps += d.n;
        time.baseline += now() - t0;
        phase = 'adaptation';
        t0 = now();
        if (multiStep && s > 0) intermediate.push(validTensors(policy, d, params));
        if (preWeight > 0 && s === 0) preUpdate = validTensors(policy, d, params);
        params = adaptValues(policy, params, d, lrs[s]!, lrScale);
        time.adaptation += now() - t0;
        trains.push(d);
      }
      phase = 'sampling';
      t0 = now();
      const ep = this.sample(task, params, root.fork('sample', req.iteration, index, 'valid'));
      time.sampling += now() - t0;
      phase = 'baseline';
      t0 = now();
      const valid = pgData(ep, this.advantages(ep));
      envSteps += valid.n;
      time.baseline += now() - t0;
      returnsAfter[i] = meanReturn(ep);
      if (innerSteps === 0) returnsBefore[i] = returnsAfter[i]!;
      phase = 'upload';
      this.objectives.push(
        new TaskObjective(
          policy,
          trains.map((d) => toTensors(d, policy.obsDim, policy.actDim)),
          validTensors(policy, valid, params),
          {
            fastLr: c.adaptation.fastLr,
            laterStepsLrFactor: c.adaptation.laterStepsLrFactor,
            firstOrder: c.adaptation.firstOrder,
            termWeights: multiStep ? c.adaptation.multiStepWeights : [],
            innerLoss: c.adaptation.innerLoss,
            learnedLr: c.adaptation.learnedLr,
            preUpdateWeight: preWeight,
          },
          intermediate,
          preUpdate,
        ),
      );
    });
    return { returnsBefore, returnsAfter, envSteps, time };
  }

  /** θ (float64, rounded to float32) as tensors for `f`; freed afterwards. */
  private withTheta<R>(x: Float64Array, f: (theta: tf.Tensor[]) => R): R {
    const theta = metaTensors(this.policy, unflattenValues(x, this.like), this.config.adaptation.learnedLr);
    try {
      return f(theta);
    } finally {
      tf.dispose(theta);
    }
  }

  private requireObjectives(op: string): void {
    if (this.objectives.length !== this.tasks.length || this.tasks.length === 0) {
      throw new Error(`MamlShard.${op}: no collected tasks (call collect first)`);
    }
  }

  /** Per task: surrogate loss and its meta-gradient at θ = x. `[k, 1 + n]` (loss, then ∇). */
  metaGradient(x: Float64Array): Float64Array {
    this.requireObjectives('metaGradient');
    const n = this.numParams;
    const out = new Float64Array(this.tasks.length * (n + 1));
    this.withTheta(x, (theta) =>
      this.each('metaGradient', (i) => {
        const { loss, grad } = this.objectives[i]!.metaGradient(theta);
        out[i * (n + 1)] = loss;
        out.set(grad, i * (n + 1) + 1);
      }),
    );
    return out;
  }

  /**
   * Per task: finite-difference Fisher-vector product ∇KL(θ_old + εv) / ε, given the shifted
   * point `xShifted` = θ_old + εv and θ_old = `x0` (first-order MAML holds its offsets fixed).
   * `[k, n]`. With `only` (meta-batch indices), the other tasks' rows are left zero and not computed.
   */
  fvpFiniteDifference(xShifted: Float64Array, eps: number, x0: Float64Array, only?: readonly number[]): Float64Array {
    this.requireObjectives('fvp');
    const n = this.numParams;
    const out = new Float64Array(this.tasks.length * n);
    const run = (thetaOld?: tf.Tensor[]) => this.withTheta(xShifted, (theta) => this.eachOf(only, (i) => out.set(this.objectives[i]!.fvpFiniteDifference(theta, eps, thetaOld), i * n)));
    if (this.config.adaptation.firstOrder) this.withTheta(x0, run);
    else run();
    return out;
  }

  /**
   * Per task: exact Fisher-vector product H v at θ_old = x, by third derivatives (`exact`) or the
   * chain rule (`chain`, {@link TaskObjective.fvpChain}). `[k, n]`; `only` as in {@link fvpFiniteDifference}.
   */
  fvpExact(x: Float64Array, v: Float64Array, only?: readonly number[], method: 'exact' | 'chain' = 'exact'): Float64Array {
    this.requireObjectives('fvp');
    const n = this.numParams;
    const out = new Float64Array(this.tasks.length * n);
    this.withTheta(x, (theta) => {
      const vT = metaTensors(this.policy, unflattenValues(v, this.like), this.config.adaptation.learnedLr);
      try {
        this.eachOf(only, (i) => out.set(method === 'chain' ? this.objectives[i]!.fvpChain(theta, vT) : this.objectives[i]!.fvpExact(theta, vT), i * n));
      } finally {
        tf.dispose(vT);
      }
    });
    return out;
  }

  /** {@link each} over the 'fvp' phase, skipping tasks whose meta-batch index is not in `only` (if given). */
  private eachOf(only: readonly number[] | undefined, f: (i: number) => void): void {
    const keep = only && new Set(only);
    this.each('fvp', (i) => {
      if (!keep || keep.has(this.tasks[i]!.index)) f(i);
    });
  }

  /** Per task: surrogate loss and mean KL at θ = x (values only). `[k, 2]`. */
  evaluate(x: Float64Array): Float64Array {
    this.requireObjectives('evaluate');
    const out = new Float64Array(this.tasks.length * 2);
    this.withTheta(x, (theta) =>
      this.each('evaluate', (i) => {
        const r = this.objectives[i]!.evaluate(theta);
        out[2 * i] = r.loss;
        out[2 * i + 1] = r.kl;
      }),
    );
    return out;
  }

  /** Frees the objectives' tensors; returns the number of tensors still alive in this tfjs instance. */
  release(): number {
    for (const o of this.objectives) o.dispose();
    this.objectives = [];
    return tf.memory().numTensors;
  }
}
