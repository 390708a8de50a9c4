import type { TrainConfig } from '../src/config.ts';
import { checkIntOption, checkOptionKeys, opt, validateConfig, resolveConfig } from '../src/config.ts';
import { UnknownEnvError, listEnvs, make } from '../envs/index.ts';
import { spacesMismatch } from '../envs/factory.ts';
import { loadCheckpoint, runDirProblem } from '../src/checkpoint.ts';
import { splitMeta } from '../src/maml.ts';
import { GaussianMlpPolicy, type ParamValues } from '../src/policy.ts';
import { createRng } from '../src/rng.ts';
import { evaluateAdaptation, evaluationTasks, formatFigureLike, formatStepStat, meanSem, type StepStat } from '../src/evaluation.ts';
import { TEST_SEED } from '../src/rng.ts';
import { ConfigError } from '../src/config.ts';
import { versions } from '../src/versions.ts';
import { envFactory, isSupervised } from './trainer.ts';
import { SupervisedMetaLearner, evaluateSupervised, ownSupportSet, refuseShots } from './supervised-meta.ts';
import type { SupervisedMetaEnv } from '../src/types.ts';
import type { Task } from '../src/types.ts';
import { existsSync, readFileSync } from 'node:fs';
import { makeDir, writeFileWhole } from '../src/out-paths.ts';
import { join } from 'node:path';

/** One method to compare: a trained run, or a fresh random initialisation. */
export interface MethodSpec {
  /**
   * The method's name in the results (table row, figure line). Three names carry meaning:
   * `maml` and `pretrained` give the paired difference and, with `oracle`, the gap closed after one
   * step; `oracle` must be (and only it may be) a run trained with algo `oracle`, evaluated without
   * adaptation; `pretrained` must be a run trained with algo `pretrained`, and `maml` may not be one.
   * Names are unique within a comparison.
   */
  name: string;
  /** Run directory with a checkpoint; absent for random init. */
  run?: string;
  /** Fine-tuning step size α (α/2 after the first step). Default: the run's `adaptation.fastLr`. */
  lr?: number;
}

/** Per-method result of {@link compareMethods}. */
export interface MethodResult {
  name: string;
  run: string | null;
  algo: string;
  lr: number;
  /** Iterations the run was trained for (0 for random init). */
  iteration: number;
  steps: StepStat[];
}

/** Everything `metarl compare` writes to results.json. */
export interface Comparison {
  env: string;
  tasks: number;
  /** The file the held-out tasks came from, when they were not drawn from `seed`. */
  taskFile?: string;
  episodes: number;
  /** Env steps per batch when batches were measured in steps (`--batch-timesteps`). */
  batchTimesteps?: number;
  seed: number;
  methods: MethodResult[];
  /**
   * (MAML₁ − pretrained₁) / (oracle − pretrained₁), when all three are present and oracle ≠
   * pretrained₁ (else null). An oracle below pretrained₁ leaves no gap to close: the ratio is still
   * given, and {@link comparisonMarkdown} says so beside it.
   */
  gapClosedAfterOneStep: number | null;
  /** MAML − pretrained per step, paired over the tasks, when both are present. */
  mamlMinusPretrained: PairedStep[] | null;
  /** The held-out tasks, in the order of every `perTask` array. */
  taskList: Task[];
  /**
   * The gap closed after one step within each distinct task, when the tasks take at most
   * {@link MAX_TASK_GROUPS} distinct values and some repeat (e.g. the direction ±1 of HalfCheetahDir) and MAML,
   * pretrained and oracle are all present; null otherwise.
   */
  gapByTask: GroupGap[] | null;
  /**
   * What each step's figure is: the average return (RL envs; also when absent, in results written
   * before supervised comparisons existed), or the query MSE or accuracy (%) of a supervised env,
   * where `episodes` is the number of labelled support examples per task (one per episode at H = 1).
   */
  metric?: 'return' | 'mse' | 'accuracy';
}

