import * as tf from '#tfjs';
import { ConfigError, checkIntOption, checkOptionKeys, gradientsOfGradients, type TrainConfig } from '../src/config.ts';
import type { LabelledBatch, SupervisedMetaEnv, Task } from '../src/types.ts';
import { meanSem, type StepStat } from '../src/evaluation.ts';
import { createRng, type Rng } from '../src/rng.ts';
import { drawTasks } from '../src/env-contract.ts';
import type { ParamValues } from '../src/policy.ts';
import { MlpRegressor, SupervisedObjective, batchTensors, protoLoss, type BatchTensors, type SupervisedModel } from '../src/supervised.ts';
import { flattenValues, readFlat, unflattenValues } from '../src/params.ts';
import { ConvNet } from '../src/conv-net.ts';
import { adamInit, adamStep, type AdamState } from '../src/adam.ts';
import { secondOrderFixInstalled, type BackendName } from '../src/backend.ts';
import { wasmKernelFixesInstalled } from '../src/wasm-kernels.ts';
import type { WorkerPool } from '../src/worker-pool.ts';
import { asTaskFailure, contiguousBlocks, ownExtension, shardFailure, workerBackend } from './shards.ts';
import type { SupervisedWorkerInit } from './supervised-worker.ts';

/** The env facts a model is built from: all a worker thread gets (the data stays on the main thread). */
export type SupervisedShape = Pick<SupervisedMetaEnv, 'loss' | 'inputShape' | 'outputDim'>;

/** The model a supervised config trains: the MLP regressor for MSE tasks. */
export function supervisedModel(config: TrainConfig, env: SupervisedShape): SupervisedModel {
  if (env.loss === 'mse') return new MlpRegressor(env.inputShape[0]!, config.policy.hiddenSizes, env.outputDim, config.policy.activation);
  // Classification: the 4-block conv net of Finn et al. (2017) / Vinyals et al. (2016).
  return new ConvNet({ numClasses: env.outputDim, filters: config.supervised.convFilters, inputSize: env.inputShape[0]! });
}

/** What one supervised meta-iteration reports (a line of progress.jsonl). */
export interface SupervisedStepLogs {
  iteration: number;
  /** −(query loss) before adaptation: the horizon-1 return of the unadapted model. */
  returnsBefore: number;
  /** −(query loss) after adaptation. */
  returnsAfter: number;
  lossBefore: number;
  lossAfter: number;
  /** Norm of the mean outer gradient, before any `supervised.clipGradNorm` rescaling. */
  gradNorm: number;
  /** Whether the Adam step was taken (false only for a non-finite gradient); named as in MAML-TRPO's logs. */
  lineSearchAccepted: boolean;
  stepOutcome: 'accepted' | 'non-finite-gradient';
  kl: number;
  tasks: Task[];
  time: { sampling: number; metaGradient: number; total: number };
}

const now = () => performance.now() / 1000;

/** One task's support and query examples as host arrays (what is sent to a worker). */
export type TaskData = [support: LabelledBatch, query: LabelledBatch];

/** The per-task results of a block of tasks, in task order. */
export interface TaskGradients {
  /** Row-major `[tasks, numMetaParams]`: each task's outer gradient (Reptile: θ − θ′). */
  grads: Float64Array;
  /** Each task's query loss before adaptation. */
  lossBefore: Float64Array;
  /** Each task's query loss after adaptation (ProtoNets: the prototypical loss). */
  lossAfter: Float64Array;
  /** Live tensors left on the thread that computed them (0 in-process: counted by the caller). */
  numTensors: number;
}

/**
 * The per-task half of a supervised meta-iteration: given θ (a float64 vector, rounded to float32
 * exactly as on the main thread) and each task's examples, the task's outer gradient and losses.
 * Needs only the model, not the data set, so it runs the same in-process and in a worker thread
 * (agents/supervised-worker.ts); each task is computed by the same code whatever the sharding.
 */
export class SupervisedTaskWork {
  readonly model: SupervisedModel;
  readonly config: TrainConfig;
  readonly shape: SupervisedShape;

