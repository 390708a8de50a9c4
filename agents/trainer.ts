import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { firstMissingDir, notWritableProblem, outDirProblem, realPath, removeMade, writeFileWhole } from '../src/out-paths.ts';
import { acquireLock, lockHolder, lockedHere } from '../src/run-lock.ts';
import { availableParallelism } from 'node:os';
import { episodeBytes, memoryProblem } from '../src/episode-memory.ts';
import { fileURLToPath } from 'node:url';
import { ConfigError, checkOptionKeys, gradientsOfGradients, cliOptionStyle, DEFAULT_LEARNED_LR_GAIN, DEFAULT_SUPERVISED_QUERIES, DEFAULT_SUPERVISED_SHOTS, RL_ALGOS, SUPERVISED_ALGOS, checkIntOption, opt, PRESETS, resolveConfig, validateConfig, type TrainConfig } from '../src/config.ts';
import { loadCheckpoint, runDirProblem, saveCheckpoint, type OptimizerState } from '../src/checkpoint.ts';
import { SupervisedMetaLearner, refuseShots, type SupervisedStepLogs } from './supervised-meta.ts';
import { createRng } from '../src/rng.ts';
import { drawTasks, isSupervised, presetFor } from '../src/env-contract.ts';
import { dataMismatch, envDataIdentity, envFactory, spacesMismatch } from '../envs/factory.ts';
import { MamlTrpo, moduleUrls, type StepLogs } from './maml-trpo.ts';
import { envSpec, listEnvs } from '../envs/registry.ts';
import { didYouMean } from '../src/suggest.ts';
import { versions } from '../src/versions.ts';
import { secondOrderFixInstalled, settleBackend } from '../src/backend.ts';
import type { MetaEnv, SupervisedMetaEnv } from '../src/types.ts';

/** Options of {@link train}. */
export interface TrainOptions {
  /** Run directory: config.json, progress.jsonl, checkpoint/. */
  out: string;
  /**
   * Continue from `out/checkpoint` instead of starting a new run. A run that stopped before its
   * first checkpoint is started over from iteration 0 with the config its `config.json` records.
   */
  resume?: boolean;
  /** Progress output (one line per iteration). Default: none. */
  log?: (line: string) => void;
  /**
   * Stop after this many iterations of this call (for tests of resuming); default: run to the end.
   * 0 runs none and returns the initial parameters, leaving a new run's directory without a
   * checkpoint (a new run there is then refused; `resume` starts it over).
   */
  stopAfter?: number;
  /**
   * Worker threads for the per-task work (default 1: in-process). A run-time resource like the
   * backend, not part of the config: results are identical for any value, so it may change on resume.
   * `'auto'`: {@link defaultWorkers} (one per core, but 1 on a regression env and for an RL run too short for workers to pay).
   */
  workers?: number | 'auto';
  /**
   * Modules the workers import before making envs (ones that `register` custom envs): file URLs, or
   * file paths (relative ones from the current directory). Needed with more than one worker.
   * Recorded as given as `envModules` in a new run's `out/config.json`.
   */
  envModules?: Array<string | URL>;
  /**
   * Also keep a copy of the checkpoint every this many iterations, as `out/snapshots/it<N>/`
   * (a directory `metarl evaluate --run` and `compare` accept), so earlier parameters survive the
   * run going on. A multiple of `checkpointEvery` is needed for every copy to be made. Default: none.
   * Recorded as `keepEvery` in `out/config.json`; a resumed run keeps the recorded value unless it
   * is given again (then the new value is recorded).
   */
  keepEvery?: number;
  /**
   * Start a new run from the parameters of this run's (or snapshot's) checkpoint instead of a fresh
   * initialisation, e.g. to fine-tune a checkpoint with another objective. The checkpoint must be of
   * the same env, with parameters of the shapes this config makes; the iteration count, the random
   * streams and (supervised) the optimizer state start afresh. Recorded as `initFrom` in
   * `out/config.json`. Not with `resume`.
   */
  initFrom?: string;
  /**
   * Stop early when aborted (Ctrl-C in `metarl train`): the iteration under way is finished, a
   * checkpoint of it is written, and `train` returns with `interrupted` set; `--resume` then goes on
   * as if the run had not stopped. Aborted already when `train` is called, no iteration is run (a
   * new run then has no checkpoint, and `resume` starts it over). Default: none.
   */
  signal?: AbortSignal;
}

export { envFactory } from '../envs/factory.ts';

/**
 * The env steps up to which an RL run's `workers: 'auto'` is one worker: starting a worker (its own
 * tfjs and kernels) takes about two seconds, which a run this short does not win back (README,
 * "Performance").
 */
export const AUTO_WORKERS_MIN_STEPS = 40_000;

/**
 * The env steps an RL run samples in `iterations` meta-iterations at most (episodes can end early):
 * per task, a batch before each inner step and one after them (pretrained and oracle: one batch).
 */
export function runEnvSteps(config: TrainConfig, env: MetaEnv, iterations: number): number {
  const { metaBatchSize, fastBatchSize } = config.sampling;
  const batches = (config.algo === 'maml-trpo' ? config.adaptation.numInnerSteps : 0) + 1;
  return iterations * metaBatchSize * fastBatchSize * env.maxEpisodeSteps * batches;
}

/**
 * Worker threads when none are asked for: one per core, except for regression envs (MSE loss),
 * whose meta-iterations take milliseconds, so that threads would only add messaging, and for RL
 * runs that sample at most {@link AUTO_WORKERS_MIN_STEPS} env steps in their `iterations`
 * (the `tiny` preset's three iterations sample 12,000).
 * @param config and `iterations` (those the run has left): without them, the RL rule is not applied.
 */
export function defaultWorkers(env: MetaEnv, config?: TrainConfig, iterations?: number): number {
  if (isSupervised(env)) return env.loss === 'mse' ? 1 : availableParallelism();
  if (config !== undefined && iterations !== undefined && runEnvSteps(config, env, iterations) <= AUTO_WORKERS_MIN_STEPS) return 1;
  return availableParallelism();
}

/** The run directory `dir` is a snapshot of (`RUN/snapshots/it<N>` of a run with a `config.json`, links followed), as an absolute path; else null. */
export function snapshotParent(dir: string): string | null {
  const full = realPath(dir);
  if (!/^it\d+$/.test(basename(full)) || basename(dirname(full)) !== 'snapshots') return null;
  const run = dirname(dirname(full));
  return existsSync(join(run, 'config.json')) ? run : null;
}

/** Where {@link TrainOptions.keepEvery} keeps the checkpoint of iteration `iteration`. */
export function snapshotDir(out: string, iteration: number): string {
  return join(out, 'snapshots', `it${iteration}`);
}