/** The gap closed after one step over the held-out tasks equal to `task`. */
export interface GroupGap {
  task: Task;
  /** How many of the held-out tasks are equal to `task`. */
  tasks: number;
  maml1: number;
  pretrained1: number;
  oracle: number;
  /** (maml1 − pretrained1) / (oracle − pretrained1), null when oracle = pretrained1. */
  gap: number | null;
}

/** Task spaces with at most this many distinct tasks among the held-out ones get {@link Comparison.gapByTask}. */
export const MAX_TASK_GROUPS = 4;

/**
 * Groups the held-out tasks by value (compared as JSON, in order of first appearance) and computes
 * the gap closed after one step within each group from the per-task returns. Null when there are
 * more than {@link MAX_TASK_GROUPS} distinct tasks, fewer than two, or no task repeats (a continuous
 * task space).
 */
export function gapByTaskGroup(tasks: readonly Task[], maml1: readonly number[], pretrained1: readonly number[], oracle: readonly number[]): GroupGap[] | null {
  if ([maml1, pretrained1, oracle].some((a) => a.length !== tasks.length)) {
    throw new Error(`gapByTaskGroup: ${tasks.length} tasks but ${maml1.length}, ${pretrained1.length} and ${oracle.length} returns`);
  }
  const groups = new Map<string, number[]>();
  tasks.forEach((t, i) => {
    const key = JSON.stringify(t);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  // Every task distinct: a continuous task space (or too few tasks to tell), nothing to group.
  if (groups.size < 2 || groups.size > MAX_TASK_GROUPS || groups.size === tasks.length) return null;
  const mean = (a: readonly number[], ix: number[]) => ix.reduce((s, i) => s + a[i]!, 0) / ix.length;
  return [...groups.values()].map((ix) => {
    const [m, p, o] = [mean(maml1, ix), mean(pretrained1, ix), mean(oracle, ix)];
    return { task: tasks[ix[0]!]!, tasks: ix.length, maml1: m, pretrained1: p, oracle: o, gap: o !== p ? (m - p) / (o - p) : null };
  });
}

/** A paired difference of two methods at one step: mean ± s.e.m. over tasks of (a − b). */
export interface PairedStep {
  step: number;
  mean: number;
  sem: number;
  /** Tasks on which a does better than b (a higher return or accuracy, a lower MSE). */
  better: number;
  tasks: number;
}

/**
 * Per-step paired differences a − b over the same tasks (the methods see the same tasks and
 * episode streams, so pairing removes the task-to-task spread from the standard error).
 * `lowerIsBetter` (an MSE): `better` counts the tasks where a's figure is the lower.
 */
export function pairedDifference(a: readonly StepStat[], b: readonly StepStat[], lowerIsBetter = false): PairedStep[] {
  const out: PairedStep[] = [];
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    const pa = a[k]!.perTask;
    const pb = b[k]!.perTask;
    if (pa.length !== pb.length) throw new Error(`pairedDifference: step ${k} has ${pa.length} and ${pb.length} tasks`);
    const d = pa.map((v, i) => v - pb[i]!);
    out.push({ step: k, ...meanSem(d), better: d.filter((x) => (lowerIsBetter ? x < 0 : x > 0)).length, tasks: d.length });
  }
  return out;
}

/** The file of method `name`'s result in {@link CompareOptions.partialDir}. */
function partialFile(dir: string, name: string): string {
  return join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/** Method `name`'s result from `opts.partialDir` if it was computed with exactly `key`, else null. */
function readPartial(opts: CompareOptions, name: string, key: unknown): MethodResult | null {
  if (!opts.partialDir) return null;
  const file = partialFile(opts.partialDir, name);
  if (!existsSync(file)) return null;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { key: unknown; result: MethodResult };
    if (JSON.stringify(doc.key) !== JSON.stringify(key)) return null;
    // Non-finite returns are written as null by JSON: read them back as NaN.
    const result = { ...doc.result, steps: doc.result.steps.map((s) => ({ ...s, mean: s.mean ?? Number.NaN, sem: s.sem ?? Number.NaN, perTask: s.perTask.map((v) => v ?? Number.NaN) })) };
    opts.onReuse?.(name, file);
    return result;
  } catch {
    return null; // unreadable (cut off by a crash): evaluate again
  }
}

/** Writes method `name`'s result with its `key` to `opts.partialDir` (a temporary name, then renamed). */
function writePartial(opts: CompareOptions, name: string, key: unknown, result: MethodResult): void {
  if (!opts.partialDir) return;
  makeDir(opts.partialDir);
  const file = partialFile(opts.partialDir, name);
  writeFileWhole(file, JSON.stringify({ key, result }));
}

/** Options of {@link compareMethods}. */
export interface CompareOptions {
  /** Registered env id; every run must have been trained on it. */
  env: string;
  /** The methods, in the order of the results (at least one). */
  methods: MethodSpec[];
  /** How many held-out tasks to draw from `seed`: required unless `taskList` gives the tasks (then, if given, its length). */
  tasks?: number;
  /** A fixed list of held-out tasks (e.g. from `readTaskFile`), used instead of drawing `tasks`. */
  taskList?: Task[];
  /** Where `taskList` came from, recorded in the results. */
  taskFile?: string;
  /** Gradient steps of fine-tuning after step 0 (the paper's figure: 3); 0 = no adaptation. */
  steps: number;
  /**
   * Episodes per task and step (the paper: 40): required on RL envs, and refused (a
   * {@link ConfigError}) on supervised envs, which adapt on the runs' K support examples (or `shots`).
   */
  episodes?: number;
  /** When set, every batch is measured in env steps (`evaluateAdaptation`'s `batchTimesteps`), from `episodes` env slots. */
  batchTimesteps?: number;
  /** Seed of the held-out tasks and episode streams ({@link TEST_SEED} for the test tasks). */
  seed: number;
  /** Supervised envs: adapt on this many support examples per task (and score as many queries), as `evaluate --shots`. */
  shots?: number;
  /** Called after each task of each method (for a progress line). */
  onProgress?: ((method: string, done: number, total: number) => void) | undefined;
  /**
   * A folder for each method's result as soon as it is done (`<name>.json`, with what it depends
   * on: the checkpoint's weights, α, the tasks, the protocol, and the versions of metarl, tfjs,
   * the backend and Node). A method whose file matches is
   * read back instead of evaluated again, so a comparison stopped part-way loses only the method it
   * was on. RL envs (a supervised comparison takes minutes); Node only.
   */
  partialDir?: string;
  /** Called when a method's result is read back from `partialDir`. */
  onReuse?: (method: string, file: string) => void;
}

/** Every key of {@link MethodSpec}. */
const METHOD_SPEC_KEYS: Record<keyof MethodSpec, true> = { name: true, run: true, lr: true };

/** Every key of {@link CompareOptions}. */
const COMPARE_OPTION_KEYS: Record<keyof CompareOptions, true> = {
  env: true, methods: true, tasks: true, taskList: true, taskFile: true, steps: true, episodes: true, batchTimesteps: true, seed: true, shots: true, onProgress: true, partialDir: true, onReuse: true,
};

/**
 * Checks {@link CompareOptions} before any evaluation: an object of known options, a known env, at
 * least one method, names given once, and counts and step sizes in range (a ConfigError naming the
 * option and its value).
 */

function checkCompareOptions(opts: CompareOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ env, methods, steps, seed, … })');
  checkOptionKeys(opts, COMPARE_OPTION_KEYS, 'compareMethods');
  if (!listEnvs().includes(opts.env)) throw new UnknownEnvError(opts.env, listEnvs());
  if (!Array.isArray(opts.methods) || opts.methods.length === 0) throw new ConfigError(opt('methods', undefined, '--runs'), opts.methods, 'name at least one method to compare');
  opts.methods.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ConfigError(opt(`methods[${i}]`, undefined, '--runs'), m, 'must be an object ({ name, run?, lr? })');
    // A misspelt key (path for run) would turn a trained run into random init under its name (found by a library trial).
    checkOptionKeys(m, METHOD_SPEC_KEYS, 'a compareMethods method', `methods[${i}].`);
    if (typeof m.name !== 'string' || m.name === '') throw new ConfigError(opt(`methods[${i}].name`, undefined, '--runs'), m?.name, 'must be a non-empty string');
    if (opts.methods.findIndex((x) => x.name === m.name) !== i) throw new ConfigError(opt(`methods[${i}].name`, undefined, '--runs'), m.name, 'is given twice');
    if (m.name === 'oracle' && !m.run) throw new ConfigError(opt(`methods[${i}].run`, undefined, '--runs oracle'), m.run, 'is needed for oracle: the run of a policy trained with the task in its observation (algo oracle)');
    // maml and pretrained give the paired difference and the gap: random init under one of these names would stand in for it.
    if ((m.name === 'maml' || m.name === 'pretrained') && !m.run) throw new ConfigError(opt(`methods[${i}].run`, undefined, `--runs ${m.name}`), m.run, `is needed for ${m.name}: the name stands for a trained run (random init is { name: 'random' })`);
    if (m.lr !== undefined && !(typeof m.lr === 'number' && m.lr > 0 && Number.isFinite(m.lr))) throw new ConfigError(opt(`methods[${i}].lr`, undefined, `--lr ${m.name}`), m.lr, typeof m.lr === 'number' ? 'must be > 0' : 'must be a number > 0');
  });
  if (opts.taskList !== undefined) {
    if (!Array.isArray(opts.taskList) || opts.taskList.length === 0) throw new ConfigError(opt('taskList', undefined, '--task-file'), opts.taskFile ?? opts.taskList, 'must hold at least one task');
    if (opts.tasks !== undefined && opts.tasks !== opts.taskList.length) throw new ConfigError(opt('tasks'), opts.tasks, `differs from the ${opts.taskList.length} task${opts.taskList.length === 1 ? '' : 's'} of ${opt('taskList', undefined, '--task-file')}, which gives the tasks: leave ${opt('tasks')} out`);
  } else {
    checkIntOption('tasks', opts.tasks, 1);
  }
  checkIntOption('steps', opts.steps, 0);
  checkIntOption('episodes', opts.episodes, 1, true);
  checkIntOption('batchTimesteps', opts.batchTimesteps, 1, true);
  checkIntOption('seed', opts.seed, 0);
  checkIntOption('shots', opts.shots, 1, true);
  for (const f of ['onProgress', 'onReuse'] as const) {
    if (opts[f] !== undefined && typeof opts[f] !== 'function') throw new ConfigError(f, opts[f], 'must be a function');
  }
}

