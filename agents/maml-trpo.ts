import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../src/config.ts';
import type { Episodes, MetaEnv, Task } from '../src/types.ts';
import type { Rng } from '../src/rng.ts';
import { GaussianMlpPolicy, type ParamValues } from '../src/policy.ts';
import { sampleEpisodes, meanReturn } from '../src/sampler.ts';
import { estimateAdvantages } from '../src/advantages.ts';
import {
  TaskObjective,
  adaptValues,
  disposeBatch,
  pgData,
  toTensors,
  validTensors,
  type PgData,
} from '../src/maml.ts';
import { flattenValues, unflattenValues } from '../src/params.ts';
import { trpoStep, type TrpoResult } from '../src/trpo.ts';
import { conjugateGradientAsync } from '../src/conjugate-gradient.ts';
import { secondOrderFixInstalled } from '../src/backend.ts';

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
  gradNorm: number;
  tasks: Task[];
  time: PhaseTimes;
}

/** One task's data after sampling: the inner-loop batches, the validation batch, θ′_old. */
interface TaskSamples {
  trains: PgData[];
  valid: PgData;
  adaptedOld: ParamValues;
  returnBefore: number;
  returnAfter: number;
}

const now = () => performance.now() / 1000;

/**
 * MAML with a TRPO outer step (Finn, Abbeel, Levine 2017, §5.3): per task, adapt θ by
 * `numInnerSteps` REINFORCE steps on freshly sampled episodes, sample validation episodes with θ′,
 * then take one trust-region step on the mean validation surrogate, differentiating through the
 * adaptation (second order unless `adaptation.firstOrder`).
 */
export class MamlTrpo {
  readonly policy: GaussianMlpPolicy;
  private envs: MetaEnv[] = [];

  constructor(
    readonly config: TrainConfig,
    private readonly makeEnv: () => MetaEnv,
    /** Current meta-parameters θ. */
    public params: ParamValues,
  ) {
    if (config.algo === 'maml-trpo' && !config.adaptation.firstOrder && !secondOrderFixInstalled()) {
      // tfjs 4.22 computes second-order gradients silently wrong without it (pitfalls §tfjs 2).
      throw new Error('MamlTrpo: second-order MAML needs the tfjs gradient fix; call initBackend() first');
    }
    const env = makeEnv();
    this.policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
    const expected = this.policy.numParams;
    const got = params.reduce((s, p) => s + p.length, 0);
    if (got !== expected) throw new RangeError(`MamlTrpo: parameters have ${got} entries, the policy needs ${expected}`);
  }

  /** Initial parameters for `config` from the run's root stream. */
  static initParams(config: TrainConfig, makeEnv: () => MetaEnv, root: Rng): ParamValues {
    const env = makeEnv();
    const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
    return policy.init(root.fork('init'));
  }

  private envPool(n: number): MetaEnv[] {
    while (this.envs.length < n) this.envs.push(this.makeEnv());
    return this.envs;
  }

  private sample(task: Task, params: ParamValues, rng: Rng): Episodes {
    return sampleEpisodes(this.envPool(this.config.sampling.fastBatchSize), this.policy, {
      task,
      params,
      numEpisodes: this.config.sampling.fastBatchSize,
      rng,
    });
  }

  private advantages(ep: Episodes): Float32Array {
    const c = this.config;
    return estimateAdvantages(ep, { ...c.advantages, regCoeff: c.baseline.regCoeff });
  }

  /** Samples, adapts and samples again for one task (the data of the outer step). */
  private collect(task: Task, it: number, taskIndex: number, t: PhaseTimes): TaskSamples {
    const c = this.config;
    let params = this.params;
    const trains: PgData[] = [];
    let returnBefore = Number.NaN;
    // The baselines (pretrained, oracle) share this loop with no inner step: plain multi-task TRPO.
    const innerSteps = c.algo === 'maml-trpo' ? c.adaptation.numInnerSteps : 0;
    for (let k = 0; k < innerSteps; k++) {
      let t0 = now();
      const ep = this.sample(task, params, this.rootRng.fork('sample', it, taskIndex, 'train', k));
      if (k === 0) returnBefore = meanReturn(ep);
      t.sampling += now() - t0;
      t0 = now();
      const d = pgData(ep, this.advantages(ep));
      t.baseline += now() - t0;
      t0 = now();
      params = adaptValues(this.policy, params, d, c.adaptation.fastLr);
      t.adaptation += now() - t0;
      trains.push(d);
    }
    let t0 = now();
    const ep = this.sample(task, params, this.rootRng.fork('sample', it, taskIndex, 'valid'));
    t.sampling += now() - t0;
    t0 = now();
    const valid = pgData(ep, this.advantages(ep));
    t.baseline += now() - t0;
    const returnAfter = meanReturn(ep);
    return { trains, valid, adaptedOld: params, returnBefore: innerSteps === 0 ? returnAfter : returnBefore, returnAfter };
  }

