import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, checkIntOption, checkOptionKeys, opt } from '../src/config.ts';
import { loadCheckpoint, runDirProblem } from '../src/checkpoint.ts';
import type { StepStat } from '../src/evaluation.ts';
import { TEST_SEED } from '../src/rng.ts';
import { compareMethods } from './compare.ts';
import { envFactory, isSupervised, snapshotDir } from './trainer.ts';

/** One checkpoint of a run that {@link selectCheckpoint} can pick. */
export interface Candidate {
  /**
   * `itN` for a kept snapshot, `final` for the run's own checkpoint, `start` for the checkpoint the
   * run was started from with `metarl train --init-from` (iteration 0 of this run).
   */
  name: string;
  /** The directory `metarl evaluate --run` takes for this checkpoint. */
  run: string;
  iteration: number;
}

/** One evaluated candidate. */
export interface ScoredCandidate extends Candidate {
  steps: StepStat[];
  /** See {@link selectionScore}. */
  score: number;
}

/** Everything `metarl select` writes to its JSON file. */
export interface Selection {
  env: string;
  run: string;
  seed: number;
  tasks: number;
  episodes: number;
  /** Env steps per batch, when given (`--batch-timesteps`). */
  batchTimesteps?: number;
  /** What the score is, in words. */
  score: string;
  candidates: ScoredCandidate[];
  /** The picked candidate's directory. */
  picked: string;
  /** Why a candidate was left out (e.g. the `--init-from` checkpoint has gone or changed). */
  notes: string[];
  /** Only checkpoints from this iteration on were scored (`--since`), when given. */
  since?: number;
}

/**
 * The checkpoints of a run: every snapshot kept by `metarl train --keep-every N`
 * (`run/snapshots/itN`), in order of iteration, then the run's last checkpoint unless a snapshot
 * already holds that iteration (`lastIteration`, read from the checkpoint when not given).
 */
export function listCandidates(run: string, lastIteration = loadCheckpoint(run).meta.iteration): Candidate[] {
  const dir = join(run, 'snapshots');
  const kept = existsSync(dir)
    ? readdirSync(dir)
        .map((d) => /^it(\d+)$/.exec(d))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[0], run: snapshotDir(run, Number(m[1])), iteration: Number(m[1]) }))
        .sort((a, b) => a.iteration - b.iteration)
    : [];
  if (!kept.some((c) => c.iteration === lastIteration)) kept.push({ name: 'final', run, iteration: lastIteration });
  return kept;
}

/**
 * The checkpoint `run` was started from with `metarl train --init-from` (recorded in
 * `run/config.json`), as the candidate `start`: fine-tuning is kept only if validation prefers it.
 * Left out, with a note saying why, if that checkpoint is no longer there or no longer holds the
 * weights the run started from. Nothing for a run started from a fresh initialisation.
 */
export function startCandidate(run: string): { candidate?: Candidate; note?: string } {
  const file = join(run, 'config.json');
  if (!existsSync(file)) return {};
  const from = (JSON.parse(readFileSync(file, 'utf8')) as { initFrom?: { run: string; weightsSha256: string } }).initFrom;
  if (!from) return {};
  if (!existsSync(join(from.run, 'checkpoint'))) return { note: `start (${from.run}, the --init-from checkpoint) left out: not found` };
  if (loadCheckpoint(from.run).meta.weightsSha256 !== from.weightsSha256) {
    return { note: `start (${from.run}, the --init-from checkpoint) left out: it no longer holds the weights this run started from` };
  }
  return { candidate: { name: 'start', run: from.run, iteration: 0 } };
}

/**
 * The candidates from iteration `since` on (`metarl select --since N`), in the same order: for
 * extending an earlier selection of the same run to the snapshots kept since, without scoring the
 * old ones again (on the same seed, tasks and episodes their scores do not change). The `start`
 * candidate (iteration 0) is kept only when `since` is 0. One left is enough: its score is set
 * against the earlier selection's pick (found by a README trial: one snapshot kept since is the
 * usual case, and it was refused). Throws a {@link ConfigError} naming `--since` when none is left.
 */
export function candidatesSince(candidates: readonly Candidate[], since: number): Candidate[] {
  const kept = candidates.filter((c) => c.iteration >= since);
  if (kept.length === 0) {
    const its = candidates.map((c) => c.iteration).join(', ');
    throw new ConfigError(opt('since'), since, `leaves no checkpoint to score (the run has iterations ${its})`);
  }
  return kept;
}