/** Copies `out/checkpoint` to the snapshot directory of `iteration` (replacing an earlier copy, e.g. after a resume). */
function keepSnapshot(out: string, iteration: number): void {
  const dir = snapshotDir(out, iteration);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(join(out, 'checkpoint'), join(tmp, 'checkpoint'), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/**
 * Puts right what a stop while run `out` saved its checkpoint of iteration `start` can leave (the
 * process that owns the run holds its lock): the snapshot due at `start` that was not yet in place
 * (made from the checkpoint), the previous checkpoint kept aside until the new one was renamed into
 * place, and temporary files and folders.
 */
function repairSaves(out: string, start: number, keepEvery: number | undefined): void {
  if (keepEvery && start % keepEvery === 0 && !existsSync(snapshotDir(out, start))) keepSnapshot(out, start);
  if (existsSync(join(out, 'snapshots'))) {
    for (const f of readdirSync(join(out, 'snapshots'))) if (/^it\d+\.tmp-\d+$/.test(f)) rmSync(join(out, 'snapshots', f), { recursive: true, force: true });
  }
  for (const f of readdirSync(out)) {
    if (/^(checkpoint|config\.json|progress\.jsonl)\.tmp-\d+$/.test(f)) rmSync(join(out, f), { recursive: true, force: true });
  }
  if (existsSync(join(out, 'checkpoint', 'model.json'))) rmSync(join(out, 'checkpoint.old'), { recursive: true, force: true });
}

/** The snapshot interval `out/config.json` records (undefined when it records none or cannot be read). */
function recordedKeepEvery(out: string): number | undefined {
  try {
    const k = (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { keepEvery?: unknown }).keepEvery;
    return typeof k === 'number' ? k : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The snapshot interval of a resumed run: `given` if set (recorded in `out/config.json` for later
 * resumes), else the one recorded when the run was started or last resumed (none if the file is
 * missing, as in runs made before it was recorded). `out/config.json` also gets the resumed run's
 * `config` (the checkpoint's, with its new `iterations`), so that it stays the config the run is
 * trained to; `log` says so when it recorded another.
 */
function resumeKeepEvery(out: string, given: number | undefined, config: TrainConfig, log: (line: string) => void): number | undefined {
  const path = join(out, 'config.json');
  if (!existsSync(path)) return given;
  let recorded: { keepEvery?: number; config?: { iterations?: number } };
  try {
    recorded = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) throw new Error('it holds no JSON object');
  } catch (e) {
    // The checkpoint holds the config; config.json also records how the run is made (keepEvery, envModules, initFrom).
    throw new ConfigError(opt('out'), out, `has a config.json that cannot be read (${(e as Error).message}): restore it, or move it aside to resume from the checkpoint without what it records`);
  }
  const keepEvery = given ?? recorded.keepEvery;
  // A recorded config other than the checkpoint's (an edited file) is replaced (found by a bad-input trial: it stayed, with no word).
  const [mine, theirs] = [configLeaves(config), recorded.config === undefined ? null : configLeaves(recorded.config)];
  // Every leaf of either (a key the checkpoint's config lacks, too), iterations aside.
  const other = theirs === null ? [] : [...new Set([...Object.keys(mine), ...Object.keys(theirs)])].filter((k) => k !== 'iterations' && mine[k] !== theirs[k]);
  if (other.length > 0) log(`note: ${path} recorded another config than the checkpoint's (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', …' : ''}): it now records the checkpoint's, which the run goes on with`);
  if (recorded.keepEvery !== keepEvery || other.length > 0 || (recorded.config !== undefined && recorded.config.iterations !== config.iterations)) {
    // Written aside and renamed, so that a crash leaves the old file whole.
    writeFileWhole(path, JSON.stringify({ ...recorded, ...(recorded.config !== undefined && { config }), ...(keepEvery !== undefined && { keepEvery }) }, null, 2));
  }
  return keepEvery;
}

/** Why a run with neither a checkpoint nor a recorded config (made by an older metarl, or a config.json edited) cannot be resumed. */
const NO_CONFIG_RUN = 'holds a run that has no checkpoint yet and no valid config recorded in its config.json: there is nothing to resume; delete the directory to start again, or choose another';

/** Throws a {@link ConfigError} if `dir` already holds a run (so a new run never overwrites one). */
export function assertNoRun(dir: string): void {
  // Being trained right now: not a run to resume (a second process in it would double its iterations).
  const holder = lockHolder(dir);
  if (holder !== null) throw new ConfigError(opt('out'), dir, `is being trained by process ${holder}; wait for it to end, or choose another directory`);
  if (lockedHere(dir)) throw new ConfigError(opt('out'), dir, 'is being trained by another call in this process; wait for it to end, or choose another directory');
  const checkpointed = existsSync(join(dir, 'checkpoint')) || existsSync(join(dir, 'checkpoint.old'));
  // An empty log and no config: a new run stopped between its first two writes (found by a crash
  // trial: such a folder was refused by both the same command and a resume). Nothing to lose.
  const unstarted = !checkpointed && !existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'progress.jsonl')) && statSync(join(dir, 'progress.jsonl')).size === 0;
  if (!checkpointed && !unstarted && existsSync(join(dir, 'progress.jsonl'))) {
    // The run stopped before writing its first checkpoint: a resume starts it over, if its config is recorded.
    if (uncheckpointedRun(dir) !== null) throw new ConfigError(opt('out'), dir, `holds a run that stopped before its first checkpoint; ${opt('resume', true)} starts it over from iteration 0 with its recorded config, or choose another directory`);
    throw new ConfigError(opt('out'), dir, NO_CONFIG_RUN);
  }
  if (checkpointed) throw new ConfigError(opt('out'), dir, `already holds a run; resume it (${opt('resume', true)}) or choose another directory`);
  // A config.json without progress: not a run's (or one that crashed between its first two writes); never overwritten.
  if (existsSync(join(dir, 'config.json'))) throw new ConfigError(opt('out'), dir, 'holds a config.json but no run (no progress.jsonl); a new run would overwrite it: choose another directory, or remove the file');
  // A comparison's folder (finished, or with the partial results of one stopped part-way): a run there would mix the two.
  const comparison = ['results.json', 'partial'].find((f) => existsSync(join(dir, f)));
  if (comparison) throw new ConfigError(opt('out'), dir, `holds a comparison's ${comparison}; a run beside it would mix the two: choose another directory`);
}

/** `seconds` as `45s`, `12m05s` or `3h07m`, for the estimate of the time left. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line of `progress.jsonl`: the step logs plus the live tensor count. */
export type ProgressRecord = (StepLogs | SupervisedStepLogs) & { numTensors: number };

/** Refused steps in a row after which {@link stalledWarning} speaks. */
export const STALL_STREAK = 5;

/**
 * A warning when the last {@link STALL_STREAK} meta-iterations all left the parameters unchanged,
 * said once per streak (when it reaches that length); null otherwise. `outcomes` holds the step
 * outcomes of this process's iterations so far, the first being iteration `firstIteration`
 * (counted from 0). Names the outcomes and, for refused conjugate gradients with the finite-difference
 * Fisher-vector product, the settings that avoid them.
 */
export function stalledWarning(outcomes: readonly string[], firstIteration: number, config: Pick<TrainConfig, 'trpo' | 'policy' | 'adaptation'>): string | null {
  const n = outcomes.length;
  if (n < STALL_STREAK) return null;
  let streak = 0;
  while (streak < n && outcomes[n - 1 - streak] !== 'accepted') streak++;
  if (streak !== STALL_STREAK) return null;
  const last = outcomes.slice(n - STALL_STREAK);
  const counts = [...new Set(last)].map((o) => `${o} ×${last.filter((x) => x === o).length}`).join(', ');
  // Numbered from 1, as the log line numbers the iterations.
  const from = firstIteration + n - STALL_STREAK + 1;
  let hint = '';
  if (last.includes('cg-failed') && config.trpo.fvp === 'finite-difference') {
    const relu = config.policy.activation === 'relu' && config.adaptation.learnedLr ? ' (seen with a ReLU policy and adaptation.learnedLr, where it refuses every step)' : '';
    hint = ` CG met non-positive curvature in the finite-difference Fisher-vector product${relu}: the exact product ("trpo": {"fvp": "chain"}, or "exact", the same product computed more slowly) avoids it, and Steihaug truncation ("trpo": {"cgTruncate": true}) keeps the steps CG refuses after its first iteration.`;
  } else if (last.includes('line-search-failed')) {
    hint = ' The line search found no step that improves the surrogate within trpo.maxKl: a smaller trpo.maxKl or more episodes per task (sampling.fastBatchSize) may help.';
  }
  return `warning: iterations ${from}–${from + STALL_STREAK - 1} all refused their step (${counts}), so the parameters have not moved in them.${hint}`;
}

/**
 * A note for second-order MAML with a ReLU policy and the finite-difference Fisher-vector product,
 * null otherwise. Through the adaptation θ′ = θ − α∇L(θ), a ReLU policy's gradient jumps wherever a
 * unit's input crosses 0, so ∇KL(θ_old + εv) holds jumps of size O(1), not a difference of O(ε):
 * on the navigation config with a 100-100 ReLU policy, the product in a random direction was 16×
 * its size off at the default shift (1.5× at 0.01), where a tanh policy's was 0.06 % off
 * (`scripts/fvp-accuracy.ts`).
 */
export function reluFiniteDifferenceNote(config: Pick<TrainConfig, 'algo' | 'trpo' | 'policy' | 'adaptation'>): string | null {
  if (config.algo !== 'maml-trpo' || config.adaptation.firstOrder || config.policy.activation !== 'relu' || config.trpo.fvp !== 'finite-difference') return null;
  return 'note: a ReLU policy with the finite-difference Fisher-vector product: differenced through the inner step, its gradient jumps where a unit\'s input crosses 0, so the product is mostly those jumps (16× its size off in a test on navigation); "trpo": {"fvp": "chain"} computes it exactly (README, trpo.fvp)';
}

// Browser-safe, in src/env-contract.ts; exported here too, as before.
export { isSupervised, presetFor };

/**
 * Refuses an RL config whose episodes alone would not fit in this machine's memory in one
 * iteration: a lower bound (float32 observations, actions, rewards and masks of every task's
 * episodes, before and after each inner step), so a refusal is never wrong. Without it a typo
 * (`--meta-batch-size 100000000`) ran for minutes and ended with V8 out of memory (found by an
 * edge-input trial).
 */
export function checkEpisodeMemory(config: TrainConfig, env: MetaEnv): void {
  if (isSupervised(env)) return;
  const { metaBatchSize, fastBatchSize } = config.sampling;
  // `env` is the env the run samples (an oracle's observes its task): every task's episodes, before and after each inner step.
  const batches = metaBatchSize * (config.algo === 'maml-trpo' ? config.adaptation.numInnerSteps + 1 : 1);
  const problem = memoryProblem(episodeBytes(env, fastBatchSize * batches), " for one iteration's episodes");
  if (problem === null) return;
  // The one further above its preset's value is named (the other is in the message).
  const preset = resolveConfig(config.env, presetFor(env)).sampling;
  const tasksFirst = metaBatchSize / preset.metaBatchSize >= fastBatchSize / preset.fastBatchSize;
  // Config paths: the command line names a flag only where a flag gave the value (found by a bad-input trial: flags named that were not given).
  const tasks = 'sampling.metaBatchSize';
  const episodes = 'sampling.fastBatchSize';
  const [field, value, other] = tasksFirst ? [tasks, metaBatchSize, `${episodes} ${fastBatchSize}`] : [episodes, fastBatchSize, `${tasks} ${metaBatchSize}`];
  throw new ConfigError(field, value, `with ${other}: ${metaBatchSize} tasks × ${fastBatchSize} episodes of ${env.maxEpisodeSteps} steps ${problem}`);
}

/**
 * Rejects an algorithm that does not fit the env's kind (RL vs horizon-1 supervised),
 * `supervised.multiStepLoss` with an algorithm that has no inner steps to average over, the
 * RL-only adaptation keys where they would have no effect (among them a pre-update term outside
 * `maml-trpo`), and multi-step weights that do not fit the inner steps. A new run (not `resume`) on
 * an env that fixes its own support set (Omniglot) may not set `supervised.shots` or `queries`, and
 * may not set, to a value no preset gives, what its env or algo would not use: the other kind of
 * env's fields (`trpo`, `advantages`, `baseline`, `sampling.fastBatchSize`, `policy.initStd` on a
 * supervised env; `supervised` on an RL env), the MLP's or the conv net's sizes for the other model,
 * `firstOrder` with an algo that has no second-order term to drop, inner steps for the algos
 * that take none (`pretrained`, `oracle`, `protonet`), `adaptation.laterStepsLrFactor` without two
 * or more `maml-trpo` inner steps, and `trpo.fdShift` with an exact Fisher-vector product.
 */
export function checkAlgoForEnv(config: TrainConfig, env: MetaEnv, resume = false): void {
  const allowed = isSupervised(env) ? SUPERVISED_ALGOS : RL_ALGOS;
  if (!allowed.includes(config.algo)) {
    // maml-trpo on a supervised env most likely came from an RL preset (cheetah, tiny's RL part), not from --algo.
    const preset = isSupervised(env) ? (env.loss === 'mse' ? 'sine' : 'omniglot') : null;
    const hint = preset && config.algo === 'maml-trpo' ? ` (the RL presets set maml-trpo: for ${config.env} ${cliOptionStyle() ? `pass --preset ${preset}` : `resolve the config with resolveConfig(${JSON.stringify(config.env)}, ${JSON.stringify(preset)})`})` : '';
    throw new ConfigError('algo', config.algo, `does not apply to ${config.env}; use one of ${allowed.join(', ')}${hint}`);
  }
  if (config.algo === 'protonet' && isSupervised(env) && env.loss === 'mse') {
    throw new ConfigError('algo', 'protonet', `classifies by class prototypes, and ${config.env} is a regression env; use maml, fomaml, meta-sgd, anil, reptile or pretrained`);
  }
  // An env with its own support set (Omniglot's N-way K-shot tasks) fixes K and the queries: the config's would be recorded but unused.
  // Not on a resume: a run trained before this check keeps the config it has.
  if (isSupervised(env) && !resume) {
    for (const [key, def] of [['shots', DEFAULT_SUPERVISED_SHOTS], ['queries', DEFAULT_SUPERVISED_QUERIES]] as const) {
      if (config.supervised[key] !== def) refuseShots(env, `supervised.${key}`, config.supervised[key]);
    }
  }
  const stepped = ['maml', 'fomaml', 'meta-sgd', 'anil'];
  if (config.supervised.multiStepLoss && !stepped.includes(config.algo)) {
    throw new ConfigError('supervised.multiStepLoss', true, `has no effect with algo ${config.algo}; it applies to ${stepped.join(', ')}`);
  }
  const a = config.adaptation;
  if (isSupervised(env) && a.multiStepLoss) throw new ConfigError('adaptation.multiStepLoss', true, `applies to RL envs; for ${config.env} use supervised.multiStepLoss`);
  if (isSupervised(env) && a.laterStepsLrFactor !== 1) throw new ConfigError('adaptation.laterStepsLrFactor', a.laterStepsLrFactor, `applies to RL envs, not ${config.env}`);
  if (a.multiStepLoss && (config.algo !== 'maml-trpo' || a.numInnerSteps < 2)) {
    throw new ConfigError('adaptation.multiStepLoss', true, `needs algo maml-trpo with adaptation.numInnerSteps ≥ 2; this config has algo ${config.algo} with ${a.numInnerSteps}`);
  }
  if (a.learnedLr && (config.algo !== 'maml-trpo' || a.firstOrder)) {
    const hint = isSupervised(env) ? `; for ${config.env} use algo meta-sgd` : '';
    throw new ConfigError('adaptation.learnedLr', true, `needs algo maml-trpo without adaptation.firstOrder; this config has algo ${config.algo}${a.firstOrder ? ', first order' : ''}${hint}`);
  }
  if (!a.learnedLr && a.learnedLrGain !== DEFAULT_LEARNED_LR_GAIN) {
    throw new ConfigError('adaptation.learnedLrGain', a.learnedLrGain, 'has no effect without adaptation.learnedLr true');
  }
  if (a.innerLoss !== 'reinforce' && (config.algo !== 'maml-trpo' || a.firstOrder)) {
    throw new ConfigError('adaptation.innerLoss', a.innerLoss, `changes only the second-order meta-gradient: it needs algo maml-trpo without adaptation.firstOrder; this config has algo ${config.algo}${a.firstOrder ? ', first order' : ''}`);
  }
  if (a.preUpdateWeight > 0 && (config.algo !== 'maml-trpo' || isSupervised(env))) {
    throw new ConfigError('adaptation.preUpdateWeight', a.preUpdateWeight, `applies to algo maml-trpo on RL envs, not ${config.algo} on ${config.env}`);
  }
  // Settings of the other kind of env, or of inner steps an algo does not take, changed from the
  // preset's: they would be recorded but do nothing. Not on a resume (a run keeps the config it has).
  if (!resume) {
    // Changed from what every preset gives for this env: a value some preset sets is the preset's
    // doing, not the caller's (the omniglot preset's fastBatchSize on sine), and is let be.
    const preset = resolveConfig(config.env, presetFor(env));
    const presets = Object.values(PRESETS).map((of) => configLeaves(of(config.env, presetFor(env))));
    const leaves = configLeaves(config);
    const changed = (prefix: string) => Object.keys(leaves).find((k) => k.startsWith(prefix) && presets.every((p) => p[k] !== leaves[k]));
    const refuse = (key: string | undefined, reason: string) => {
      if (key !== undefined) throw new ConfigError(key, JSON.parse(leaves[key]!), reason);
    };
    if (isSupervised(env)) {
      const adam = `${config.env} trains with Adam on its query loss (supervised.outerLr)`;
      refuse(changed('trpo.'), `applies to RL envs (the TRPO outer step); ${adam}`);
      refuse(changed('advantages.') ?? changed('baseline.'), `applies to RL envs (returns and their baseline); ${adam}`);
      refuse(changed('sampling.fastBatchSize'), `sets the episodes per task of RL envs; ${config.env} adapts on supervised.shots examples`);
      refuse(changed('policy.initStd'), `sets the initial σ of an RL env's Gaussian policy; ${config.env}'s model has none`);
      if (env.loss === 'mse') refuse(changed('supervised.convFilters'), `sizes the conv net of the classification envs; ${config.env}'s model is an MLP (policy.hiddenSizes)`);
      else refuse(changed('policy.hiddenSizes') ?? changed('policy.activation'), `shapes the MLP of RL envs and regression; ${config.env}'s model is a conv net (supervised.convFilters)`);
      // Algorithms with no second-order term for the flag to drop.
      if (a.firstOrder && ['meta-sgd', 'reptile', 'pretrained', 'protonet'].includes(config.algo)) {
        throw new ConfigError('adaptation.firstOrder', true, `has no effect with algo ${config.algo}${config.algo === 'meta-sgd' ? ' (it learns its step sizes through the second-order term)' : ''}; it applies to maml (which it makes fomaml) and anil`);
      }
    } else {
      refuse(changed('supervised.'), `applies to supervised envs, not ${config.env}`);
      if (config.trpo.fvp !== 'finite-difference') refuse(changed('trpo.fdShift'), `is the shift of the finite-difference Fisher-vector product, and trpo.fvp is ${JSON.stringify(config.trpo.fvp)}`);
      if (config.algo !== 'maml-trpo' || a.numInnerSteps < 2) {
        refuse(changed('adaptation.laterStepsLrFactor'), `scales the step size of inner steps after the first in training; this config has algo ${config.algo} with ${a.numInnerSteps} inner step${a.numInnerSteps === 1 ? '' : 's'} (evaluate and compare take their own step sizes)`);
      }
    }
    if (['pretrained', 'oracle', 'protonet'].includes(config.algo) && a.numInnerSteps !== preset.adaptation.numInnerSteps && changed('adaptation.numInnerSteps') !== undefined) {
      throw new ConfigError('adaptation.numInnerSteps', a.numInnerSteps, `has no effect with algo ${config.algo}, which trains without inner steps (evaluate and compare take their own number of steps)`);
    }
  }
  const w = a.multiStepWeights;
  if (w.length > 0) {
    if (!a.multiStepLoss) throw new ConfigError('adaptation.multiStepWeights', w, 'has no effect without adaptation.multiStepLoss true');
    if (w.length !== a.numInnerSteps) throw new ConfigError('adaptation.multiStepWeights', w, `needs one weight per inner step (adaptation.numInnerSteps is ${a.numInnerSteps})`);
    if (!(w.reduce((s, x) => s + x, 0) > 0)) throw new ConfigError('adaptation.multiStepWeights', w, 'needs at least one weight > 0');
  }
}

/** Where a run started from another's parameters (`initFrom` in its `config.json`). */
interface RecordedStart {
  /** The run (or snapshot) directory, as an absolute path. */
  run: string;
  /** The iteration of its checkpoint. */
  iteration: number;
  /** The SHA-256 of the checkpoint's weights, as its model.json gives it. */
  weightsSha256: string;
}

/**
 * What `out/config.json` records of a run that has no checkpoint (its training stopped before the
 * first one: killed, or a machine that went down): its config and the run it started from, for a
 * resume to start it over from iteration 0. Null when `out` holds no such run: it has a checkpoint,
 * or no progress.jsonl, or a config.json without a valid `config`.
 */
export function uncheckpointedRun(out: string): { config: TrainConfig; initFrom?: RecordedStart } | null {
  if (existsSync(join(out, 'checkpoint')) || existsSync(join(out, 'checkpoint.old')) || !existsSync(join(out, 'progress.jsonl'))) return null;
  try {
    const recorded = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { config?: unknown; initFrom?: RecordedStart };
    if (typeof recorded !== 'object' || recorded === null || typeof recorded.config !== 'object' || recorded.config === null) return null;
    return { config: validateConfig(recorded.config as TrainConfig), ...(recorded.initFrom && { initFrom: recorded.initFrom }) };
  } catch {
    return null;
  }
}

/**
 * Why a resume cannot go on with the run in `out` (for a message naming the flag that gave it); null
 * when it can: it has a checkpoint, or stopped before its first with its config recorded.
 */
export function resumeProblem(out: string): string | null {
  const problem = runDirProblem(out);
  if (problem === null || uncheckpointedRun(out) !== null) return null;
  if (existsSync(join(out, 'progress.jsonl'))) return NO_CONFIG_RUN;
  return `${problem} (there is nothing to resume)`;
}

/**
 * The parameters a run without a checkpoint (see {@link uncheckpointedRun}) starts over from: those
 * `fresh` gives, from the run it was started from when it was, which must hold the same weights.
 */
function restartParams(out: string, run: { initFrom?: RecordedStart }, fresh: (initFrom: string | undefined) => { params: Float32Array[]; ck?: { meta: { weightsSha256: string; iteration: number } } }): Float32Array[] {
  if (run.initFrom === undefined) return fresh(undefined).params;
  const from = run.initFrom.run;
  if (runDirProblem(from) !== null) throw new ConfigError(opt('out'), out, `was started from ${from} (${opt('initFrom')}), which no longer holds a checkpoint: it cannot be started over; choose another directory`);
  const { params, ck } = fresh(from);
  if (ck!.meta.weightsSha256 !== run.initFrom.weightsSha256) {
    throw new ConfigError(opt('out'), out, `was started from ${from} at iteration ${run.initFrom.iteration}, which now holds other parameters (iteration ${ck!.meta.iteration}): it cannot be started over as it was; choose another directory`);
  }
  return params;
}

/**
 * Loads the checkpoint of {@link TrainOptions.initFrom} and checks it fits `config`: the same env,
 * and parameter tensors of the sizes of `fresh` (this config's initialisation). A run with learned
 * step sizes (`adaptation.learnedLr`, or a supervised `meta-sgd` run) may start from a plain run's
 * checkpoint: the step sizes then start at `fresh`'s (multipliers 1, rates `fastLr`: the plain step).
 */
function loadInitCheckpoint(dir: string, config: TrainConfig, fresh: Float32Array[]) {
  const problem = runDirProblem(dir);
  if (problem !== null) throw new ConfigError(opt('initFrom'), dir, problem);
  const ck = loadCheckpoint(dir);
  if (ck.meta.config.env !== config.env) throw new ConfigError(opt('initFrom'), dir, `holds a checkpoint of ${ck.meta.config.env}; this run is on ${config.env}`);
  // Learned step sizes stored after θ (RL learnedLr's multipliers, Meta-SGD's rates): a plain run's θ gets this config's starting ones.
  const learns = config.adaptation.learnedLr || config.algo === 'meta-sgd';
  const params = learns && 2 * ck.params.length === fresh.length ? [...ck.params, ...fresh.slice(ck.params.length)] : ck.params;
  const sizes = (ps: Float32Array[]) => `[${ps.map((p) => p.length).join(', ')}]`;
  if (params.length !== fresh.length || params.some((p, i) => p.length !== fresh[i]!.length)) {
    throw new ConfigError(opt('initFrom'), dir, `has parameter tensors of sizes ${sizes(ck.params)}; this config's model needs ${sizes(fresh)}`);
  }
  return { ...ck, params };
}

/**
 * The progress line's time left after iteration `it` of a process that started at `start` and
 * runs to `end`: `sinceFirst` ms have passed since the process's first iteration ended, and the
 * pace is that of the iterations since (the first also starts workers, compiles kernels and fills
 * caches, so none is given after it, nor after the last).
 */
export function etaText(sinceFirst: number, it: number, start: number, end: number): string {
  if (it <= start || it + 1 >= end) return '';
  return `  eta ${formatDuration((sinceFirst / 1000 / (it - start)) * (end - it - 1))}`;
}

/** Where {@link train} stopped when a meta-iteration threw (see {@link trainingStop}). */
export interface TrainingStop {
  /** The meta-iteration that threw, counted from 1 as in the progress line. */
  iteration: number;
  /** The run directory. */
  out: string;
  /** The number of iterations the run was to reach (what `--resume --iterations` must be given to go on). */
  iterations: number;
  /** The iteration of the run's last checkpoint, from which `--resume` continues; null when it has none yet. */
  checkpoint: number | null;
  /**
   * True when a new run failed before its first iteration ended and {@link train} removed the files
   * it had written (and the directories of `out` it made): the same call can then simply be made again.
   */
  removed: boolean;
}

const stops = new WeakMap<object, TrainingStop>();

/**
 * For an error thrown by {@link train} once the run was set up (an env that throws, a worker that
 * dies or cannot start, an agent that cannot be made): the iteration it stopped in and the
 * checkpoint the run keeps. Undefined for any other error, e.g. a config error, thrown before
 * anything is written. The error itself is rethrown unchanged.
 */
export function trainingStop(e: unknown): TrainingStop | undefined {
  return typeof e === 'object' && e !== null ? stops.get(e) : undefined;
}

/** Every key of {@link TrainOptions}. */
const TRAIN_OPTION_KEYS: Record<keyof TrainOptions, true> = { out: true, resume: true, log: true, stopAfter: true, workers: true, envModules: true, keepEvery: true, initFrom: true, signal: true };

/** Checks {@link TrainOptions} (a ConfigError naming the option and its value). */
function checkTrainOptions(opts: TrainOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object with at least out (the run directory)');
  checkOptionKeys(opts, TRAIN_OPTION_KEYS, 'train');
  if (typeof opts.out !== 'string' || opts.out.trim() === '') throw new ConfigError(opt('out'), opts.out, 'must be the path of the run directory (a non-empty string)');
  checkIntOption('keepEvery', opts.keepEvery, 1, true);
  checkIntOption('stopAfter', opts.stopAfter, 0, true);
  if (opts.workers !== 'auto') checkIntOption('workers', opts.workers, 1, true);
  if (opts.resume && opts.initFrom !== undefined) throw new ConfigError(opt('initFrom'), opts.initFrom, `cannot be given with ${opt('resume', true)} (a resumed run keeps its own parameters)`);
  if (opts.log !== undefined && typeof opts.log !== 'function') throw new ConfigError('log', opts.log, 'must be a function taking one line of text, e.g. (line) => console.log(line)');
  // An AbortController in place of its signal would never be seen aborted.
  // By its shape, not instanceof: a signal of another realm (a test environment's) is one too.
  const signal = opts.signal as unknown as { aborted?: unknown; addEventListener?: unknown; abort?: unknown; signal?: unknown } | undefined;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    const controller = typeof signal === 'object' && signal !== null && typeof signal.abort === 'function' && typeof signal.signal === 'object';
    throw new ConfigError('signal', controller ? 'an AbortController' : signal, `must be an AbortSignal${controller ? ": pass the controller's .signal" : ''}`);
  }
  if (opts.envModules !== undefined && !Array.isArray(opts.envModules)) throw new ConfigError(opt('envModules', undefined, '--env-module'), opts.envModules, 'must be an array of file paths or URLs');
  // A module the workers cannot find would fail only once they start: say so now, with the path it resolved to.
  (opts.envModules ?? []).forEach((m, i) => {
    const field = opt(`envModules[${i}]`, undefined, '--env-module');
    if (typeof m !== 'string' && !(m instanceof URL)) throw new ConfigError(field, m, 'must be a file path or a URL');
    const href = m instanceof URL ? m.href : m;
    // Found by a library trial: an https URL failed only in the workers, seconds later.
    const scheme = /^([a-zA-Z][a-zA-Z\d+.-]+):/.exec(href)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'file' && scheme !== 'data') throw new ConfigError(field, String(m), `is a ${scheme}: URL: give a file path or a file: URL`);
    const file = /^file:/.test(href) ? fileURLToPath(href) : /^[a-zA-Z][a-zA-Z\d+.-]+:/.test(href) ? null : resolve(href);
    if (file !== null && !existsSync(file)) throw new ConfigError(field, String(m), `not found (${file}; a relative path is from the current directory, ${process.cwd()})`);
  });
}