  /**
   * @param config the run's config (algo, model, inner loop).
   * @param shape the env's example and label shapes, from which the model is sized.
   */
  constructor(
    config: TrainConfig,
    shape: SupervisedShape,
  ) {
    this.config = config;
    this.shape = shape;
    this.model = supervisedModel(config, shape);
  }

  /** Parameter shapes in checkpoint order (θ, then α for Meta-SGD). */
  get shapes(): number[][] {
    return this.config.algo === 'meta-sgd' ? [...this.model.shapes, ...this.model.shapes] : this.model.shapes;
  }

  /** Number of meta-parameters. */
  get numParams(): number {
    return this.model.numParams * (this.config.algo === 'meta-sgd' ? 2 : 1);
  }

  /** Tensors of meta-parameter values (caller disposes). */
  toTensors(values: ParamValues): tf.Tensor[] {
    const shapes = this.shapes;
    return values.map((v, i) => tf.tensor(v, shapes[i]));
  }

  /** A batch's tensors (one-hot labels for classification; caller disposes). */
  tensors(b: LabelledBatch): BatchTensors {
    return batchTensors(b, this.shape.inputShape, this.shape.outputDim, this.shape.loss);
  }

  /** The objective of one task for this config's algorithm. */
  objective(support: BatchTensors, query: BatchTensors): SupervisedObjective {
    const c = this.config;
    return new SupervisedObjective(this.model, this.shape.loss, support, query, {
      fastLr: c.adaptation.fastLr,
      numInnerSteps: c.algo === 'pretrained' || c.algo === 'protonet' ? 0 : c.adaptation.numInnerSteps,
      firstOrder: c.algo === 'fomaml' || c.adaptation.firstOrder,
      adaptIndices: c.algo === 'anil' ? this.model.headIndices : undefined,
      learnedLr: c.algo === 'meta-sgd',
      multiStepLoss: c.supervised.multiStepLoss,
    });
  }

  /**
   * Outer gradients and losses of tasks `first`, `first + 1`, … (their examples in `data`) at θ = `x`.
   * A task that fails is reported as a {@link TaskFailedError} naming it; `onTask` is told which
   * task is being worked on (a worker marks it, so its death can be attributed).
   */
  gradients(x: Float64Array, data: readonly TaskData[], tasks: readonly Task[], first: number, onTask: (item: number) => void = () => {}): TaskGradients {
    const np = this.numParams;
    if (x.length !== np) throw new RangeError(`SupervisedTaskWork: θ has ${x.length} entries, expected ${np}`);
    const out: TaskGradients = { grads: new Float64Array(data.length * np), lossBefore: new Float64Array(data.length), lossAfter: new Float64Array(data.length), numTensors: 0 };
    const meta = this.toTensors(unflattenValues(x, this.shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)))));
    try {
      data.forEach(([s, q], i) => {
        const item = first + i;
        onTask(item);
        const made: tf.Tensor[] = [];
        try {
          const support = this.tensors(s);
          made.push(support.x, support.y);
          const query = this.tensors(q);
          made.push(query.x, query.y);
          const r = this.taskGradient(meta, support, query);
          out.grads.set(r.grad, i * np);
          out.lossBefore[i] = r.lossBefore;
          out.lossAfter[i] = r.lossAfter;
        } catch (e) {
          throw asTaskFailure(e, item, tasks[i], 'metaGradient');
        } finally {
          tf.dispose(made);
        }
      });
    } finally {
      tf.dispose(meta);
    }
    return out;
  }

  /** One task's outer gradient and its query losses before and after adaptation. */
  private taskGradient(meta: tf.Tensor[], support: BatchTensors, query: BatchTensors): { grad: Float64Array; lossBefore: number; lossAfter: number } {
    const c = this.config;
    const o = this.objective(support, query);
    const lossBefore = o.queryLoss(meta, 0, 0);
    if (c.algo === 'reptile') {
      // Reptile's outer "gradient" θ − θ′ (Nichol et al. 2018), fed to Adam.
      const grad = o.reptileDelta(meta).map((v) => -v);
      return { grad, lossBefore, lossAfter: o.queryLoss(meta, c.adaptation.numInnerSteps, c.adaptation.fastLr) };
    }
    if (c.algo === 'protonet') {
      // Only the embedding is used: differentiate the body, the head's gradient is zero.
      const body = meta.map((_, i) => i).filter((i) => !this.model.headIndices.includes(i));
      const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => {
        const full = meta.slice();
        body.forEach((i, k) => (full[i] = p[k]!));
        return protoLoss(this.model, full, support, query);
      })(body.map((i) => meta[i]!));
      const full = meta.map((m, i) => {
        const k = body.indexOf(i);
        return k >= 0 ? grads[k]! : tf.zerosLike(m);
      });
      const grad = readFlat(full);
      const lossAfter = value.dataSync()[0]!;
      tf.dispose([value, ...full]);
      return { grad, lossBefore, lossAfter };
    }
    if (c.algo === 'pretrained') {
      // One model for all tasks: its loss on every labelled example, no adaptation.
      const all = [support, query];
      const grad = new Float64Array(this.numParams);
      let lossAfter = 0;
      for (const b of all) {
        const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => o.loss(p, b))(meta);
        const gb = readFlat(grads);
        for (let i = 0; i < grad.length; i++) grad[i]! += gb[i]! / all.length;
        if (b === query) lossAfter = value.dataSync()[0]!;
        tf.dispose([value, ...grads]);
      }
      return { grad, lossBefore, lossAfter };
    }
    const r = o.metaGradient(meta);
    return { grad: r.grad, lossBefore, lossAfter: r.loss };
  }
}

