/**
 * The inner loop as the page runs it, free of the DOM (so it also runs under Node in tests):
 * sample episodes on one task, take a vanilla policy-gradient step, sample again — the protocol of
 * src/evaluation.ts (Finn et al. 2017, Fig. 5): α for the first step, α/2 for later ones.
 *
 * Everything here is the library's own code: sampleEpisodes, estimateAdvantages, pgData, adaptValues.
 */
import type { Episodes, MetaEnv, Task } from '../src/types.ts';
import type { GaussianMlpPolicy, ParamValues } from '../src/policy.ts';
import type { Rng } from '../src/rng.ts';
import type { AdvantageConfig } from '../src/advantages.ts';
import { sampleEpisodes, episodeReturns } from '../src/sampler.ts';
import { estimateAdvantages } from '../src/advantages.ts';
import { adaptValues, pgData } from '../src/maml.ts';

/** The policy after `step` gradient steps on the task and the episodes it collected. */
export interface AdaptationStep {
  /** 0 = the meta-trained policy, before adaptation. */
  step: number;
  /** Step size of the gradient step that produced these parameters (0 for step 0). */
  lr: number;
  params: ParamValues;
  episodes: Episodes;
  /** Undiscounted return of each episode. */
  returns: number[];
  meanReturn: number;
  /** Observations of one episode with the mean action μ_θ(s) (no exploration noise). */
  meanPath: Float32Array[];
}

/** Settings of an {@link AdaptationSession}. */
export interface AdaptationOptions {
  task: Task;
  /** Episodes sampled per step (the inner-loop batch). */
  episodes: number;
  /** α; steps after the first use α/2. */
  fastLr: number;
  advantages: AdvantageConfig;
  /** A run with learned step sizes: their multipliers s (or rates), the second half of its `[θ, s]` ({@link splitMeta}). */
  lrScale?: ParamValues | null;
  /**
   * Stream of this session; step k samples with `rng.fork(k)`, so with `rng.fork('episodes', i)`
   * the episodes are those evaluateAdaptation samples for its task i.
   */
  rng: Rng;
}

/** One task's adaptation, one gradient step at a time. */
export class AdaptationSession {
  readonly steps: AdaptationStep[] = [];
  private readonly envs: MetaEnv[];

  constructor(
    readonly policy: GaussianMlpPolicy,
    readonly initialParams: ParamValues,
    makeEnv: () => MetaEnv,
    readonly opts: AdaptationOptions,
  ) {
    this.envs = Array.from({ length: opts.episodes }, makeEnv);
  }

  /** The step size of gradient step `k` (1-based): α, then α/2. */
  lrOf(k: number): number {
    return k === 1 ? this.opts.fastLr : this.opts.fastLr / 2;
  }

  /**
   * Step 0 samples with the meta-trained parameters; every later call adapts on the previous
   * step's episodes and samples with the adapted parameters.
   */
  next(): AdaptationStep {
    const k = this.steps.length;
    let params = this.initialParams;
    let lr = 0;
    if (k > 0) {
      const prev = this.steps[k - 1]!;
      lr = this.lrOf(k);
      params = adaptValues(this.policy, prev.params, pgData(prev.episodes, estimateAdvantages(prev.episodes, this.opts.advantages)), lr, this.opts.lrScale ?? null);
    }
    const episodes = sampleEpisodes(this.envs, this.policy, { task: this.opts.task, params, numEpisodes: this.opts.episodes, rng: this.opts.rng.fork(k) });
    const returns = Array.from(episodeReturns(episodes));
    const meanPath = meanActionPath(this.policy, params, this.envs[0]!, this.opts.task);
    const s: AdaptationStep = { step: k, lr, params, episodes, returns, meanReturn: returns.reduce((a, b) => a + b, 0) / returns.length, meanPath };
    this.steps.push(s);
    return s;
  }
}

/** Observations of one episode on `task` acting with the mean action μ_θ(s), from reset to the end. */
export function meanActionPath(policy: GaussianMlpPolicy, params: ParamValues, env: MetaEnv, task: Task): Float32Array[] {
  env.setTask(task);
  let obs = env.reset({ seed: 0 }).obs;
  const out = [obs];
  for (let t = 0; t < env.maxEpisodeSteps; t++) {
    const r = env.step(policy.meanJs(params, obs, 1));
    obs = r.obs;
    out.push(obs);
    if (r.terminated || r.truncated) break;
  }
  return out;
}

/**
 * The path of episode `b` as observations: the one before each step and the one after the last
 * (`[len + 1][obsDim]`).
 */
export function trajectory(ep: Episodes, b: number): Float32Array[] {
  const out: Float32Array[] = [];
  const len = ep.lengths[b]!;
  for (let t = 0; t < len; t++) {
    const k = t * ep.B + b;
    out.push(ep.obs.slice(k * ep.obsDim, (k + 1) * ep.obsDim));
  }
  out.push(ep.finalObs.slice(b * ep.obsDim, (b + 1) * ep.obsDim));
  return out;
}
