import type { Episodes, MetaEnv, Task } from './types.ts';
import type { GaussianMlpPolicy, ParamValues } from './policy.ts';
import type { Rng } from './rng.ts';
import { PolicyNotFiniteError, sampleEpisodes, sampleTimestepBudget, meanReturn } from './sampler.ts';
import { estimateAdvantages, type AdvantageConfig } from './advantages.ts';
import { ConfigError, checkIntOption, checkOptionKeys } from './config.ts';
import { StepDivergedError, adaptValues, pgData } from './maml.ts';
import { createRng, TEST_SEED } from './rng.ts';
import { drawTasks, isSupervised } from './env-contract.ts';

/**
 * The held-out tasks that `metarl evaluate` and `metarl compare` score on for `seed` (default the
 * test seed): `n` tasks drawn from the seed's evaluation stream (`createRng(seed).fork('evaluate')
 * .fork('tasks')`), from a supervised env's own test split when it has one (Omniglot).
 * @throws ConfigError naming `n` or `seed`; EnvContractError when the env draws something that is not n tasks.
 */
export function evaluationTasks(env: MetaEnv, n: number, seed: number = TEST_SEED): Task[] {
  checkIntOption('n', n, 1);
  checkIntOption('seed', seed, 0);
  return drawTasks(env, n, createRng(seed).fork('evaluate').fork('tasks'), isSupervised(env));
}

/** Mean ± standard error over tasks after `step` gradient steps. */
export interface StepStat {
  step: number;
  mean: number;
  sem: number;
  /** Mean return of each task's episodes at this step, in task order. */
  perTask: number[];
  /** With `batchTimesteps`: the mean number of episodes in a task's batch at this step. */
  episodes?: number;
  /**
   * With `batchTimesteps`: the same statistics over each slot's first episode only, i.e. what
   * fixed-count sampling of `episodes` episodes scores for the same (budget-adapted) policy, free of
   * the batch's lean towards short episodes.
   */
  firstEpisodes?: { mean: number; sem: number; perTask: number[] };
}

/** Every key of {@link EvaluationOptions}. */
const EVALUATION_OPTION_KEYS: Record<keyof EvaluationOptions, true> = { tasks: true, steps: true, episodes: true, batchTimesteps: true, fastLr: true, lrScale: true, advantages: true, rng: true, onTask: true };

/** Settings of {@link evaluateAdaptation}. */
export interface EvaluationOptions {
  tasks: Task[];
  /** Gradient steps after the unadapted policy (0…steps are reported). */
  steps: number;
  /** Episodes sampled per step and task (with `batchTimesteps`: env slots in lockstep). */
  episodes: number;
  /**
   * When set, each step's batch is measured in env steps as rllab's vectorized sampler measures it
   * (`sampleTimestepBudget`, with `episodes` slots; the original MAML code's point-env test used
   * 4000 steps over 40 slots) instead of a fixed `episodes` count; the step's return is the mean
   * over the batch's episodes, as rllab's `AverageReturn`.
   */
  batchTimesteps?: number;
  /** α: the first step's size; later steps use α/2 (Finn et al. 2017, Fig. 5 protocol). */
  fastLr: number;
  /**
   * Learned per-parameter multipliers of α (a run with `adaptation.learnedLr`; `splitMeta` in
   * src/maml.ts): each step is θ − α s ⊙ ∇L. Absent or null: plain steps.
   */
  lrScale?: ParamValues | null;
  advantages: AdvantageConfig;
  rng: Rng;
  /** Called after each task, for progress display. */
  onTask?: (done: number, total: number) => void;
}

/** Mean and standard error of the mean (n − 1 in the variance). */
export function meanSem(xs: readonly number[]): { mean: number; sem: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sem: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, sem: Math.sqrt(v / n) };
}