/**
 * The selection score of one evaluated checkpoint: the sum of the mean returns after steps
 * `fromStep`…K; by default 1…K (the adapted policies, which is what meta-training is for), 0…K
 * with `fromStep` 0 (the return before adapting counts too). The step-0 mean when K = 0.
 */
export function selectionScore(steps: readonly StepStat[], fromStep: 0 | 1 = 1): number {
  if (steps.length <= 1) return steps[0]?.mean ?? Number.NaN;
  return steps.slice(fromStep).reduce((s, x) => s + x.mean, 0);
}

/** {@link selectionScore} in words, for K adaptation steps, as `select` prints it after its pick. */
export function selectionScoreRule(K: number, fromStep: 0 | 1 = 1): string {
  if (K === 0) return 'mean return at step 0';
  if (K === 1 && fromStep === 1) return 'mean return after step 1';
  return `sum of the mean returns after steps ${fromStep}–${K}`;
}

/** Index of the highest score; a tie goes to the earlier candidate. NaN scores are never picked. */
export function bestIndex(scores: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) if (!Number.isNaN(scores[i]!) && (best < 0 || scores[i]! > scores[best]!)) best = i;
  if (best < 0) throw new Error('bestIndex: no candidate has a finite score');
  return best;
}

/** Options of {@link selectCheckpoint}. */
export interface SelectOptions {
  /** Run directory whose checkpoint and kept snapshots (`snapshots/itN`, `--keep-every`) are the candidates. */
  run: string;
  /** Seed of the validation tasks; must differ from {@link TEST_SEED}, the seed of the test tasks. */
  seed: number;
  /** Validation tasks, the same for every candidate. */
  tasks: number;
  /** Gradient steps of fine-tuning after step 0 (as {@link compareMethods}). */
  steps: number;
  /** Episodes per task and step. */
  episodes: number;
  /** When set, every batch is measured in env steps (`metarl evaluate --batch-timesteps`), from `episodes` env slots. */
  batchTimesteps?: number;
  /** Score only the checkpoints from this iteration on ({@link candidatesSince}). */
  since?: number;
  /** The first step the score sums over ({@link selectionScore}); default 1. */
  fromStep?: 0 | 1;
  /** Called after each task of each candidate (for a progress line). */
  onProgress?: ((candidate: string, done: number, total: number) => void) | undefined;
  /**
   * Keep each candidate's scores in `run/select-cache/` as soon as they are computed (one folder
   * per protocol: seed, tasks, episodes, steps, batch size), and read back those computed with
   * exactly the same weights, config, α, tasks, protocol, backend and versions instead of evaluating again: a
   * selection stopped part-way, or run again after more snapshots were kept, scores only what is
   * new. Node only. Default false.
   */
  cache?: boolean;
  /** Called when a candidate's scores are read back from the cache. */
  onReuse?: (candidate: string, file: string) => void;
}

/** The folder of {@link SelectOptions.cache} for this protocol: `run/select-cache/seed<S>-<tasks>x<episodes>-k<steps>[-b<batch>]`. */
export function selectCacheDir(opts: Pick<SelectOptions, 'run' | 'seed' | 'tasks' | 'episodes' | 'steps' | 'batchTimesteps'>): string {
  return join(opts.run, 'select-cache', `seed${opts.seed}-${opts.tasks}x${opts.episodes}-k${opts.steps}${opts.batchTimesteps !== undefined ? `-b${opts.batchTimesteps}` : ''}`);
}

/** Refuses {@link TEST_SEED} as the seed of the validation tasks ({@link SelectOptions.seed}), naming the option. */
export function refuseTestSeed(seed: number): void {
  if (seed === TEST_SEED) throw new ConfigError(opt('seed'), seed, 'is the seed of the test tasks (metarl evaluate and compare score on them by default); pick checkpoints on other tasks');
}

/** Every key of {@link SelectOptions}. */
const SELECT_OPTION_KEYS: Record<keyof SelectOptions, true> = { run: true, seed: true, tasks: true, steps: true, episodes: true, batchTimesteps: true, since: true, fromStep: true, onProgress: true, cache: true, onReuse: true };

/**
 * Picks a run's checkpoint on validation tasks: every candidate ({@link startCandidate},
 * {@link listCandidates}) is
 * evaluated with the paper's protocol on the same `tasks` tasks and episode streams drawn from
 * `seed` (the numbers `metarl evaluate --seed` gives for each one), and the one with the best
 * score ({@link selectionScore}: the sum of the mean returns after steps `fromStep`…`steps`) wins. The test tasks are never looked at.
 * @throws ConfigError naming the option: the test seed, bad counts, a supervised or oracle run,
 *   fewer than two checkpoints, an unknown option; CheckpointError for a checkpoint that cannot be read.
 */