/**
 * An env not registered in this thread whose module is among `envModules`: imported here too, as the
 * workers import it (found by an API trial: a script that named its env's module only there was
 * told the env id is unknown). A module imported already is not run again.
 */
async function registerFromEnvModules(given: TrainConfig, envModules: TrainOptions['envModules']): Promise<void> {
  const id: unknown = (given as { env?: unknown } | null)?.env;
  if (!envModules?.length || typeof id !== 'string' || envSpec(id) !== undefined) return;
  const urls = await moduleUrls(envModules);
  const before = new Set(listEnvs());
  for (const [i, url] of urls.entries()) {
    try {
      await import(url);
    } catch (e) {
      throw new ConfigError(opt(`envModules[${i}]`, undefined, '--env-module'), String(envModules[i]), `failed to load: ${(e as Error).message ?? String(e)}`);
    }
  }
  // Found by a library trial: a module that loads but registers another env gave only "unknown env id".
  if (envSpec(id) === undefined) {
    const added = listEnvs().filter((e) => !before.has(e));
    const what = added.length > 0 ? `they register ${added.join(', ')}` : 'they register no env (or registered theirs before, in this process)';
    throw new ConfigError(opt('env'), id, `is not registered by ${opt('envModules', undefined, '--env-module')} (${envModules.map(String).join(', ')}), which loaded: ${what}${didYouMean(id, added)}`);
  }
}