/**
 * The evaluation protocol of Finn et al. (2017, Fig. 5): on each held-out task, sample episodes
 * with the policy, take a vanilla policy-gradient step (α first, α/2 after) on them, and repeat;
 * report the mean return per step over tasks with its standard error.
 *
 * `makeEnv` must make the env as the run was trained on it: `envFactory(config)` (`metarl/agents`)
 * wraps it as the config says (`policy.normalizeActions`: actions in [−1, 1]; `algo: 'oracle'`:
 * the task in the observation), which a bare `make(id)` does not.
 * @throws ConfigError naming the option for no tasks, a bad count or step size, or parameters that
 *   do not fit the policy; an Error naming the task and step when the env fails (the env's error
 *   as its `cause`).
 */
export function evaluateAdaptation(
  policy: GaussianMlpPolicy,
  params: ParamValues,
  makeEnv: () => MetaEnv,
  opts: EvaluationOptions,
): StepStat[] {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ tasks, steps, episodes, fastLr, advantages, rng, … })');
  checkOptionKeys(opts, EVALUATION_OPTION_KEYS, 'evaluateAdaptation');
  checkIntOption('steps', opts.steps, 0);
  checkIntOption('episodes', opts.episodes, 1);
  checkIntOption('batchTimesteps', opts.batchTimesteps, 1, true);
  if (!Array.isArray(opts.tasks) || opts.tasks.length === 0) throw new ConfigError('tasks', opts.tasks, 'must hold at least one task');
  if (!(opts.fastLr > 0 && Number.isFinite(opts.fastLr))) throw new ConfigError('fastLr', opts.fastLr, 'must be > 0');
  // A run that learns its step sizes (adaptation.learnedLr) keeps them after θ in its checkpoint.
  if (Array.isArray(params) && params.length === 2 * policy.shapes.length) {
    throw new ConfigError('params', `${params.length} tensors`, `must hold the policy's ${policy.shapes.length} parameter tensors; twice as many are those of a run with learned step sizes (adaptation.learnedLr): pass its θ and its multipliers, const { theta, lrScale } = splitMeta(params, ${policy.shapes.length}, true), as params and lrScale`);
  }
  policy.checkParams(params);
  if (typeof makeEnv !== 'function') throw new ConfigError('makeEnv', typeof makeEnv === 'object' && makeEnv !== null ? 'an object' : makeEnv, 'must be a function that makes the env (envFactory(config))');
  const adv = opts.advantages as Partial<AdvantageConfig> | undefined;
  // regCoeff too (found by an API trial: left out, the baseline's ridge fell back on a default of its own).
  if (
    adv === null || typeof adv !== 'object' || typeof adv.gamma !== 'number' || typeof adv.gaeLambda !== 'number' || typeof adv.normalize !== 'boolean' || typeof adv.regCoeff !== 'number' ||
    (adv.bootstrapTruncated !== undefined && typeof adv.bootstrapTruncated !== 'boolean')
  ) {
    throw new ConfigError('advantages', adv, 'must be { gamma, gaeLambda, normalize, regCoeff }, and optionally bootstrapTruncated (training uses { ...config.advantages, regCoeff: config.baseline.regCoeff })');
  }
  checkOptionKeys(adv, { gamma: true, gaeLambda: true, normalize: true, bootstrapTruncated: true, regCoeff: true }, "evaluateAdaptation's advantages", 'advantages.');
  if (opts.rng === null || typeof opts.rng !== 'object' || typeof (opts.rng as { fork?: unknown }).fork !== 'function') throw new ConfigError('rng', opts.rng, 'must be an Rng (createRng(seed))');
  if (opts.lrScale) policy.checkParams(opts.lrScale, 'lrScale');
  const envs = Array.from({ length: opts.episodes }, makeEnv);
  const perStep: number[][] = Array.from({ length: opts.steps + 1 }, () => []);
  const firstPerStep: number[][] = Array.from({ length: opts.steps + 1 }, () => []);
  const counts: number[][] = Array.from({ length: opts.steps + 1 }, () => []);
  opts.tasks.forEach((task, ti) => {
    // Step k + 1's gradient step (counted from 1) diverged, on this task.
    const diverged = (k: number) => new ConfigError('fastLr', opts.fastLr, `made the policy diverge in step ${k + 1} on task ${ti + 1} (its parameters or actions are not finite): use a smaller step size`);
    let theta = params;
    for (let k = 0; k <= opts.steps; k++) {
      try {
        evaluateStep(k);
      } catch (e) {
        // The caller's input (a policy that does not fit the env): as it is, not as a task's failure.
        if (e instanceof ConfigError) throw e;
        // An env that throws (one's own, say): say which task and step, keeping the original as the cause.
        throw new Error(`evaluation: task ${ti + 1} of ${opts.tasks.length} ${JSON.stringify(task)} failed at step ${k}: ${(e as Error).message ?? String(e)}`, { cause: e });
      }
    }
    opts.onTask?.(ti + 1, opts.tasks.length);

    function evaluateStep(k: number): void {
      const rng = opts.rng.fork('episodes', ti, k);
      let ep: Episodes;
      try {
        if (opts.batchTimesteps === undefined) {
          ep = sampleEpisodes(envs, policy, { task, params: theta, numEpisodes: opts.episodes, rng });
        } else {
          const b = sampleTimestepBudget(envs, policy, { task, params: theta, slots: opts.episodes, minSteps: opts.batchTimesteps, rng });
          ep = b.episodes;
          firstPerStep[k]!.push(meanReturn(b.firstRound));
          counts[k]!.push(ep.B);
        }
      } catch (e) {
        // Finite parameters, but so large after the steps that the policy's output overflows.
        if (k > 0 && e instanceof PolicyNotFiniteError) throw diverged(k - 1);
        throw e;
      }
      perStep[k]!.push(meanReturn(ep));
      if (k < opts.steps) {
        const lr = k === 0 ? opts.fastLr : opts.fastLr / 2;
        try {
          theta = adaptValues(policy, theta, pgData(ep, estimateAdvantages(ep, opts.advantages)), lr, opts.lrScale ?? null);
        } catch (e) {
          if (e instanceof StepDivergedError) throw diverged(k);
          throw e;
        }
      }
    }
  });
  return perStep.map((xs, step) =>
    opts.batchTimesteps === undefined
      ? { step, ...meanSem(xs), perTask: xs }
      : {
          step,
          ...meanSem(xs),
          perTask: xs,
          episodes: meanSem(counts[step]!).mean,
          firstEpisodes: { ...meanSem(firstPerStep[step]!), perTask: firstPerStep[step]! },
        },
  );
}