// evaluationTasks: browser-safe, in src/evaluation.ts; exported here too, as before.
export { evaluationTasks };

/**
 * Evaluates every method on the same held-out tasks with the same protocol (Finn et al. 2017,
 * Fig. 5): sample, one VPG step of α, then α/2, … The oracle sees the task and is evaluated
 * without adaptation (step 0 only).
 * @throws ConfigError naming the option before evaluating: bad counts, `episodes` missing on an RL
 *   env or given on a supervised one, an empty or repeated method name, `maml`, `pretrained` or
 *   `oracle` without a run or with a run of the wrong algo, a run of another env; UnknownEnvError
 *   for an unregistered env;
 *   CheckpointError for a run whose checkpoint cannot be read.
 */
export function compareMethods(opts: CompareOptions): Comparison {
  checkCompareOptions(opts);
  const results: MethodResult[] = [];
  let reference: TrainConfig | null = null;
  const loaded = opts.methods.map((m, i) => {
    if (!m.run) return { m, cfg: null, params: null as ParamValues | null, iteration: 0, weights: null as string | null };
    const field = opt(`methods[${i}].run`, undefined, `--runs ${m.name}`);
    const problem = typeof m.run === 'string' ? runDirProblem(m.run) : 'must be the path of a run directory';
    if (problem !== null) throw new ConfigError(field, m.run, problem);
    const ck = loadCheckpoint(m.run);
    const cfg = validateConfig(ck.meta.config);
    if (cfg.env !== opts.env) throw new ConfigError(field, m.run, `was trained on ${cfg.env}, not ${opts.env}`);
    if (m.name !== 'oracle' && cfg.algo === 'oracle') throw new ConfigError(field, m.run, 'is an oracle run; name it oracle');
    if (m.name === 'oracle' && cfg.algo !== 'oracle') {
      const none = isSupervised(make(cfg.env)) ? `; ${cfg.env} is a supervised env, which has no oracle` : '';
      throw new ConfigError(field, m.run, `is a run of algo ${cfg.algo}, not trained with ${opt('algo', 'oracle', '--algo oracle')}${none}`);
    }
    // These names give the paired difference and the gap closed: swapped labels would turn them around.
    if (m.name === 'pretrained' && cfg.algo !== 'pretrained') throw new ConfigError(field, m.run, `is a run of algo ${cfg.algo}, not trained with ${opt('algo', 'pretrained', '--algo pretrained')}; give it another name`);
    if (m.name === 'maml' && cfg.algo === 'pretrained') throw new ConfigError(field, m.run, 'is a pretrained run; name it pretrained');
    // No gradient steps for a step size to scale.
    if (m.lr !== undefined && (cfg.algo === 'oracle' || cfg.algo === 'protonet')) {
      const why = cfg.algo === 'oracle' ? 'an oracle run, which is evaluated without adaptation' : 'a protonet run, which classifies by the nearest prototype without gradient steps';
      throw new ConfigError(opt(`methods[${i}].lr`, undefined, `--lr ${m.name}`), m.lr, `does not apply to ${why}`);
    }
    // The env each run is evaluated on (the oracle's view of it, for an oracle run), made before any
    // method is evaluated: an env that cannot give it would stop the comparison part-way.
    let env;
    try {
      env = envFactory(cfg)();
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(field, m.run, `cannot be evaluated: ${e.reason}`);
      throw e;
    }
    const changed = isSupervised(env) ? null : spacesMismatch(ck.meta, env);
    if (changed !== null) throw new ConfigError(field, m.run, changed);
    if (cfg.algo !== 'oracle') reference ??= cfg;
    return { m, cfg, params: ck.params, iteration: ck.meta.iteration, weights: ck.meta.weightsSha256 as string | null };
  });
  // Random init uses the policy shape and step size of the first non-oracle run (or the preset).
  // The preset by the env's kind, not its name: an env of one's own is no built-in.
  const base = reference ?? resolveConfig(make(opts.env));
  const rng = createRng(opts.seed).fork('evaluate');
  const taskEnv = envFactory(base)();
  if (isSupervised(taskEnv)) return compareSupervised(opts, loaded, base, taskEnv);
  if (opts.episodes === undefined) throw new ConfigError(opt('episodes'), undefined, `is needed for ${opts.env}: episodes per task and step (the paper: 40)`);
  if (opts.shots !== undefined) throw new ConfigError(opt('shots'), opts.shots, `is for supervised envs; ${opts.env} adapts on ${opt('episodes')} (episodes per task and step)`);
  const episodes = opts.episodes;
  const tasks = opts.taskList ?? evaluationTasks(taskEnv, opts.tasks!, opts.seed);
  for (const { m, cfg, params, iteration, weights } of loaded) {
    const c = cfg ?? base;
    const lr = m.lr ?? c.adaptation.fastLr;
    // Everything the method's result depends on (random init: the seed and the first run's config).
    // The versions too (metarl, tfjs, the backend, Node): another backend's floats differ in the last digits.
    const key = { env: opts.env, method: m.name, weights, config: c, lr, tasks, steps: opts.steps, episodes, batchTimesteps: opts.batchTimesteps ?? null, seed: opts.seed, versions: versions() };
    const done = readPartial(opts, m.name, key);
    if (done) {
      results.push({ ...done, run: m.run ?? null }); // the same weights may sit in another directory now
      continue;
    }
    const makeEnv = envFactory(c);
    const env = makeEnv();
    const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], c.policy);
    // A run with learned step sizes holds [θ, s]: s scales every step, whatever its α (`lr`).
    const meta = params ? splitMeta(params, policy.shapes.length, c.adaptation.learnedLr) : { theta: policy.init(createRng(opts.seed).fork('random-init')), lrScale: null };
    const steps = c.algo === 'oracle' ? 0 : opts.steps;
    const evaluate = () =>
      evaluateAdaptation(policy, meta.theta, makeEnv, {
        tasks,
        steps,
        episodes,
        ...(opts.batchTimesteps !== undefined ? { batchTimesteps: opts.batchTimesteps } : {}),
        fastLr: lr,
        lrScale: meta.lrScale,
        advantages: { ...c.advantages, regCoeff: c.baseline.regCoeff },
        // Same episode streams for every method: differences come from the policies only.
        rng,
        onTask: (d, n) => opts.onProgress?.(m.name, d, n),
      });
    let stats: StepStat[];
    try {
      stats = evaluate();
    } catch (e) {
      // A step size that diverges: named as this method's (its run's α, or the one given for it).
      if (e instanceof ConfigError && e.field === 'fastLr') {
        const i = opts.methods.indexOf(m);
        throw new ConfigError(m.lr !== undefined ? opt(`methods[${i}].lr`, undefined, `--lr ${m.name}`) : `${m.name}: the run's adaptation.fastLr`, lr, e.reason);
      }
      throw e;
    }
    const result: MethodResult = { name: m.name, run: m.run ?? null, algo: m.run ? c.algo : 'random', lr, iteration, steps: stats };
    writePartial(opts, m.name, key, result);
    results.push(result);
  }
  const at1 = (name: string) => results.find((r) => r.name === name)?.steps[1]?.mean;
  const oracle = results.find((r) => r.name === 'oracle')?.steps[0]?.mean;
  const maml1 = at1('maml');
  const pre1 = at1('pretrained');
  const gap = maml1 !== undefined && pre1 !== undefined && oracle !== undefined && oracle !== pre1 ? (maml1 - pre1) / (oracle - pre1) : null;
  const mamlRes = results.find((r) => r.name === 'maml');
  const preRes = results.find((r) => r.name === 'pretrained');
  const paired = mamlRes && preRes ? pairedDifference(mamlRes.steps, preRes.steps) : null;
  const oracleRes = results.find((r) => r.name === 'oracle');
  const byTask =
    mamlRes?.steps[1] && preRes?.steps[1] && oracleRes?.steps[0]
      ? gapByTaskGroup(tasks, mamlRes.steps[1].perTask, preRes.steps[1].perTask, oracleRes.steps[0].perTask)
      : null;
  return { env: opts.env, tasks: tasks.length, ...(opts.taskFile !== undefined ? { taskFile: opts.taskFile } : {}), episodes, ...(opts.batchTimesteps !== undefined ? { batchTimesteps: opts.batchTimesteps } : {}), seed: opts.seed, methods: results, gapClosedAfterOneStep: gap, mamlMinusPretrained: paired, taskList: tasks, gapByTask: byTask, metric: 'return' };
}