export function selectCheckpoint(opts: SelectOptions): Selection {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ run, seed, tasks, steps, episodes, … })');
  checkOptionKeys(opts, SELECT_OPTION_KEYS, 'selectCheckpoint');
  checkIntOption('seed', opts.seed, 0);
  refuseTestSeed(opts.seed);
  checkIntOption('since', opts.since, 0, true);
  if (opts.fromStep !== undefined && opts.fromStep !== 0 && opts.fromStep !== 1) throw new ConfigError(opt('fromStep'), opts.fromStep, 'must be 0 (score steps 0…K) or 1 (steps 1…K, the default)');
  const problem = typeof opts.run === 'string' ? runDirProblem(opts.run) : 'must be the path of a run directory';
  if (problem !== null) throw new ConfigError(opt('run'), opts.run, problem);
  const { config, iteration } = loadCheckpoint(opts.run).meta;
  const env = config.env;
  // Before counting snapshots: a supervised run is refused whatever it keeps.
  if (isSupervised(envFactory(config)())) throw new ConfigError(opt('run'), opts.run, `is a run of ${env}, a supervised env; select picks among the checkpoints of RL runs`);
  if (config.algo === 'oracle') throw new ConfigError(opt('run'), opts.run, 'is an oracle run, which is evaluated without adaptation; use its last checkpoint');
  const start = startCandidate(opts.run);
  const all = [...(start.candidate ? [start.candidate] : []), ...listCandidates(opts.run, iteration)];
  const candidates = opts.since !== undefined ? candidatesSince(all, opts.since) : all;
  if (all.length < 2) throw new ConfigError(opt('run'), opts.run, `has only its final checkpoint to choose from; train with ${opt('keepEvery', undefined, '--keep-every N')} to keep snapshots`);
  const c = compareMethods({
    env,
    methods: candidates.map((k) => ({ name: k.name, run: k.run })),
    tasks: opts.tasks,
    steps: opts.steps,
    episodes: opts.episodes,
    ...(opts.batchTimesteps !== undefined ? { batchTimesteps: opts.batchTimesteps } : {}),
    seed: opts.seed,
    onProgress: opts.onProgress,
    ...(opts.cache ? { partialDir: selectCacheDir(opts), onReuse: opts.onReuse } : {}),
  });
  const scored = candidates.map((k, i) => ({ ...k, steps: c.methods[i]!.steps, score: selectionScore(c.methods[i]!.steps, opts.fromStep) }));
  const best = bestIndex(scored.map((s) => s.score));
  return {
    env,
    run: opts.run,
    seed: opts.seed,
    tasks: c.tasks,
    episodes: opts.episodes,
    ...(opts.batchTimesteps !== undefined ? { batchTimesteps: opts.batchTimesteps } : {}),
    score: selectionScoreRule(opts.steps, opts.fromStep),
    candidates: scored,
    picked: scored[best]!.run,
    notes: [
      ...(start.note && !opts.since ? [start.note] : []),
      ...(candidates.length === 1 ? [`${candidates[0]!.name} is the only checkpoint from iteration ${opts.since} on: set its score against the earlier selection's pick (same seed, tasks, steps and episodes)`] : []),
    ],
    ...(opts.since !== undefined ? { since: opts.since } : {}),
  };
}

/** The selection as a markdown table, the pick in bold, then a line naming it. */
export function selectionMarkdown(s: Selection): string {
  const K = s.candidates[0]!.steps.length - 1;
  const head = ['checkpoint', 'iteration', ...Array.from({ length: K + 1 }, (_, k) => `step ${k}`), 'score'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const c of s.candidates) {
    const b = c.run === s.picked ? (x: string) => `**${x}**` : (x: string) => x;
    const cells = [c.name, String(c.iteration), ...c.steps.map((x) => `${x.mean.toFixed(2)} ± ${x.sem.toFixed(2)}`), c.score.toFixed(2)];
    lines.push(`| ${cells.map(b).join(' | ')} |`);
  }
  const since = s.since !== undefined ? `, checkpoints from iteration ${s.since} on` : '';
  lines.push('', ...s.notes.map((n) => `note: ${n}`), `picked ${s.picked} (${s.score}, ${s.tasks} validation tasks from seed ${s.seed}${since})`);
  return lines.join('\n');
}