/**
 * One table cell for `s`: `mean ± s.e.m.` with `fmt`; the mean alone, marked, when there is one task
 * (no s.e.m. to give); and for a step whose mean is not finite (an adaptation that diverged on some
 * task), how many tasks diverged instead of NaN.
 */
export function formatStepStat(s: StepStat, fmt: (v: number, like: number) => string): string {
  if (!Number.isFinite(s.mean)) return `diverged (${s.perTask.filter((v) => !Number.isFinite(v)).length} of ${s.perTask.length} tasks non-finite)`;
  if (s.perTask.length < 2) return `${fmt(s.mean, s.mean)} (1 task, no s.e.m.)`;
  return `${fmt(s.mean, s.mean)} ± ${fmt(s.sem, s.mean)}`;
}

/** A figure of an evaluation table: 3 decimals below 10 in magnitude, else 2 (`evaluate` and `compare` alike). */
export function formatFigure(v: number): string {
  return formatFigureLike(v, v);
}

/**
 * `v` with the decimals {@link formatFigure} gives `like`: an s.e.m. with its mean's, so that both
 * have as many ("17.80 ± 1.07", not "17.80 ± 1.074").
 */
export function formatFigureLike(v: number, like: number): string {
  return Math.abs(like) < 10 ? v.toFixed(3) : v.toFixed(2);
}

/** A markdown table of {@link StepStat}s. */
export function formatStepTable(title: string, stats: readonly StepStat[], rowLabel = 'return (mean ± s.e.m.)'): string {
  const head = `| ${title} | ${stats.map((s) => `step ${s.step}`).join(' | ')} |`;
  const sep = `|---|${stats.map(() => '---').join('|')}|`;
  const row = `| ${rowLabel} | ${stats.map((s) => formatStepStat(s, formatFigureLike)).join(' | ')} |`;
  return [head, sep, row].join('\n');
}