/**
 * {@link compareMethods} on a supervised (horizon-1) env: every method adapts on the same K support
 * examples of the same held-out tasks (`metarl evaluate`'s tasks and batches for the seed: the
 * env's test split when it has one) for 0…steps inner steps with its α (`lr`, or Meta-SGD's learned
 * rates) and is scored on the same query examples. Random init is a fresh model of the first run's
 * config. There is no oracle, so no gap closed; the result's `episodes` is K.
 */
function compareSupervised(
  opts: CompareOptions,
  loaded: { m: MethodSpec; cfg: TrainConfig | null; params: ParamValues | null; iteration: number }[],
  base: TrainConfig,
  env: SupervisedMetaEnv,
): Comparison {
  if (opts.taskList !== undefined) throw new ConfigError(opt('taskList', undefined, '--task-file'), opts.taskFile ?? opts.taskList, `is for RL envs; ${opts.env} draws its held-out tasks from ${opt('seed')}`);
  if (opts.batchTimesteps !== undefined) throw new ConfigError(opt('batchTimesteps'), opts.batchTimesteps, `is for RL envs; ${opts.env} adapts on K support examples`);
  if (opts.shots !== undefined) refuseShots(env, opt('shots'), opts.shots);
  if (opts.episodes !== undefined) throw new ConfigError(opt('episodes'), opts.episodes, `is for RL envs; ${opts.env} adapts on the runs' K support examples (${opt('shots')} sets another K)`);
  // One protocol for all: every method adapts on the same K examples (each would take its run's).
  const trainedK = loaded.filter((l) => l.cfg !== null).map((l) => ({ name: l.m.name, k: l.cfg!.supervised.shots }));
  if (opts.shots === undefined && ownSupportSet(env) === null && new Set(trainedK.map((t) => t.k)).size > 1) {
    throw new ConfigError(opt('shots', undefined, '--shots'), undefined, `is needed: the runs were trained with different K (${trainedK.map((t) => `${t.name} ${t.k}`).join(', ')}), and every method adapts on the same number of support examples`);
  }
  const rng = createRng(opts.seed).fork('evaluate');
  const tasks = evaluationTasks(env, opts.tasks!, opts.seed);
  let metric: 'mse' | 'accuracy' = 'mse';
  const withShots = (c: TrainConfig): TrainConfig => (opts.shots === undefined ? c : { ...c, supervised: { ...c.supervised, shots: opts.shots, queries: opts.shots } });
  const results: MethodResult[] = loaded.map(({ m, cfg, params, iteration }) => {
    const c = withShots(cfg ?? base);
    const lr = m.lr ?? c.adaptation.fastLr;
    // Meta-SGD steps with its learned rates (stored after θ, starting at fastLr): α scales them all alike,
    // as it scales the learned multipliers of an RL run.
    const scaled = c.algo === 'meta-sgd' && params && lr !== c.adaptation.fastLr ? params.map((v, i) => (i < params.length / 2 ? v : v.map((x) => x * (lr / c.adaptation.fastLr)))) : params;
    const theta = scaled ?? SupervisedMetaLearner.initParams({ ...c, adaptation: { ...c.adaptation, fastLr: lr } }, env, createRng(opts.seed).fork('random-init'));
    const res = evaluateSupervised({ ...c, adaptation: { ...c.adaptation, fastLr: lr } }, env, theta, { tasks, steps: opts.steps, rng, onTask: (d, n) => opts.onProgress?.(m.name, d, n) });
    metric = res.metric;
    return { name: m.name, run: m.run ?? null, algo: m.run ? c.algo : 'random', lr, iteration, steps: res.stats };
  });
  // An env with its own support set (Omniglot's N-way K-shot) adapts on its K, not on supervised.shots.
  const shots = ownSupportSet(env)?.shots ?? withShots(base).supervised.shots;
  const mamlRes = results.find((r) => r.name === 'maml');
  const preRes = results.find((r) => r.name === 'pretrained');
  const paired = mamlRes && preRes ? pairedDifference(mamlRes.steps, preRes.steps, metric === 'mse') : null;
  return { env: opts.env, tasks: tasks.length, episodes: shots, seed: opts.seed, methods: results, gapClosedAfterOneStep: null, mamlMinusPretrained: paired, taskList: tasks, gapByTask: null, metric };
}