/** A config's leaves by path (`trpo.maxKl`), each as JSON. */
function configLeaves(o: unknown, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) configLeaves(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    into[prefix] = JSON.stringify(o);
  }
  return into;
}

/**
 * A new run's config must give every field: `validateConfig` fills a missing one with the plain
 * reference value (so that the configs of older runs still load), which is not the env's preset's
 * (the navigation preset normalises actions, the plain reference does not), so a partial config
 * from code would train with settings nobody chose.
 */
function checkComplete(given: TrainConfig, full: TrainConfig): void {
  const mine = configLeaves(given);
  // A key set to undefined is a key not given (as in resolveConfig's overrides).
  const missing = Object.keys(configLeaves(full)).filter((path) => mine[path] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      missing[0]!,
      undefined,
      `is missing from the config${missing.length > 1 ? ` (and ${missing.length - 1} more field${missing.length > 2 ? 's' : ''})` : ''}: build it with resolveConfig(env, preset, overrides), which gives every field (the preset's value where the overrides say nothing)`,
    );
  }
}

/**
 * A resumed run keeps its config (only the number of iterations may grow): `config` must equal the
 * run's checkpointed config, field for field, or the resumed iterations would not be the ones an
 * unbroken run makes.
 */
function checkResumedConfig(config: TrainConfig, run: TrainConfig, out: string, source = 'loadCheckpoint(out).meta.config'): void {
  const mine = configLeaves(config);
  const theirs = configLeaves(validateConfig(run));
  for (const path of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
    if (path === 'iterations' || mine[path] === theirs[path]) continue;
    throw new ConfigError(
      path,
      mine[path] === undefined ? undefined : JSON.parse(mine[path]!),
      `differs from the config of the run being resumed in ${out} (${theirs[path] ?? 'not set'}): a resumed run keeps its config, and only iterations may change (start from ${source})`,
    );
  }
}

