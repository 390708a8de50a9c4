import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../src/config.ts';
import type { LabelledBatch, SupervisedMetaEnv, Task } from '../src/types.ts';
import { meanSem, type StepStat } from '../src/evaluation.ts';
import type { Rng } from '../src/rng.ts';
import type { ParamValues } from '../src/policy.ts';
import { MlpRegressor, SupervisedObjective, batchTensors, protoLoss, type BatchTensors, type SupervisedModel } from '../src/supervised.ts';
import { flattenValues, readFlat, unflattenValues } from '../src/params.ts';
import { ConvNet } from '../src/conv-net.ts';
import { adamInit, adamStep, type AdamState } from '../src/adam.ts';
import { secondOrderFixInstalled } from '../src/backend.ts';

/** The model a supervised config trains: the MLP regressor for MSE tasks. */
export function supervisedModel(config: TrainConfig, env: SupervisedMetaEnv): SupervisedModel {
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
  gradNorm: number;
  /** Whether the Adam step was taken (false only for a non-finite gradient); named as in MAML-TRPO's logs. */
  lineSearchAccepted: boolean;
  stepOutcome: 'accepted' | 'non-finite-gradient';
  kl: number;
  tasks: Task[];
  time: { sampling: number; metaGradient: number; total: number };
}

const now = () => performance.now() / 1000;

/**
 * Meta-learning on horizon-1 tasks with a differentiable loss: each iteration samples tasks,
 * draws K support and query examples per task, adapts on the support set and takes an Adam step
 * on the mean query loss (MAML, FOMAML, Meta-SGD, ANIL), on θ − θ′ (Reptile), on the
 * prototypical loss (ProtoNets) or on the plain loss without adaptation (pretrained).
 */
export class SupervisedMetaLearner {
  readonly model: SupervisedModel;
  rootRng!: Rng;
  readonly adam: AdamState;

  constructor(
    readonly config: TrainConfig,
    readonly env: SupervisedMetaEnv,
    /** Meta-parameters: θ, or [θ, α] for Meta-SGD. */
    public params: ParamValues,
    adam?: AdamState,
  ) {
    this.model = supervisedModel(config, env);
    const n = params.reduce((s, p) => s + p.length, 0);
    const expected = this.model.numParams * (config.algo === 'meta-sgd' ? 2 : 1);
    if (n !== expected) throw new RangeError(`SupervisedMetaLearner: ${n} parameters, expected ${expected}`);
    if ((config.algo === 'maml' || config.algo === 'meta-sgd') && !secondOrderFixInstalled()) {
      throw new Error(`${config.algo} needs the tfjs second-order gradient fix; call initBackend() first`);
    }
    this.adam = adam ?? adamInit(n);
  }

  /** Live tfjs tensors (all in this thread). */
  liveTensors(): number {
    return tf.memory().numTensors;
  }

  /** Nothing to release (no worker threads); for the trainer's common interface. */
  async close(): Promise<void> {}

  /** Parameter shapes in checkpoint order (θ, then α for Meta-SGD). */
  get paramShapes(): number[][] {
    return this.shapes();
  }

  /** Initial meta-parameters; Meta-SGD's learning rates start at `fastLr`. */
  static initParams(config: TrainConfig, env: SupervisedMetaEnv, root: Rng): ParamValues {
    const model = supervisedModel(config, env);
    const theta = model.init(root.fork('init'));
    if (config.algo !== 'meta-sgd') return theta;
    return [...theta, ...theta.map((p) => new Float32Array(p.length).fill(config.adaptation.fastLr))];
  }

  private shapes(): number[][] {
    return this.config.algo === 'meta-sgd' ? [...this.model.shapes, ...this.model.shapes] : this.model.shapes;
  }

  private toTensors(values: ParamValues): tf.Tensor[] {
    const shapes = this.shapes();
    return values.map((v, i) => tf.tensor(v, shapes[i]));
  }