/** What a {@link Comparison}'s figures are, for table headers and axis labels. */
export function metricLabel(c: Pick<Comparison, 'metric'>): string {
  return c.metric === 'mse' ? 'query MSE' : c.metric === 'accuracy' ? 'query accuracy (%)' : 'average return';
}

/** The comparison as a markdown table (methods × steps, mean ± s.e.m.) plus the gap closed, MAML − pretrained and the gap per task when present. */
export function comparisonMarkdown(c: Comparison): string {
  const K = Math.max(...c.methods.map((m) => m.steps.length)) - 1;
  const supervised = c.metric === 'mse' || c.metric === 'accuracy';
  const sampling = supervised
    ? c.metric === 'accuracy'
      ? `K = ${c.episodes} support examples per class`
      : `K = ${c.episodes} support examples per task`
    : c.batchTimesteps !== undefined
      ? `batches of at least ${c.batchTimesteps} env steps from ${c.episodes} env slots in lockstep (rllab's vectorized sampler)`
      : `${c.episodes} episodes per step`;
  const lines = [
    `Adaptation on ${c.tasks} held-out ${c.env} tasks (${c.taskFile !== undefined ? `tasks from ${c.taskFile}, episode seed` : 'seed'} ${c.seed}, ${sampling}; mean ± s.e.m. of the ${metricLabel(c)})`,
    '',
    `| method | α | ${Array.from({ length: K + 1 }, (_, k) => `step ${k}`).join(' | ')} |`,
    `|---|---|${Array.from({ length: K + 1 }, () => '---').join('|')}|`,
  ];
  for (const m of c.methods) {
    const cell = (s: StepStat) => formatStepStat(s, formatFigureLike);
    const cells = Array.from({ length: K + 1 }, (_, k) => (m.steps[k] ? cell(m.steps[k]) : ''));
    // The oracle is not adapted, and ProtoNets classify by prototypes without a step: no α.
    lines.push(`| ${m.name} | ${m.algo === 'oracle' || m.algo === 'protonet' ? '–' : m.lr} | ${cells.join(' | ')} |`);
  }
  // The ratio measures a gap only when the oracle does better than the pretrained policy after one step.
  const noGap = (oracle: number, pretrained1: number) => (oracle <= pretrained1 ? ' (the oracle does not beat pretrained₁ here, so there is no gap to close: train the oracle longer)' : '');
  if (c.gapClosedAfterOneStep !== null) {
    const oracle = c.methods.find((m) => m.name === 'oracle')?.steps[0]?.mean;
    const pretrained1 = c.methods.find((m) => m.name === 'pretrained')?.steps[1]?.mean;
    const caveat = oracle !== undefined && pretrained1 !== undefined ? noGap(oracle, pretrained1) : '';
    lines.push('', `Gap closed after one step, (MAML₁ − pretrained₁)/(oracle − pretrained₁): ${c.gapClosedAfterOneStep.toFixed(3)}${caveat}`);
  }
  if (c.mamlMinusPretrained) {
    const d = c.metric === 'mse' ? 3 : 2;
    const parts = c.mamlMinusPretrained.map((p) => `step ${p.step}: ${p.tasks < 2 ? p.mean.toFixed(d) : `${p.mean.toFixed(d)} ± ${p.sem.toFixed(d)}`} (${p.better}/${p.tasks} tasks better)`);
    const what = c.metric === 'mse' ? ' of the query MSE (lower is better)' : c.metric === 'accuracy' ? ' of the query accuracy (%)' : '';
    lines.push('', `MAML − pretrained${what}, paired over tasks (mean ± s.e.m.): ${parts.join('; ')}`);
  }
  if (c.gapByTask) {
    const parts = c.gapByTask.map(
      (g) => `${JSON.stringify(g.task)} (${g.tasks} task${g.tasks === 1 ? '' : 's'}): MAML₁ ${g.maml1.toFixed(2)}, pretrained₁ ${g.pretrained1.toFixed(2)}, oracle ${g.oracle.toFixed(2)}, gap ${g.gap === null ? '–' : `${g.gap.toFixed(3)}${g.oracle <= g.pretrained1 ? ' (oracle not above pretrained₁: no gap)' : ''}`}`,
    );
    lines.push('', `Gap closed after one step by task: ${parts.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