  /** The run's root stream; set by the trainer before {@link step}. */
  rootRng!: Rng;

  /** Runs meta-iteration `it` (tasks and samples are drawn from streams keyed by `it`). */
  async step(env: MetaEnv, it: number): Promise<StepLogs> {
    const c = this.config;
    const t: PhaseTimes = { sampling: 0, baseline: 0, adaptation: 0, metaGradient: 0, cg: 0, lineSearch: 0, total: 0 };
    const start = now();
    const tasks = env.sampleTasks(c.sampling.metaBatchSize, this.rootRng.fork('tasks', it));
    const samples = tasks.map((task, i) => this.collect(task, it, i, t));

    const { policy } = this;
    const objectives = samples.map(
      (s) =>
        new TaskObjective(
          policy,
          s.trains.map((d) => toTensors(d, policy.obsDim, policy.actDim)),
          validTensors(policy, s.valid, s.adaptedOld),
          { fastLr: c.adaptation.fastLr, firstOrder: c.adaptation.firstOrder },
        ),
    );
    const x0 = flattenValues(this.params);
    const n = objectives.length;
    const withTheta = <R>(x: Float64Array, f: (theta: tf.Tensor[]) => R): R => {
      const theta = policy.toTensors(unflattenValues(x, this.params));
      try {
        return f(theta);
      } finally {
        tf.dispose(theta);
      }
    };
    let result: TrpoResult;
    let loss0 = 0;
    let gradNorm = 0;
    try {
      let t0 = now();
      const grad = new Float64Array(x0.length);
      withTheta(x0, (theta) => {
        for (const o of objectives) {
          const { loss, grad: g } = o.metaGradient(theta);
          loss0 += loss / n;
          for (let i = 0; i < g.length; i++) grad[i] += g[i]! / n;
        }
      });
      gradNorm = Math.sqrt(grad.reduce((s, v) => s + v * v, 0));
      t.metaGradient += now() - t0;

      const fvp = async (v: Float64Array): Promise<Float64Array> => {
        const t1 = now();
        const out = new Float64Array(v.length);
        if (c.trpo.fvp === 'exact') {
          withTheta(x0, (theta) => {
            const vT = policy.toTensors(unflattenValues(v, this.params));
            for (const o of objectives) {
              const h = o.fvpExact(theta, vT);
              for (let i = 0; i < h.length; i++) out[i] += h[i]! / n;
            }
            tf.dispose(vT);
          });
        } else {
          const norm = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
          if (norm === 0) return out;
          const eps = c.trpo.fdShift / norm;
          const shifted = x0.map((a, i) => a + eps * v[i]!);
          withTheta(shifted, (theta) => {
            for (const o of objectives) {
              const h = o.fvpFiniteDifference(theta, eps);
              for (let i = 0; i < h.length; i++) out[i] += h[i]! / n;
            }
          });
        }
        for (let i = 0; i < out.length; i++) out[i] += c.trpo.cgDamping * v[i]!;
        t.cg += now() - t1;
        return out;
      };
      const evaluate = async (x: Float64Array) => {
        const t1 = now();
        let loss = 0;
        let kl = 0;
        withTheta(x, (theta) => {
          for (const o of objectives) {
            const r = o.evaluate(theta);
            loss += r.loss / n;
            kl += r.kl / n;
          }
        });
        t.lineSearch += now() - t1;
        return { loss, kl };
      };
      result = await trpoStep(
        { x0, loss0, grad, fvp, evaluate, solve: (f, b, iters) => conjugateGradientAsync(f, b, { iters }) },
        c.trpo,
      );
    } finally {
      for (const o of objectives) {
        for (const b of o.trains) disposeBatch(b);
        disposeBatch(o.valid);
      }
    }
    if (result.accepted) this.params = unflattenValues(result.x, this.params);
    t.total = now() - start;
    const mean = (f: (s: TaskSamples) => number) => samples.reduce((a, s) => a + f(s), 0) / samples.length;
    return {
      iteration: it,
      returnsBefore: mean((s) => s.returnBefore),
      returnsAfter: mean((s) => s.returnAfter),
      lossBefore: loss0,
      lossAfter: result.loss,
      kl: result.kl,
      lineSearchAccepted: result.accepted,
      lineSearchSteps: result.lineSearchSteps,
      stepOutcome: result.outcome,
      stepFraction: result.stepFraction,
      gradNorm,
      tasks,
      time: t,
    };
  }
}