/** How {@link SupervisedMetaLearner} runs the per-task work. None of these change the results. */
export interface SupervisedMetaOptions {
  /**
   * Worker threads for the per-task gradients, each given a contiguous block of the meta-batch
   * (default 1: in-process). The tasks' examples are drawn on the calling thread and sent along;
   * results are bit-identical for any value.
   */
  workers?: number | undefined;
  /** Backend of the workers. Default: the backend of the calling thread, with the same fixes. */
  backend?: BackendName;
}

/**
 * The support set of an env that fixes it itself (Omniglot's N-way K-shot tasks name their images:
 * `supportBatch`, `queryBatch`): its K and queries per class; null for an env that draws K and Q
 * examples as the config says (`supervised.shots`, `supervised.queries`).
 */
export function ownSupportSet(env: SupervisedMetaEnv): { shots: number; queries: number } | null {
  const own = env as SupervisedMetaEnv & { supportBatch?: unknown; config?: { shots?: unknown; queries?: unknown } };
  if (typeof own.supportBatch !== 'function' || typeof own.config?.shots !== 'number') return null;
  return { shots: own.config.shots, queries: typeof own.config.queries === 'number' ? own.config.queries : Number.NaN };
}

/**
 * Throws a ConfigError naming `field` when `value` asks for another K (`shots`) than the one an env
 * with its own support set has: that K is fixed by the env (its id names it).
 */
export function refuseShots(env: SupervisedMetaEnv, field: string, value: unknown): void {
  const own = ownSupportSet(env);
  if (own === null) return;
  throw new ConfigError(field, value, `does not apply to ${env.id}: its tasks fix their support set (K = ${own.shots} per class, ${own.queries} queries per class); register a variant of the env for another K`);
}

/**
 * Meta-learning on horizon-1 tasks with a differentiable loss: each iteration samples tasks,
 * draws K support and query examples per task, adapts on the support set and takes an Adam step
 * on the mean query loss (MAML, FOMAML, Meta-SGD, ANIL), on θ − θ′ (Reptile), on the
 * prototypical loss (ProtoNets) or on the plain loss without adaptation (pretrained).
 * The per-task gradients are summed in task order in float64, so the step does not depend on
 * how many worker threads computed them.
 */