  /** The objective of one task for this config's algorithm. */
  objective(support: BatchTensors, query: BatchTensors): SupervisedObjective {
    const c = this.config;
    return new SupervisedObjective(this.model, this.env.loss, support, query, {
      fastLr: c.adaptation.fastLr,
      numInnerSteps: c.algo === 'pretrained' || c.algo === 'protonet' ? 0 : c.adaptation.numInnerSteps,
      firstOrder: c.algo === 'fomaml' || c.adaptation.firstOrder,
      adaptIndices: c.algo === 'anil' ? this.model.headIndices : undefined,
      learnedLr: c.algo === 'meta-sgd',
    });
  }

  /** Tensors of meta-parameter values (caller disposes). */
  toTensorsPublic(values: ParamValues): tf.Tensor[] {
    return this.toTensors(values);
  }

  /**
   * Support and query tensors of a task: the env's own disjoint split when it defines one
   * (Omniglot's tasks name their images), else two independent draws of K and Q examples.
   */
  batches(task: Task, rng: Rng): [BatchTensors, BatchTensors] {
    const c = this.config;
    const e = this.env as SupervisedMetaEnv & { supportBatch?: (t: Task) => LabelledBatch; queryBatch?: (t: Task) => LabelledBatch };
    const s = e.supportBatch ? e.supportBatch(task) : e.sampleBatch(task, c.supervised.shots, rng.fork('support'));
    const q = e.queryBatch ? e.queryBatch(task) : e.sampleBatch(task, c.supervised.queries, rng.fork('query'));
    return [batchTensors(s, e.inputShape, e.outputDim, e.loss), batchTensors(q, e.inputShape, e.outputDim, e.loss)];
  }

  /** Runs meta-iteration `it`. */
  async step(_env: unknown, it: number): Promise<SupervisedStepLogs> {
    const c = this.config;
    const start = now();
    const tasks = this.env.sampleTasks(c.sampling.metaBatchSize, this.rootRng.fork('tasks', it));
    const batches = tasks.map((task, i) => this.batches(task, this.rootRng.fork('sample', it, i)));
    const tSample = now() - start;
    const x = flattenValues(this.params);
    const grad = new Float64Array(x.length);
    let lossBefore = 0;
    let lossAfter = 0;
    const n = tasks.length;
    const meta = this.toTensors(this.params);
    try {
      for (const [support, query] of batches) {
        const o = this.objective(support, query);
        lossBefore += o.queryLoss(meta, 0, 0) / n;
        let g: Float64Array;
        if (c.algo === 'reptile') {
          // Reptile's outer "gradient" θ − θ′ (Nichol et al. 2018), fed to Adam.
          const d = o.reptileDelta(meta);
          g = d.map((v) => -v);
          lossAfter += o.queryLoss(meta, c.adaptation.numInnerSteps, c.adaptation.fastLr) / n;
        } else if (c.algo === 'protonet') {
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
          g = readFlat(full);
          lossAfter += value.dataSync()[0]! / n;
          tf.dispose([value, ...full]);
        } else if (c.algo === 'pretrained') {
          // One model for all tasks: its loss on every labelled example, no adaptation.
          const all = [support, query];
          g = new Float64Array(x.length);
          for (const b of all) {
            const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => o.loss(p, b))(meta);
            const gb = readFlat(grads);
            for (let i = 0; i < g.length; i++) g[i] += gb[i]! / all.length;
            if (b === query) lossAfter += value.dataSync()[0]! / n;
            tf.dispose([value, ...grads]);
          }
        } else {
          const r = o.metaGradient(meta);
          g = r.grad;
          lossAfter += r.loss / n;
        }
        for (let i = 0; i < g.length; i++) grad[i] += g[i]! / n;
      }
    } finally {
      tf.dispose(meta);
      for (const [s, q] of batches) tf.dispose([s.x, s.y, q.x, q.y]);
    }
    const gradNorm = Math.sqrt(grad.reduce((a, v) => a + v * v, 0));
    // A non-finite gradient never reaches the parameters: the step is skipped and logged.
    const finite = grad.every((v) => Number.isFinite(v)) && Number.isFinite(lossAfter);
    if (finite) {
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
  const e = env as SupervisedMetaEnv & { heldOutTasks?: (n: number, rng: Rng) => Task[] };
  return e.heldOutTasks ? e.heldOutTasks(n, rng) : env.sampleTasks(n, rng);
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