/**
 * Trains a meta-learner as configured, writing `out/config.json`, one JSON line per iteration to
 * `out/progress.jsonl`, and an atomic checkpoint every `checkpointEvery` iterations and at the end.
 * A new run refuses a directory that already holds a run; `resume` continues one; `initFrom`
 * starts a new one from another run's parameters. `interrupted`: stopped early by `signal`.
 * @throws ConfigError (before anything is written) naming the field or option: an incomplete or
 *   bad config, an algo that does not apply to the env, `out` holding a run without `resume`, a
 *   resumed run whose config differs; UnknownEnvError for an env id not registered (an env of
 *   one's own: import its module first, or name it in `envModules`, which this thread then imports
 *   too when the env is not registered yet; a ConfigError on `env` when those modules load without
 *   registering it). A failure during training (an EnvContractError for an env that
 *   breaks the contract, an env's own error) is rethrown; `trainingStop(e)` tells which iteration
 *   and what the run kept, and a new run that fails in its first iteration removes what it wrote.
 */
export async function train(given: TrainConfig, opts: TrainOptions): Promise<{ params: Float32Array[]; records: ProgressRecord[]; interrupted: boolean }> {
  checkTrainOptions(opts);
  await registerFromEnvModules(given, opts.envModules);
  const abortedAtCall = opts.signal?.aborted === true;
  // A config from code may not have come through resolveConfig: check it as a config file is checked.
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new ConfigError('config', given, 'must be a config object: build it with resolveConfig(env, preset, overrides)');
  const config = validateConfig(given);
  if (!opts.resume) checkComplete(given, config);
  const log = opts.log ?? (() => {});
  const progressPath = join(opts.out, 'progress.jsonl');
  const makeEnv = envFactory(config);
  const env = makeEnv();
  checkAlgoForEnv(config, env, opts.resume === true);
  checkEpisodeMemory(config, env);
  const supervised = isSupervised(env);
  // Before anything is logged or written (found by a README trial: code without initBackend logged
  // the run's start, then the learner threw).
  const secondOrder = gradientsOfGradients(config, supervised);
  if (secondOrder !== null && !secondOrderFixInstalled()) {
    throw new Error(`train: ${secondOrder} takes gradients of gradients, which tfjs gets wrong without the fix initBackend installs: call \`await initBackend('auto')\` (from 'metarl') before train`);
  }
  await settleBackend();
  // A resumed run that stopped before its first checkpoint starts over from iteration 0: no checkpoint to go on from.
  const unsaved = opts.resume ? uncheckpointedRun(opts.out) : null;
  // An env with held-out tasks of its own (Omniglot's test split), which evaluate and compare draw:
  // data that cannot give them is found now, not after training (also when a run starts over).
  if (supervised && (!opts.resume || unsaved !== null) && typeof (env as { heldOutTasks?: unknown }).heldOutTasks === 'function') {
    try {
      drawTasks(env, 1, createRng(0), true);
    } catch (e) {
      const source = envDataIdentity(env)?.source;
      if (e instanceof Error) e.message = `${e.message}: the held-out tasks that evaluate and compare draw cannot be made${source !== undefined ? ` from ${source}` : ''}`;
      throw e;
    }
  }
  const root = createRng(config.seed);
  let start = 0;
  let params: Float32Array[];
  let optimizer: OptimizerState | undefined;
  let keepEvery = opts.keepEvery;
  if (keepEvery !== undefined && keepEvery % config.checkpointEvery !== 0) {
    throw new ConfigError(opt('keepEvery'), keepEvery, `must be a multiple of checkpointEvery (${config.checkpointEvery}): copies are made of checkpoints`);
  }
  // What this call made (the run's two files, or the highest directory of `out` that did not exist):
  // a failure before the first iteration ends removes it.
  let created: { files: string[]; dir: string | null } | null = null;
  let release: (() => void) | null = null;
  // The parameters of a new run: initialised from the seed, or those of the run it starts from.
  const freshParams = (initFrom: string | undefined) => {
    const init = supervised ? SupervisedMetaLearner.initParams(config, env as SupervisedMetaEnv, root) : MamlTrpo.initParams(config, makeEnv, root);
    if (initFrom === undefined) return { params: init };
    const ck = loadInitCheckpoint(initFrom, config, init);
    return { params: ck.params, ck };
  };
  try {
    // A run this user may not write in (another user's): named before anything is done.
    const locked = opts.resume ? notWritableProblem(opts.out) : null;
    if (locked !== null) throw new ConfigError(opt('out'), opts.out, locked);
    if (unsaved !== null) {
      // One process at a time (a run still in its first iterations holds its lock).
      release = acquireLock(opts.out, opt('out'), 'trained');
      // Its process may have written its first checkpoint and ended since it was looked at.
      if (uncheckpointedRun(opts.out) === null) throw new ConfigError(opt('out'), opts.out, 'wrote its first checkpoint while this resume started: run the resume again to go on from that checkpoint');
      checkResumedConfig(config, unsaved.config, opts.out, 'the config in out/config.json, as it has no checkpoint');
      params = restartParams(opts.out, unsaved, freshParams);
      // Read (and checked) before the log is touched.
      keepEvery = resumeKeepEvery(opts.out, keepEvery, config, log);
      const logged = readFileSync(progressPath, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
      // Whole or not at all, as a resume's rewrite of the log.
      writeFileWhole(progressPath, '');
      log(
        `note: ${opts.out} has no checkpoint (its training stopped before the first one${logged > 0 ? `, after logging ${logged} iteration${logged === 1 ? '' : 's'}` : ''}): starting it over from iteration 0 with its recorded config${logged > 0 ? '; those iterations are run again and come out the same' : ''}`,
      );
    } else if (opts.resume) {
      const problem = resumeProblem(opts.out);
      if (problem !== null) throw new ConfigError(opt('out'), opts.out, problem);
      // A snapshot is a copy kept so that earlier parameters survive: training on in it would replace them.
      const parent = snapshotParent(opts.out);
      if (parent !== null) {
        throw new ConfigError(opt('out'), opts.out, `is a snapshot of the run ${parent}, kept as it is: resume the run itself, or start a new run from the snapshot with ${opt('initFrom', opts.out)}`);
      }
      // One process at a time: a second resume beside a running one doubled the run's iterations in its log.
      release = acquireLock(opts.out, opt('out'), 'trained');
      const ck = loadCheckpoint(opts.out);
      checkResumedConfig(config, ck.meta.config, opts.out);
      // The env's spaces size the policy: an env changed under the same id no longer fits the run.
      const changed = supervised ? null : spacesMismatch(ck.meta, makeEnv());
      if (changed !== null) throw new ConfigError(opt('out'), opts.out, changed);
      // Data files (Omniglot): resumed iterations on other data would not be the run's.
      const mismatch = dataMismatch(ck.meta.data, env);
      if (mismatch !== null) throw new ConfigError(opt('out'), opts.out, `${mismatch}: a resumed run keeps its data (for Omniglot, set METARL_OMNIGLOT to ${ck.meta.data!.source})`);
      params = ck.params;
      optimizer = ck.optimizer;
      start = ck.meta.iteration;
      if (config.iterations <= start) {
        // What a stop during the last save left is put right all the same (found by a crash trial:
        // this refusal came first, so the run's last snapshot was never made).
        repairSaves(opts.out, start, keepEvery ?? recordedKeepEvery(opts.out));
        throw new ConfigError(opt('iterations'), config.iterations, `nothing to do: the run in ${opts.out} is already at iteration ${start}; give ${opt('iterations')} a larger value to train on`);
      }
      // config.json read (and checked) before the log is touched.
      keepEvery = resumeKeepEvery(opts.out, keepEvery, config, log);
      // Drop progress lines past the checkpoint: those iterations are run again, identically.
      if (existsSync(progressPath)) {
        const kept: string[] = [];
        let cut = 0;
        for (const l of readFileSync(progressPath, 'utf8').split('\n')) {
          if (l.trim() === '') continue;
          let it: unknown;
          try {
            it = (JSON.parse(l) as ProgressRecord).iteration;
          } catch {
            cut++; // a line cut short by a crash (or a full disk) while it was written
            continue;
          }
          if (typeof it === 'number' && it < start) kept.push(l);
        }
        const iterations = kept.map((l) => (JSON.parse(l) as ProgressRecord).iteration);
        const whole = iterations.length === start && iterations.every((it, i) => it === i);
        if (cut > 0 || !whole) {
          log(`note: ${progressPath} ${cut > 0 ? `had ${cut} line${cut === 1 ? '' : 's'} cut short (dropped)${whole ? '' : ', and '}` : ''}${whole ? '' : `holds ${iterations.length} of the ${start} iterations before the checkpoint`}; the checkpoint is whole, and training goes on from it`);
        }
        // Whole or not at all: a stop while it is rewritten leaves the old log.
        writeFileWhole(progressPath, kept.map((l) => `${l}\n`).join(''));
      }
      repairSaves(opts.out, start, keepEvery);
      // Found by a determinism trial: a resume on another backend (auto, once a native package is
      // installed) went on with other rounding, and nothing said so.
      const was = (ck.meta as { versions?: { backend?: unknown } }).versions?.backend;
      const now = versions()['backend'];
      if (typeof was === 'string' && was !== now) {
        log(`note: the checkpoint was written on the ${was} backend and the run continues on ${now}: backends round differently, so the iterations from here differ from an uninterrupted run on ${was}, from the last digits on and possibly more over iterations (${cliOptionStyle() ? `--backend ${was}` : `initBackend('${was}')`} keeps it identical)`);
      }
      log(`resuming ${opts.out} at iteration ${start}${keepEvery ? `, keeping a snapshot every ${keepEvery === 1 ? 'iteration' : `${keepEvery} iterations`}` : ''}`);
    } else {
      const outProblem = outDirProblem(opts.out);
      if (outProblem !== null) throw new ConfigError(opt('out'), opts.out, outProblem);
      assertNoRun(opts.out);
      const fresh = freshParams(opts.initFrom);
      params = fresh.params;
      let initFrom: RecordedStart | undefined;
      if (opts.initFrom !== undefined) {
        const ck = fresh.ck!;
        // An absolute path: select finds the start again from any directory.
        initFrom = { run: resolve(opts.initFrom), iteration: ck.meta.iteration, weightsSha256: ck.meta.weightsSha256 };
        log(`starting from the parameters of ${opts.initFrom} (iteration ${ck.meta.iteration})`);
      }
      created = { files: [join(opts.out, 'config.json'), progressPath], dir: firstMissingDir(opts.out) };
      release = acquireLock(opts.out, opt('out'), 'trained'); // makes the directory
      // The modules that register the env, so that a later command missing them can name them.
      const envModules = opts.envModules?.map((m) => String(m));
      // The empty log first, and the config whole: a stop between or during them leaves a folder the
      // same command takes again (see assertNoRun).
      writeFileSync(progressPath, '');
      writeFileWhole(join(opts.out, 'config.json'), JSON.stringify({ config, ...(initFrom && { initFrom }), ...(keepEvery && { keepEvery }), ...(envModules?.length && { envModules }), versions: versions() }, null, 2));
    }
    // Whether the run goes on from a checkpoint (of iteration `start`), which it keeps whatever happens next.
    const fromCheckpoint = opts.resume === true && unsaved === null;
    try {
      return await trainFrom(config, opts, { env, makeEnv, supervised, root, start, params, optimizer, keepEvery, log, progressPath, fromCheckpoint, abortedAtCall });
    } catch (e) {
      // Failed before its first iteration ended (a worker that cannot start, a backend not initialised,
      // an env that throws at once): remove what this call wrote, so that the same call can be made
      // again once the cause is fixed. Nothing trained is lost.
      // An error before the loop (the agent could not be made) stopped the run before its first iteration too.
      if (typeof e === 'object' && e !== null && !trainingStop(e)) stops.set(e, { iteration: start + 1, out: opts.out, iterations: config.iterations, checkpoint: fromCheckpoint ? start : null, removed: false });
      const stop = trainingStop(e);
      let untrained = false;
      try {
        untrained = created !== null && !existsSync(join(opts.out, 'checkpoint')) && readFileSync(progressPath, 'utf8') === '';
      } catch {
        // The files are gone already: nothing to remove.
      }
      if (created !== null && untrained) {
        // The lock first, so that the folders made for the run can be found empty and removed.
        release?.();
        release = null;
        removeMade(opts.out, created.dir, created.files);
        if (stop) stop.removed = true;
      }
      throw e;
    }
  } finally {
    release?.();
  }
}

/** The state {@link train} hands to {@link trainFrom} once the run directory is set up. */
interface TrainStart {
  env: MetaEnv;
  makeEnv: () => MetaEnv;
  supervised: boolean;
  root: ReturnType<typeof createRng>;
  start: number;
  params: Float32Array[];
  optimizer: OptimizerState | undefined;
  keepEvery: number | undefined;
  log: (line: string) => void;
  progressPath: string;
  /** The run goes on from its checkpoint of iteration `start` (a resume of a run that has one). */
  fromCheckpoint: boolean;
  /** `opts.signal` was aborted already when {@link train} was called. */
  abortedAtCall: boolean;
}

/** The meta-iterations of {@link train}, from `s.start` on. */
async function trainFrom(config: TrainConfig, opts: TrainOptions, s: TrainStart): Promise<{ params: Float32Array[]; records: ProgressRecord[]; interrupted: boolean }> {
  const { env, makeEnv, supervised, root, start, params, optimizer, keepEvery, log, progressPath, fromCheckpoint } = s;
  const asked = opts.workers === 'auto' ? defaultWorkers(env, config, config.iterations - start) : opts.workers;
  const short = opts.workers === 'auto' && asked === 1 && !supervised && availableParallelism() > 1 ? `: auto, as the run samples ${runEnvSteps(config, env, config.iterations - start)} env steps, at most the ${AUTO_WORKERS_MIN_STEPS} up to which one worker is as fast` : '';
  // An iteration's work is split by task: a worker beyond one per task would only start (each loads
  // tfjs: 1000 of them filled 10 GB; found by an edge-input trial). The results do not depend on the count.
  const tasks = config.sampling.metaBatchSize;
  const workers = asked !== undefined && asked > tasks ? tasks : asked;
  const capped = workers !== asked ? `, one per task of the ${tasks} an iteration has: ${opts.workers === 'auto' ? 'auto' : asked} asked for more` : '';
  log(`training ${config.algo} on ${config.env} for ${config.iterations} iteration${config.iterations === 1 ? '' : 's'} → ${opts.out} (${workers ?? 1} worker${(workers ?? 1) === 1 ? '' : 's'}${capped}${short})`);
  if ((workers ?? 1) > availableParallelism()) log(`note: ${workers} workers take turns on ${availableParallelism()} cores; more workers than cores is usually slower`);
  const fvpNote = reluFiniteDifferenceNote(config);
  if (fvpNote) log(fvpNote);
  const agent = supervised
    ? new SupervisedMetaLearner(config, env as SupervisedMetaEnv, params, optimizer, { workers })
    : new MamlTrpo(config, makeEnv, params, { workers, envModules: opts.envModules });
  agent.rootRng = root;
  const data = envDataIdentity(env);
  const checkpoint = (iteration: number) =>
    saveCheckpoint(
      opts.out,
      {
        iteration,
        config,
        obsDim: env.observationSpace.shape[0],
        actDim: env.actionSpace.shape[0],
        shapes: agent.paramShapes,
        rng: { seed: config.seed, nextIteration: iteration },
        versions: versions(),
        ...(data !== null && { data }),
      },
      agent.params,
      agent instanceof SupervisedMetaLearner ? agent.adam : undefined,
    );
  const records: ProgressRecord[] = [];
  let end = opts.stopAfter !== undefined ? Math.min(config.iterations, start + opts.stopAfter) : config.iterations;
  let interrupted = false;
  let lastLine = performance.now();
  // Time left at the mean pace of this process's iterations after its first, which also starts the
  // workers, compiles kernels and fills caches (Omniglot decodes its images as tasks need them), so
  // its pace said little: none is given after it.
  let firstEnd = 0;
  const eta = (it: number) => etaText(performance.now() - firstEnd, it, start, end);
  const outcomes: string[] = [];
  // For an iteration that throws: which one, and the last checkpoint on disk (a resumed run's start is one).
  let current = start;
  let saved: number | null = fromCheckpoint ? start : null;
  try {
    for (let it = start; it < end; it++) {
      current = it;
      // Let the event loop run between iterations: with one worker an iteration never waits on
      // anything, so without this a signal handler (Ctrl-C) or a timer that aborts `signal` would
      // not run before the whole run had ended.
      await new Promise((r) => setImmediate(r));
      // Aborted already when train was called: no iteration is run (one aborted later, while the run
      // set up, stops after the first, as Ctrl-C does, so that the run keeps a checkpoint).
      if (it === start && s.abortedAtCall) {
        end = start;
        interrupted = true;
        break;
      }
      // Aborted during the iteration just done: with one worker, a signal's handler runs only now,
      // at the yield above (found by a crash trial: Ctrl-C ran one more whole iteration).
      if (it > start && opts.signal?.aborted) {
        end = it;
        interrupted = true;
        break;
      }
      const logs = await agent.step(env, it);
      if (it === start) firstEnd = performance.now();
      const rec: ProgressRecord = { ...logs, numTensors: agent.liveTensors() };
      appendFileSync(progressPath, `${JSON.stringify(rec)}\n`);
      records.push(rec);
      if ('lineSearchSteps' in logs) {
        log(
          `it ${String(it + 1).padStart(4)}/${config.iterations}  before ${logs.returnsBefore.toFixed(2).padStart(8)}  after ${logs.returnsAfter
            .toFixed(2)
            .padStart(8)}  kl ${logs.kl.toExponential(2)}  ${logs.stepOutcome}${logs.lineSearchAccepted ? `(${logs.lineSearchSteps})` : ''}${
              logs.cgStop === 'truncated' ? `  cg truncated at ${logs.cgIterations}` : ''
            }${logs.lrScale ? `  s ${logs.lrScale.mean.toFixed(3)} [${logs.lrScale.min.toFixed(2)}, ${logs.lrScale.max.toFixed(2)}]` : ''}  ${logs.time.total.toFixed(1)}s${eta(it)}`,
        );
        outcomes.push(logs.stepOutcome);
        const warning = stalledWarning(outcomes, start, config);
        if (warning) log(warning);
      } else if ((it + 1) % 100 === 0 || it === start || it + 1 === end || performance.now() - lastLine > 10_000) {
        // Sine iterations take milliseconds: a line every 100 of them, or every 10 s for slower ones (Omniglot).
        lastLine = performance.now();
        log(`it ${String(it + 1).padStart(6)}/${config.iterations}  query loss before ${logs.lossBefore.toFixed(4)}  after ${logs.lossAfter.toFixed(4)}  ${logs.time.total.toFixed(2)}s/it${eta(it)}`);
      }
      if ((it + 1) % config.checkpointEvery === 0 || it + 1 === config.iterations) {
        checkpoint(it + 1);
        saved = it + 1;
        if (keepEvery && (it + 1) % keepEvery === 0) keepSnapshot(opts.out, it + 1);
      }
      // Aborted: this iteration is the last (its checkpoint is written below).
      if (opts.signal?.aborted && it + 1 < end) {
        end = it + 1;
        interrupted = true;
      }
    }
  } catch (e) {
    if (typeof e === 'object' && e !== null) stops.set(e, { iteration: current + 1, out: opts.out, iterations: config.iterations, checkpoint: saved, removed: false });
    throw e;
  } finally {
    await agent.close();
  }
  if (end > start && end % config.checkpointEvery !== 0 && end !== config.iterations) checkpoint(end);
  return { params: agent.params, records, interrupted };
}