export class SupervisedMetaLearner {
  readonly work: SupervisedTaskWork;
  /**
   * The run's root stream, from which each iteration's tasks and examples are forked by iteration
   * number: `createRng(config.seed)` unless replaced (the trainer sets the same stream).
   */
  rootRng: Rng;
  readonly adam: AdamState;
  /** Number of blocks the meta-batch is split into (worker threads, or 1 in-process). */
  readonly workers: number;
  private pool: WorkerPool | null = null;
  private starting: Promise<WorkerPool> | null = null;
  private workerTensors = 0;
  readonly config: TrainConfig;
  readonly env: SupervisedMetaEnv;
  /** Meta-parameters: θ, or [θ, α] for Meta-SGD. */
  params: ParamValues;
  private readonly options: SupervisedMetaOptions;

  /**
   * @param config the run's resolved config (`resolveConfig`), with a supervised `algo`.
   * @param env the supervised env of `config.env` (sine regression, Omniglot).
   * @param params the meta-parameters to start from: {@link SupervisedMetaLearner.initParams} for a
   *   new run, a checkpoint's for a resumed one.
   * @param adam Adam's moments to go on from (a resumed run's); fresh ones when not given.
   * @param options worker threads and the modules they import ({@link SupervisedMetaOptions}).
   * @throws RangeError when `params` do not fit the model or `workers` is not a positive integer;
   *   Error when MAML or Meta-SGD is asked for before `initBackend()` installed the tfjs gradient fix.
   */
  constructor(
    config: TrainConfig,
    env: SupervisedMetaEnv,
    params: ParamValues,
    adam?: AdamState,
    options: SupervisedMetaOptions = {},
  ) {
    this.config = config;
    this.env = env;
    this.params = params;
    this.options = options;
    this.work = new SupervisedTaskWork(config, env);
    const n = params.reduce((s, p) => s + p.length, 0);
    const expected = this.work.numParams;
    if (n !== expected) {
      throw new ConfigError('params', `${n} numbers in ${params.length} tensors`, `must hold the ${expected} parameters of the model ${config.algo} on ${env.id} uses (as initParams gives them, or a checkpoint of a run of the same config)`);
    }
    if (gradientsOfGradients(config, true) !== null && !secondOrderFixInstalled()) {
      throw new Error(`${config.algo} needs the tfjs second-order gradient fix; call initBackend() first`);
    }
    const workers = options.workers ?? 1;
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`SupervisedMetaLearner: workers must be a positive integer, got ${workers}`);
    this.workers = workers;
    this.rootRng = createRng(config.seed);
    this.adam = adam ?? adamInit(n);
  }

  /** The model (regressor or conv net) the meta-parameters belong to. */
  get model(): SupervisedModel {
    return this.work.model;
  }

  /** Live tfjs tensors: this thread's plus the workers' (as reported by their last call). */
  liveTensors(): number {
    return tf.memory().numTensors + this.workerTensors;
  }

  /** Stops the worker threads (if any). The learner cannot step with workers afterwards. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.starting = Promise.reject(new Error('SupervisedMetaLearner: closed'));
    this.starting.catch(() => undefined);
    if (pool) await pool.close();
  }

  /** Parameter shapes in checkpoint order (θ, then α for Meta-SGD). */
  get paramShapes(): number[][] {
    return this.work.shapes;
  }

  /** Initial meta-parameters; Meta-SGD's learning rates start at `fastLr`. */
  static initParams(config: TrainConfig, env: SupervisedMetaEnv, root: Rng): ParamValues {
    const model = supervisedModel(config, env);
    const theta = model.init(root.fork('init'));
    if (config.algo !== 'meta-sgd') return theta;
    return [...theta, ...theta.map((p) => new Float32Array(p.length).fill(config.adaptation.fastLr))];
  }

  /** The objective of one task for this config's algorithm. */
  objective(support: BatchTensors, query: BatchTensors): SupervisedObjective {
    return this.work.objective(support, query);
  }

  /** Tensors of meta-parameter values (caller disposes). */
  toTensorsPublic(values: ParamValues): tf.Tensor[] {
    return this.work.toTensors(values);
  }

  /**
   * Support and query examples of a task: the env's own disjoint split when it defines one
   * (Omniglot's tasks name their images), else two independent draws of K and Q examples.
   */
  taskData(task: Task, rng: Rng): TaskData {
    const c = this.config;
    const e = this.env as SupervisedMetaEnv & { supportBatch?: (t: Task) => LabelledBatch; queryBatch?: (t: Task) => LabelledBatch };
    const s = e.supportBatch ? e.supportBatch(task) : e.sampleBatch(task, c.supervised.shots, rng.fork('support'));
    const q = e.queryBatch ? e.queryBatch(task) : e.sampleBatch(task, c.supervised.queries, rng.fork('query'));
    return [s, q];
  }

  /** {@link taskData} as tensors (caller disposes). */
  batches(task: Task, rng: Rng): [BatchTensors, BatchTensors] {
    const [s, q] = this.taskData(task, rng);
    return [this.work.tensors(s), this.work.tensors(q)];
  }

  /** Starts the worker pool on first use. */
  private workerPool(): Promise<WorkerPool> {
    if (!this.starting) {
      this.starting = (async () => {
        // Loaded lazily: worker_threads exist only in Node, and one worker needs none of it.
        const { WorkerPool } = await import('../src/worker-pool.ts');
        const backend = this.options.backend ?? workerBackend('SupervisedMetaLearner');
        const init: SupervisedWorkerInit = {
          config: this.config,
          shape: { loss: this.env.loss, inputShape: [...this.env.inputShape], outputDim: this.env.outputDim },
          backend,
          secondOrderFix: secondOrderFixInstalled(),
          wasmKernelFixes: wasmKernelFixesInstalled(),
        };
        this.pool = await WorkerPool.start({ entry: new URL(/* webpackIgnore: true */ ['.', `supervised-worker${ownExtension(import.meta.url)}`].join('/'), import.meta.url), size: this.workers, init: () => init, name: 'supervised task workers', compiled: true });
        return this.pool;
      })();
      this.starting.catch(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  /** Per-task results of every block, in block order (in-process for one worker). */
  private async blockGradients(x: Float64Array, data: TaskData[], tasks: Task[]): Promise<TaskGradients[]> {
    if (this.workers === 1) {
      try {
        return [this.work.gradients(x, data, tasks, 0)];
      } catch (e) {
        throw shardFailure(e, tasks, [[0, tasks.length]], 'SupervisedMetaLearner');
      }
    }
    const blocks = contiguousBlocks(tasks.length, this.workers);
    const pool = await this.workerPool();
    try {
      const outs = await Promise.all(
        blocks.map(([b0, b1], w) => pool.call<TaskGradients>(w, 'gradients', { x, data: data.slice(b0, b1), tasks: tasks.slice(b0, b1), first: b0 })),
      );
      this.workerTensors = outs.reduce((a, o) => a + o.numTensors, 0);
      return outs;
    } catch (e) {
      throw shardFailure(e, tasks, blocks, 'SupervisedMetaLearner');
    }
  }

  /**
   * Runs meta-iteration `it` (its tasks and examples are drawn from {@link rootRng} by `it`). The
   * first argument is not used: it keeps the call the same as {@link MamlTrpo.step}'s.
   */
  async step(_env: unknown, it: number): Promise<SupervisedStepLogs> {
    const c = this.config;
    const start = now();
    const tasks = drawTasks(this.env, c.sampling.metaBatchSize, this.rootRng.fork('tasks', it));
    const data = tasks.map((task, i) => this.taskData(task, this.rootRng.fork('sample', it, i)));
    const tSample = now() - start;
    const x = flattenValues(this.params);
    const np = x.length;
    const grad = new Float64Array(np);
    let lossBefore = 0;
    let lossAfter = 0;
    const n = tasks.length;
    // Summed in task order, whichever thread computed each task.
    for (const part of await this.blockGradients(x, data, tasks)) {
      for (let t = 0; t < part.lossBefore.length; t++) {
        lossBefore += part.lossBefore[t]! / n;
        lossAfter += part.lossAfter[t]! / n;
        const o = t * np;
        for (let i = 0; i < np; i++) grad[i]! += part.grads[o + i]! / n;
      }
    }
    const gradNorm = Math.sqrt(grad.reduce((a, v) => a + v * v, 0));
    // A non-finite gradient never reaches the parameters: the step is skipped and logged.
    const finite = grad.every((v) => Number.isFinite(v)) && Number.isFinite(lossAfter);
    if (finite) {
      const clip = c.supervised.clipGradNorm;
      if (clip > 0 && gradNorm > clip) for (let i = 0; i < np; i++) grad[i]! *= clip / gradNorm;
      adamStep(x, grad, this.adam, { lr: c.supervised.outerLr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      this.params = unflattenValues(x, this.params);
    }
    const total = now() - start;
    return {
      iteration: it,
      returnsBefore: -lossBefore,
      returnsAfter: -lossAfter,
      lossBefore,
      lossAfter,
      gradNorm,
      lineSearchAccepted: finite,
      stepOutcome: finite ? 'accepted' : 'non-finite-gradient',
      kl: 0,
      tasks,
      time: { sampling: tSample, metaGradient: total - tSample, total },
    };
  }
}

/** Held-out tasks of a supervised env: its own test split when it has one (Omniglot), else fresh draws. */
export function heldOutTasks(env: SupervisedMetaEnv, n: number, rng: Rng): Task[] {
  return drawTasks(env as SupervisedMetaEnv & { heldOutTasks?: (n: number, rng: Rng) => Task[] }, n, rng, true);
}

/** Options of {@link evaluateSupervised}. */
export interface SupervisedEvalOptions {
  tasks: Task[];
  /** Inner steps after the unadapted model (0…steps are reported). */
  steps: number;
  rng: Rng;
  onTask?: (done: number, total: number) => void;
}

/**
 * Few-shot evaluation on held-out tasks: adapt on each task's K support examples for 0…steps
 * gradient steps (the run's α, or Meta-SGD's learned α; the same K examples every step), and
 * score the query set: mean squared error for regression, accuracy (%) for classification.
 * Prototypical networks do not adapt: step 0 is their nearest-prototype accuracy.
 */
export function evaluateSupervised(config: TrainConfig, env: SupervisedMetaEnv, params: ParamValues, opts: SupervisedEvalOptions): { metric: 'mse' | 'accuracy'; stats: StepStat[] } {
  if (typeof (env as Partial<SupervisedMetaEnv> | null)?.sampleBatch !== 'function') {
    throw new ConfigError('env', (env as { id?: unknown } | null)?.id ?? env, 'is not a supervised env (it has no sampleBatch): evaluate an RL env with evaluateAdaptation');
  }
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ tasks, steps, rng, onTask })');
  checkOptionKeys(opts, { tasks: true, steps: true, rng: true, onTask: true }, 'evaluateSupervised');
  checkIntOption('steps', opts.steps, 0);
  if (!Array.isArray(opts.tasks) || opts.tasks.length === 0) throw new ConfigError('tasks', opts.tasks, 'must hold at least one task (heldOutTasks(env, n, rng) draws them)');
  if (typeof (opts.rng as Partial<Rng> | undefined)?.fork !== 'function') throw new ConfigError('rng', opts.rng, 'must be an Rng, e.g. createRng(seed)');
  const learner = new SupervisedMetaLearner({ ...config, adaptation: { ...config.adaptation, firstOrder: true } }, env, params);
  const metric = env.loss === 'mse' ? 'mse' : 'accuracy';
  const steps = config.algo === 'protonet' ? 0 : opts.steps;
  const perStep: number[][] = Array.from({ length: steps + 1 }, () => []);
  const meta = learner.toTensorsPublic(params);
  try {
    opts.tasks.forEach((task, ti) => {
      const [s, q] = learner.batches(task, opts.rng.fork('task', ti));
      try {
        const o = learner.objective(s, q);
        for (let k = 0; k <= steps; k++) {
          const v = tf.tidy(() => {
            if (config.algo === 'protonet') return protoAccuracy(learner.model, meta, s, q);
            const adapted = o.adapt(meta, k, config.adaptation.fastLr);
            const pred = learner.model.forward(adapted, q.x);
            return metric === 'mse' ? tf.mean(tf.sum(tf.square(tf.sub(pred, q.y)), 1)) : tf.mul(tf.mean(tf.cast(tf.equal(tf.argMax(pred, 1), tf.argMax(q.y, 1)), 'float32')), 100);
          });
          perStep[k]!.push(v.dataSync()[0]!);
          v.dispose();
        }
      } finally {
        tf.dispose([s.x, s.y, q.x, q.y]);
      }
      opts.onTask?.(ti + 1, opts.tasks.length);
    });
  } finally {
    tf.dispose(meta);
  }
  return { metric, stats: perStep.map((xs, step) => ({ step, ...meanSem(xs), perTask: xs })) };
}

/** Nearest-prototype accuracy (%) on the query set. */
function protoAccuracy(model: SupervisedModel, params: readonly tf.Tensor[], support: BatchTensors, query: BatchTensors): tf.Scalar {
  const es = model.embed!(params, support.x);
  const protos = tf.div(tf.matMul(support.y, es, true, false), tf.expandDims(tf.sum(support.y, 0), 1));
  const eq = model.embed!(params, query.x);
  const d2 = tf.sub(tf.expandDims(tf.sum(tf.square(protos), 1), 0), tf.mul(tf.matMul(eq, protos, false, true), 2));
  return tf.mul(tf.mean(tf.cast(tf.equal(tf.argMin(d2, 1), tf.argMax(query.y, 1)), 'float32')), 100) as tf.Scalar;
}

/**
 * A classifier for labelled support images and unlabelled query images, from a trained run:
 * nearest prototype for ProtoNets, else adapt `steps` inner steps on the support set and take the
 * arg-max of the adapted model's logits. The support set must have the run's number of classes
 * (except for ProtoNets, which handle any). Used for the official one-shot runs.
 */
export function fewShotClassifier(config: TrainConfig, env: SupervisedMetaEnv, params: ParamValues, steps: number) {
  const learner = new SupervisedMetaLearner({ ...config, adaptation: { ...config.adaptation, firstOrder: true } }, env, params);
  return (support: LabelledBatch, query: { x: Float32Array; n: number }): Int32Array => {
    const ways = Math.max(...Array.from(support.y as Int32Array)) + 1;
    if (config.algo !== 'protonet' && ways !== env.outputDim) {
      throw new RangeError(`the run classifies ${env.outputDim} ways, the support set has ${ways} classes; train on ${ways}-way tasks or use protonet`);
    }
    const s = batchTensors(support, env.inputShape, ways, 'cross-entropy');
    const qx = tf.tensor(query.x, [query.n, ...env.inputShape]);
    const meta = learner.toTensorsPublic(params);
    try {
      const pred = tf.tidy(() => {
        if (config.algo === 'protonet') {
          const es = learner.model.embed!(meta, s.x);
          const protos = tf.div(tf.matMul(s.y, es, true, false), tf.expandDims(tf.sum(s.y, 0), 1));
          const eq = learner.model.embed!(meta, qx);
          return tf.argMin(tf.sub(tf.expandDims(tf.sum(tf.square(protos), 1), 0), tf.mul(tf.matMul(eq, protos, false, true), 2)), 1);
        }
        const o = learner.objective(s, { x: qx, y: s.y });
        return tf.argMax(learner.model.forward(o.adapt(meta, steps, config.adaptation.fastLr), qx), 1);
      });
      const out = Int32Array.from(pred.dataSync());
      pred.dispose();
      return out;
    } finally {
      tf.dispose([s.x, s.y, qx, ...meta]);
    }
  };
}
