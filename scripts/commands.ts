/**
 * The `metarl` commands (all but help and version): thin wrappers over the library (no algorithm
 * logic here). `cli.ts` imports this module only when a command runs, so that `metarl --help`
 * does not load tfjs.
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { initBackend, type BackendName } from '../src/backend.ts';
import { isBackendName } from '../src/backend-names.ts';
import { ConfigError, DEFAULT_SEED, resolveConfig, validateConfig } from '../src/config.ts';
import { didYouMean } from '../src/suggest.ts';
import { lineChartSvg } from '../src/line-chart.ts';
import { parseProgress } from '../src/progress.ts';
import { trainingCurvesSpec } from '../agents/curves.ts';
import { loadCheckpoint } from '../src/checkpoint.ts';
import { splitMeta } from '../src/maml.ts';
import { UnknownEnvError, checkEnv, make, listEnvs } from '../envs/index.ts';
import { assertNoRun, envFactory, isSupervised, presetFor, resumeProblem, train, uncheckpointedRun } from '../agents/trainer.ts';
import { dataMismatch, spacesMismatch } from '../envs/factory.ts';
import { evaluateSupervised, fewShotClassifier, ownSupportSet, refuseShots } from '../agents/supervised-meta.ts';
import { OmniglotDataError, omniglotPath } from '../envs/omniglot-register.ts';
import { loadOneShotRuns } from '../envs/omniglot-files.ts';
import { evaluateOneShotRuns } from '../envs/omniglot.ts';
import { evaluateAdaptation, formatStepTable } from '../src/evaluation.ts';
import { GaussianMlpPolicy } from '../src/policy.ts';
import { createRng, TEST_SEED } from '../src/rng.ts';
import { checkTask, readTaskFile } from '../src/task-file.ts';
export { cmdCompare } from './compare.ts';
import { evaluationTasks } from '../agents/compare.ts';
import { refuseTestSeed, selectCheckpoint, selectionMarkdown } from '../agents/select.ts';
import { filmstripSvg, isRenderable, rolloutAdapted, rolloutSvg } from '../agents/render.ts';
import { svgToPng } from '../src/png-node.ts';
import { inspectCheckpoint, inspectionMarkdown } from '../agents/inspect.ts';
import type { Task } from '../src/types.ts';
export { cmdBench } from './bench.ts';
import { firstMissingDir, makeDir, notWritableProblem, realPath, removeMade, writeFileWhole } from '../src/out-paths.ts';
import { releaseLock } from '../src/run-lock.ts';
import { checkEpisodeSlots, checkOutFile, writeJsonFile, chooseEnv, emptyEnvModules, envModuleFlags, envModuleIds, intOpt, loadEnvModules, readConfigFile, requireRunDir, resumeCommand, shellQuote, taskProgress } from './args.ts';
import {
  BACKENDS, CHECK_OPTIONS, PLOT_OPTIONS, EVALUATE_OPTIONS, INSPECT_OPTIONS, ONESHOT_OPTIONS, RENDER_OPTIONS, SELECT_OPTIONS, TRAIN_OPTIONS,
} from './options.ts';

/** `metarl select` scores checkpoints on tasks drawn from this seed: never the test seed (TEST_SEED). */
const DEFAULT_VALIDATION_SEED = 777;
/** The env `metarl train` uses when `--env` is not given. */
const DEFAULT_ENV = 'Navigation2D-v0';

/** The value of `--backend`, checked. */
export function backendOpt(v: string | undefined): BackendName {
  const b = v ?? 'auto';
  if (!isBackendName(b)) throw new ConfigError('--backend', b, `must be one of ${BACKENDS.join(', ')}${didYouMean(b, BACKENDS)}`);
  return b;
}

/** Progress and messages go to stderr, one line each. */
export const log = (line: string) => process.stderr.write(`${line}\n`);
const progress = taskProgress();

/** Config fields that train's flags set: a refusal of such a field's value names the flag when the flag gave it. */
const FLAG_OF_FIELD: Record<string, keyof typeof TRAIN_OPTIONS> = {
  algo: 'algo',
  seed: 'seed',
  iterations: 'iterations',
  'sampling.metaBatchSize': 'meta-batch-size',
  'sampling.fastBatchSize': 'fast-batch-size',
  'adaptation.firstOrder': 'first-order',
};

/** The `train` subcommand. */
export async function cmdTrain(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: TRAIN_OPTIONS,
  });
  try {
    await trainWith(o);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The field is named as its flag when the flag gave the value, not when the config file did (found by a bad-input trial).
    const flag = Object.hasOwn(FLAG_OF_FIELD, e.field) ? FLAG_OF_FIELD[e.field]! : undefined;
    const given = o[flag as keyof typeof o];
    // As the flag's value reads (digits as a number): the file's value is another one.
    const asRead = typeof given === 'string' && /^\d+$/.test(given) ? Number(given) : given;
    const byFlag = flag !== undefined && given !== undefined && Object.is(e.value, asRead);
    // So are the other fields the reason names by their paths ("with sampling.fastBatchSize 5").
    let reason = e.reason;
    for (const [path, f] of Object.entries(FLAG_OF_FIELD)) if (path.includes('.') && o[f] !== undefined) reason = reason.replaceAll(`${path} `, `--${f} `);
    if (byFlag || reason !== e.reason) throw new ConfigError(byFlag ? `--${flag}` : e.field, e.value, reason);
    throw e;
  }
}

async function trainWith(o: ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: typeof TRAIN_OPTIONS }>>['values']): Promise<void> {
  const envModules = await loadEnvModules(o['env-module']);
  const backend = backendOpt(o.backend);
  const keepEvery = intOpt('keep-every', o['keep-every'], 1);
  // Worker threads are a run-time resource, not config: results do not depend on them
  // (default: one per core; one for regression and for short RL runs, see defaultWorkers).
  const workers = o.workers === 'auto' ? 'auto' : (intOpt('workers', o.workers, 1) ?? 'auto');
  const iterations = intOpt('iterations', o.iterations, 1);
  const fileCfg = o.config !== undefined ? readConfigFile(o.config) : {};
  // Resuming a given --out, the run's own config names the env; otherwise choose it (and the default --out from it).
  const envId = o.resume && o.out !== undefined ? undefined : chooseEnv(o.env, fileCfg, o.config, DEFAULT_ENV);
  // The flags that set config values, as overrides of the preset and config file.
  const cliOverrides = (): Record<string, unknown> => {
    const cli: Record<string, unknown> = {};
    const seed = intOpt('seed', o.seed, 0);
    if (seed !== undefined) cli.seed = seed;
    if (iterations !== undefined) cli.iterations = iterations;
    const mbs = intOpt('meta-batch-size', o['meta-batch-size'], 1);
    const fbs = intOpt('fast-batch-size', o['fast-batch-size'], 1);
    if (mbs !== undefined || fbs !== undefined) cli.sampling = { ...(mbs !== undefined && { metaBatchSize: mbs }), ...(fbs !== undefined && { fastBatchSize: fbs }) };
    if (o['first-order']) cli.adaptation = { firstOrder: true };
    if (o.algo !== undefined) cli.algo = o.algo;
    return cli;
  };
  // The default --out is named after the run's seed, as resolved: --seed, else the config file's, else the default.
  const defaultOut = (seed: number) => join('runs', `${envId}-seed${seed}`);
  if (o['init-from'] !== undefined) requireRunDir('--init-from', o['init-from']);
  let config;
  let out: string;
  if (o.resume) {
    const fileSeed = typeof fileCfg === 'object' && fileCfg !== null ? (fileCfg as { seed?: unknown }).seed : undefined;
    out = o.out ?? defaultOut(intOpt('seed', o.seed, 0) ?? (Number.isSafeInteger(fileSeed) && (fileSeed as number) >= 0 ? (fileSeed as number) : DEFAULT_SEED));
    // A run stopped before its first checkpoint is started over with the config its config.json records.
    requireRunDir('--out', out, resumeProblem);
    config = uncheckpointedRun(out)?.config ?? validateConfig(loadCheckpoint(out).meta.config);
    const keeps = 'a resumed run keeps its config; only --iterations, --backend, --workers, --keep-every and --env-module may change';
    // A flag that repeats the run's own value (the first command with --resume added) changes nothing.
    const runValue: Record<string, unknown> = {
      env: config.env,
      seed: config.seed,
      algo: config.algo,
      'meta-batch-size': config.sampling.metaBatchSize,
      'fast-batch-size': config.sampling.fastBatchSize,
      'first-order': config.adaptation.firstOrder,
    };
    for (const [k, theirs] of Object.entries(runValue)) {
      const v = (o as Record<string, unknown>)[k];
      if (v === undefined) continue;
      // Numbers read as a new run reads them (digits only), so a bad value is named as such.
      const mine = typeof theirs === 'number' ? intOpt(k, v as string, k === 'seed' ? 0 : 1) : v;
      if (mine !== theirs) throw new ConfigError(`--${k}`, v, `differs from the run's ${JSON.stringify(theirs)} (${keeps})`);
    }
    // So do --preset and --config (the first command with --resume added) when, with the other flags,
    // they resolve to the run's config; iterations aside, which a resume may change.
    if (o.preset !== undefined || o.config !== undefined) {
      const env = chooseEnv(o.env, fileCfg, o.config, config.env);
      const given = resolveConfig(make(env), o.preset, fileCfg, cliOverrides());
      // Every field that differs, up to three (found by a bad-input trial: one the preset set was named, not the file's).
      const at = differences({ ...given, iterations: 0 }, { ...config, iterations: 0 });
      if (at.length > 0) {
        const [flag, value] = o.preset !== undefined ? ['--preset', o.preset] : ['--config', o.config];
        const withFile = o.preset !== undefined && o.config !== undefined ? `with --config ${o.config} ` : '';
        const listed = at.slice(0, 3).map((d) => `${d.path} = ${JSON.stringify(d.a)} where the run has ${JSON.stringify(d.b)}`).join(', ');
        throw new ConfigError(flag, value, `${withFile}gives ${listed}${at.length > 3 ? `, and ${at.length - 3} more` : ''} (${keeps})`);
      }
    }
    if (iterations !== undefined) config.iterations = iterations;
  } else {
    const cli = cliOverrides();
    // A supervised preset on an RL env: the preset is at fault, not the algo it sets.
    if ((o.preset === 'sine' || o.preset === 'omniglot') && !isSupervised(make(envId!))) {
      throw new ConfigError('--preset', o.preset, `is for the supervised envs, and ${envId} is an RL env: use ${presetFor(make(envId!))} (its own), or tiny for a quick run`);
    }
    // And the other way round: an RL preset on a supervised env (its error would name a field the preset set).
    if ((o.preset === 'navigation' || o.preset === 'cheetah') && isSupervised(make(envId!))) {
      throw new ConfigError('--preset', o.preset, `is for the RL envs, and ${envId} is a supervised env: use ${presetFor(make(envId!))} (its own), or tiny for a quick run`);
    }
    config = resolveConfig(make(envId!), o.preset, fileCfg, cli);
    // Found by a bad-input trial: taken, and ignored. These algos train one policy without an inner loop.
    if (o['first-order'] && (config.algo === 'pretrained' || config.algo === 'oracle' || config.algo === 'protonet')) {
      throw new ConfigError('--first-order', true, `does not apply to algo ${config.algo}, which trains without an inner loop (first order is a kind of meta-gradient)`);
    }
    out = o.out ?? defaultOut(config.seed);
    assertNoRun(out);
  }
  await initBackend(backend, { log });
  // What a new run will have made, for a stop at once before its first checkpoint: the directories of
  // its path it created (from the highest one that did not exist), or its two files.
  const madeDir = firstMissingDir(out);
  // Ctrl-C (or SIGTERM): finish the iteration under way and checkpoint it; a second one quits at once.
  const stop = new AbortController();
  const exitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143); // 128 + the signal's number, as shells report it
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      // `npm run train` passes the terminal's Ctrl-C on, so one keypress can arrive twice: only a later one quits.
      if (performance.now() - firstSignalAt > 1500) {
        let at: number | null = null;
        try {
          at = loadCheckpoint(out).meta.iteration;
        } catch {
          // none yet (or none readable)
        }
        if (at !== null) {
          log(`metarl: ${signal} again: stopped at once; ${out} goes back to its checkpoint of iteration ${at} (the iterations after it are lost), from which \`${resumeCommand(out, config.iterations)}\` continues`);
        } else if (!o.resume) {
          // Nothing trained yet: leave --out as it was, so that the same command can be run again
          // (the folders made for it go only if empty: another run may have been started in them).
          releaseLock(out);
          const own = existsSync(out) ? readdirSync(out).filter((f) => f === 'config.json' || f === 'progress.jsonl' || f.startsWith('checkpoint.tmp-')) : [];
          removeMade(out, madeDir, own.map((f) => join(out, f)));
          log(`metarl: ${signal} again: stopped at once, before the first checkpoint: nothing is kept, and ${out} is left as it was: run the same command again`);
        } else {
          log(`metarl: ${signal} again: stopped at once; ${out} has no checkpoint yet, and \`${resumeCommand(out, config.iterations)}\` starts it over from iteration 0`);
        }
        process.exit(exitCode(signal));
      }
      return;
    }
    firstSignalAt = performance.now();
    stop.abort(signal);
    log(`metarl: ${signal}: stopping after the iteration under way, with a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again, a moment later, stops at once, losing it)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result;
  try {
    result = await train(config, { out, resume: o.resume, log, workers, keepEvery, initFrom: o['init-from'], envModules, signal: stop.signal });
  } catch (e) {
    // A finished run resumed without --iterations: the flag is what is missing (the library names the value it was given).
    if (o.resume && iterations === undefined && e instanceof ConfigError && e.field === '--iterations') {
      throw new ConfigError('--iterations', undefined, `is needed: the run in ${out} has trained the ${config.iterations} iterations it was given; give --iterations with a larger number to train on`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { records, interrupted } = result;
  if (interrupted) {
    const at = loadCheckpoint(out).meta.iteration;
    log(`metarl: stopped at iteration ${at} of ${config.iterations}; the checkpoint is in ${join(out, 'checkpoint')}, and \`${resumeCommand(out, config.iterations)}\` goes on from it`);
    process.exitCode = exitCode(stop.signal.reason as NodeJS.Signals);
    return;
  }
  // The run's last 10 iterations, from its log: a resumed run's include those before the resume.
  const logged = readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as (typeof records)[number]);
  const last = (logged.length >= records.length ? logged : records).slice(-10);
  const lastN = `last ${last.length} iteration${last.length === 1 ? '' : 's'}`;
  if (last.length > 0) {
    const avg = (f: (r: (typeof last)[number]) => number) => last.reduce((a, r) => a + f(r), 0) / last.length;
    const n = config.adaptation.numInnerSteps;
    // A supervised run's return is minus its query loss: the loss is what it reports.
    const supervised = isSupervised(envFactory(config)());
    const label = supervised ? 'mean query loss' : 'mean return';
    const sign = supervised ? -1 : 1;
    // The baselines do not adapt in training: one column.
    const table = ['pretrained', 'oracle'].includes(config.algo)
      ? `| ${config.env}, ${lastN} | ${config.algo} (no adaptation) |\n|---|---|\n| ${label} | ${avg((r) => sign * r.returnsBefore).toFixed(supervised ? 4 : 2)} |`
      : (() => {
          // ProtoNets classify by prototypes: "before" is the loss of the linear head they do not use.
          const [before, after] = config.algo === 'protonet' ? ['linear head (unused)', 'nearest prototype'] : ['before adaptation', `after ${n} inner step${n === 1 ? '' : 's'}`];
          return `| ${config.env}, ${lastN} | ${before} | ${after} |\n|---|---|---|\n| ${label} | ${avg((r) => sign * r.returnsBefore).toFixed(supervised ? 4 : 2)} | ${avg((r) => sign * r.returnsAfter).toFixed(supervised ? 4 : 2)} |`;
        })();
    process.stdout.write(`\n${table}\n\nrun: ${out} (evaluate with: metarl evaluate --run ${shellQuote(out)}${envModuleFlags() ? ` ${envModuleFlags()}` : ''})\n`);
  }
}

/** Checks `--run` is given and names a run directory. */
/**
 * The places, in key order, where two JSON-like values differ: each one's dotted path and the two
 * values there (undefined for a missing key); empty when they are equal.
 */
export function differences(a: unknown, b: unknown, path = '', into: { path: string; a: unknown; b: unknown }[] = []): { path: string; a: unknown; b: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], path ? `${path}.${k}` : k, into);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    into.push({ path, a, b });
  }
  return into;
}

function requireRun(run: string | undefined): asserts run is string {
  requireRunDir('--run', run);
}

export async function cmdEvaluate(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: EVALUATE_OPTIONS,
  });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  checkOutFile('--json', o.json);
  if (o['task-file'] !== undefined && o.tasks !== undefined) throw new ConfigError('--tasks', o.tasks, 'cannot be combined with --task-file (the file gives the tasks)');
  const nTasks = intOpt('tasks', o.tasks, 1) ?? 40;
  let steps = intOpt('steps', o.steps, 0) ?? 3;
  const episodes = intOpt('episodes', o.episodes, 1) ?? 40;
  const batchTimesteps = intOpt('batch-timesteps', o['batch-timesteps'], 1);
  const seed = intOpt('seed', o.seed, 0) ?? TEST_SEED;
  const backend = backendOpt(o.backend);
  // A task file that is not there is named before the backend is loaded (the file is read later, against the run's env).
  if (o['task-file'] !== undefined && !existsSync(o['task-file'])) throw new ConfigError('--task-file', o['task-file'], 'file not found');
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  await initBackend(backend, { log });
  const makeEnv = envFactory(cfg);
  const rng = createRng(seed).fork('evaluate');
  const evalEnv = makeEnv();
  // Other data than the run's (another Omniglot set) may be the point, but should not go unnoticed.
  const mismatch = dataMismatch(ck.meta.data, evalEnv);
  if (mismatch !== null) log(`metarl: note: ${mismatch}`);
  if (isSupervised(evalEnv)) {
    if (o['task-file'] !== undefined) throw new ConfigError('--task-file', o['task-file'], `is for RL envs; ${cfg.env} draws its held-out tasks from --seed`);
    if (batchTimesteps !== undefined) throw new ConfigError('--batch-timesteps', o['batch-timesteps'], `is for RL envs; ${cfg.env} adapts on --shots examples`);
    if (o.episodes !== undefined) throw new ConfigError('--episodes', o.episodes, `is for RL envs; ${cfg.env} adapts on --shots examples`);
    // Horizon-1 tasks: K-shot adaptation scored on held-out query examples (defaults: 600 tasks, 10 steps).
    const n = o.tasks === undefined ? 600 : nTasks;
    const k = o.steps === undefined ? 10 : steps;
    const tasks = evaluationTasks(evalEnv, n, seed);
    const shots = intOpt('shots', o.shots, 1);
    if (shots !== undefined) refuseShots(evalEnv, '--shots', o.shots);
    if (shots !== undefined) cfg.supervised = { ...cfg.supervised, shots, queries: shots };
    const own = ownSupportSet(evalEnv);
    const K = own?.shots ?? cfg.supervised.shots;
    const protonet = cfg.algo === 'protonet';
    // As an oracle run is scored: as it is (oneshot does the same).
    if (protonet && o.steps !== undefined && k > 0) log('protonet run: scored by the nearest prototype, without gradient steps (step 0 only)');
    const how = protonet ? 'nearest prototype' : `${k} step${k === 1 ? '' : 's'}`;
    log(`evaluating ${o.run} (iteration ${ck.meta.iteration}, ${cfg.algo}) on ${n} held-out task${n === 1 ? '' : 's'}, K = ${K} support example${K === 1 ? '' : 's'} per ${own ? 'class' : 'task'}, ${how}`);
    const { metric, stats } = evaluateSupervised(cfg, evalEnv, ck.params, { tasks, steps: k, rng, onTask: (d, m) => progress('', d, m) });
    process.stdout.write(`${formatStepTable(cfg.env, stats, metric === 'mse' ? 'query MSE (mean ± s.e.m.)' : 'query accuracy % (mean ± s.e.m.)')}\n`);
    if (o.json) {
      const doc = { env: cfg.env, run: o.run, algo: cfg.algo, iteration: ck.meta.iteration, seed, metric, shots: K, tasks: n, steps: stats.map(({ step, mean, sem }) => ({ step, mean, sem })), perTask: stats.map((s) => s.perTask), taskList: tasks };
      writeJsonFile(o.json, doc);
    }
    return;
  }
  if (o.shots !== undefined) throw new ConfigError('--shots', o.shots, `is for supervised envs; ${cfg.env} adapts on --episodes episodes`);
  checkEpisodeSlots(episodes, evalEnv);
  if (cfg.algo === 'oracle' && steps > 0) {
    // The oracle sees the task in its observation: it is scored as it is, as compare scores it.
    log('oracle run: evaluated without adaptation (step 0 only)');
    steps = 0;
  }
  const changed = spacesMismatch(ck.meta, makeEnv());
  if (changed !== null) throw new ConfigError('--run', o.run, changed);
  const policy = new GaussianMlpPolicy(ck.meta.obsDim, ck.meta.actDim, cfg.policy);
  const taskFile = o['task-file'];
  const tasks = taskFile !== undefined ? readTaskFile(taskFile, evalEnv) : evaluationTasks(evalEnv, nTasks, seed);
  log(`evaluating ${o.run} (iteration ${ck.meta.iteration}) on ${tasks.length} held-out task${tasks.length === 1 ? '' : 's'}${taskFile !== undefined ? ` from ${taskFile}` : ''}, ${steps} step${steps === 1 ? '' : 's'}, ${batchTimesteps !== undefined ? `batches of at least ${batchTimesteps} env steps from ${episodes} env slots in lockstep` : `${episodes} episodes per step`}`);
  const meta = splitMeta(ck.params, policy.shapes.length, cfg.adaptation.learnedLr);
  const stats = evaluateAdaptation(policy, meta.theta, makeEnv, {
    tasks,
    steps,
    episodes,
    ...(batchTimesteps !== undefined ? { batchTimesteps } : {}),
    fastLr: cfg.adaptation.fastLr,
    lrScale: meta.lrScale,
    advantages: { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff },
    rng,
    onTask: (d, n) => progress('', d, n),
  });
  process.stdout.write(`${formatStepTable(cfg.env, stats)}\n`);
  if (batchTimesteps !== undefined) {
    // The same policies scored on each slot's first episode only (the fixed-count batch), and the batch sizes.
    const first = stats.map((s) => ({ step: s.step, ...s.firstEpisodes! }));
    process.stdout.write(`${formatStepTable('first episode of each slot', first)}\n`);
    process.stdout.write(`episodes per task and step (mean): ${stats.map((s) => s.episodes!.toFixed(1)).join(' / ')}\n`);
  }
  if (o.json) {
    const steps = stats.map(({ step, mean, sem, episodes: n, firstEpisodes: f }) => ({ step, mean, sem, ...(n !== undefined ? { episodes: n } : {}), ...(f !== undefined ? { firstEpisodes: { mean: f.mean, sem: f.sem } } : {}) }));
    const doc = { env: cfg.env, run: o.run, iteration: ck.meta.iteration, seed, tasks: tasks.length, ...(taskFile !== undefined ? { taskFile } : {}), episodes, ...(batchTimesteps !== undefined ? { batchTimesteps } : {}), steps, perTask: stats.map((s) => s.perTask), taskList: tasks };
    writeJsonFile(o.json, doc);
  }
}

/**
 * `metarl select --run DIR`: evaluates every snapshot the run kept (`--keep-every`) and its last
 * checkpoint on validation tasks (`--seed`, default 777), prints the table and the picked
 * checkpoint's directory, which `metarl evaluate --run` then scores once on the test tasks.
 * `--since ITER` scores only the checkpoints from that iteration on (a run trained further);
 * `--from-step 0` counts the return before adapting in the score too.
 */
export async function cmdSelect(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: SELECT_OPTIONS,
  });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  // 0 or 1, and said so for any other value (found by a bad-input trial: "x" was told to be a non-negative integer).
  if (o['from-step'] !== undefined && o['from-step'] !== '0' && o['from-step'] !== '1') throw new ConfigError('--from-step', o['from-step'], 'must be 0 (score steps 0…K) or 1 (steps 1…K, the default)');
  const fromStep = o['from-step'] === '0' ? 0 : 1;
  const seed = intOpt('seed', o.seed, 0) ?? DEFAULT_VALIDATION_SEED;
  refuseTestSeed(seed); // as selectCheckpoint does, before the backend is loaded
  const since = intOpt('since', o.since, 0);
  const tasks = intOpt('tasks', o.tasks, 1) ?? 40;
  const steps = intOpt('steps', o.steps, 0) ?? 3;
  const episodes = intOpt('episodes', o.episodes, 1) ?? 40;
  checkEpisodeSlots(episodes, make(loadCheckpoint(o.run).meta.config.env));
  const batchTimesteps = intOpt('batch-timesteps', o['batch-timesteps'], 1);
  checkOutFile('--json', o.json);
  const backend = backendOpt(o.backend);
  // A run this process may not write in (another user's) is scored all the same, without keeping the scores.
  const unwritable = notWritableProblem(join(o.run, 'select-cache'));
  if (unwritable !== null) log(`select: note: ${join(o.run, 'select-cache')} ${unwritable}: the scores are not kept for the next select`);
  await initBackend(backend, { log });
  const sel = selectCheckpoint({
    run: o.run,
    seed,
    tasks,
    steps,
    episodes,
    ...(batchTimesteps !== undefined ? { batchTimesteps } : {}),
    ...(since !== undefined ? { since } : {}),
    fromStep: fromStep as 0 | 1,
    onProgress: (name, d, n) => progress(`${name}: `, d, n),
    cache: unwritable === null,
    onReuse: (name, file) => log(`${name}: scored before with these weights and this protocol, read back from ${file}`),
  });
  process.stdout.write(`${selectionMarkdown(sel)}\n`);
  if (o.json) writeJsonFile(o.json, sel);
}

/** `metarl render --run DIR --task JSON [--steps 1] [--episodes 20] [--seed N] --out FILE.svg`: an animated SVG (+ PNG filmstrip). */
export async function cmdRender(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: RENDER_OPTIONS });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  // A run it cannot draw is named before --out is asked for (found by an API trial: --out first, then this).
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  const makeEnv = envFactory(cfg);
  if (!isRenderable(makeEnv())) throw new ConfigError('--run', o.run, `is a run of ${cfg.env}; render draws the half-cheetah envs (and ones built on them); the browser demo (npm run demo -- --run DIR) shows runs of the built-in 2D navigation`);
  if (!o.out) throw new ConfigError('--out', undefined, 'is required (an .svg file; a .png filmstrip is written beside it)');
  if (existsSync(o.out) && statSync(o.out).isDirectory()) throw new ConfigError('--out', o.out, 'is a directory; give an .svg file name');
  if (!/\.svg$/i.test(o.out)) throw new ConfigError('--out', o.out, 'must be a file name ending in .svg (the .png filmstrip is written beside it)');
  checkOutFile('--out', o.out);
  let task: Task;
  if (o.task === undefined) {
    task = makeEnv().sampleTasks(1, createRng(0).fork('render-task'))[0]!;
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(o.task);
    } catch (e) {
      throw new ConfigError('--task', o.task, `is not valid JSON: ${(e as Error).message}`);
    }
    // As a task file's tasks are checked: a bad field named, and an unknown key refused (found by a bad-input trial).
    task = checkTask(parsed, makeEnv(), '--task');
  }
  // An oracle sees the task and is evaluated without adapting (as in compare).
  const oracle = cfg.algo === 'oracle';
  const steps = intOpt('steps', o.steps, 0) ?? (oracle ? 0 : 1);
  if (oracle && steps > 0) throw new ConfigError('--steps', o.steps, 'must be 0 for an oracle run: it sees the task and is drawn without adapting');
  const episodes = intOpt('episodes', o.episodes, 1) ?? 20;
  // As evaluate's (found by a bad-input trial: 100000000 grew to 4 GB).
  checkEpisodeSlots(episodes, makeEnv());
  await initBackend(backendOpt(o.backend), { log });
  const r = rolloutAdapted(cfg, ck.params, makeEnv, task, steps, episodes, intOpt('seed', o.seed, 0) ?? 0);
  const svg = rolloutSvg(r, `${cfg.env} (${cfg.algo}, iteration ${ck.meta.iteration})`);
  const png = o.out.replace(/\.svg$/i, '') + '.png';
  writePair(o.out, svg, png, await svgToPng(filmstripSvg(r), 1));
  process.stdout.write(`task ${JSON.stringify(task)}: episode return ${r.episodeReturn.toFixed(2)} after ${steps} step(s) (adaptation returns ${r.adaptationReturns.map((x) => x.toFixed(1)).join(', ') || 'none'}); wrote ${o.out} and ${png}\n`);
}

/** `metarl oneshot --run DIR [--data one_shot_runs.zip] [--steps K]`: the official 20-way 1-shot benchmark. */
export async function cmdOneShot(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: ONESHOT_OPTIONS });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  checkOutFile('--json', o.json);
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  const env = envFactory(cfg)();
  if (!isSupervised(env) || env.loss !== 'cross-entropy') throw new ConfigError('--run', o.run, `is a run of ${cfg.env}, not a classification run`);
  const protonet = cfg.algo === 'protonet';
  // The official runs are 20-way: a model with another number of outputs cannot classify them (ProtoNets can: they need no head).
  if (!protonet && env.outputDim !== 20) throw new ConfigError('--run', o.run, `classifies ${env.outputDim} ways, and the official runs are 20-way: use a 20-way run (Omniglot20Way1Shot-v0) or a protonet run`);
  // After the run's checks (found by a bad-input trial: a navigation run was told the data is missing).
  const data = o.data ?? join(dirname(omniglotPath()), 'one_shot_runs.zip');
  if (!existsSync(data)) throw new ConfigError('--data', data, 'not found (the official one_shot_runs.zip)');
  const steps = intOpt('steps', o.steps, 0) ?? cfg.adaptation.numInnerSteps;
  // As evaluate scores it (a script may pass --steps to every run): noted, not refused.
  if (protonet && o.steps !== undefined && steps > 0) log('protonet run: classified by the nearest prototype, without gradient steps (--steps is not used)');
  let runs: ReturnType<typeof loadOneShotRuns>;
  try {
    runs = loadOneShotRuns(data);
  } catch (e) {
    throw new ConfigError('--data', data, `is not the official one_shot_runs.zip: ${(e as Error).message}`);
  }
  await initBackend(backendOpt(o.backend), { log });
  const res = await evaluateOneShotRuns(runs, fewShotClassifier(cfg, env, ck.params, steps));
  const how = protonet ? 'nearest prototype' : `${steps} step${steps === 1 ? '' : 's'}`;
  process.stdout.write(`official one-shot runs (20-way 1-shot, ${res.perRun.length} runs, ${res.total} queries): error rate ${(100 * res.errorRate).toFixed(2)} % (${res.errors}/${res.total}); ${cfg.algo}, ${how}\n`);
  if (o.json) writeJsonFile(o.json, { run: o.run, algo: cfg.algo, steps: protonet ? 0 : steps, ...res });
}

/**
 * `metarl inspect --run DIR [--json FILE]`: per-tensor statistics of a checkpoint's parameters, and
 * of its learned step-size multipliers s when it has them. Reads the checkpoint only (no backend).
 */
export function cmdInspect(argv: string[]): void {
  const { values: o } = parseArgs({ args: argv, strict: true, options: INSPECT_OPTIONS });
  requireRun(o.run);
  checkOutFile('--json', o.json);
  const report = inspectCheckpoint(loadCheckpoint(o.run));
  process.stdout.write(`${inspectionMarkdown(report, o.run)}\n`);
  if (o.json) writeJsonFile(o.json, { run: o.run, ...report });
}

/**
 * `metarl check [--env ID] [--env-module FILE] [--tasks 3]`: the env checker on one env, the envs
 * the modules register, or every registered env; exit code 1 when it finds problems.
 */
export async function cmdCheck(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: CHECK_OPTIONS });
  await loadEnvModules(o['env-module']);
  const tasks = intOpt('tasks', o.tasks, 1) ?? 3;
  const empty = emptyEnvModules();
  if (o.env === undefined && empty.length > 0) {
    throw new ConfigError('--env-module', empty.join(' '), 'registered no env: nothing to check there (give --env to check one that is registered)');
  }
  // An unknown id → UnknownEnvError listing the known ones; a registered env whose factory fails is the checker's to report.
  if (o.env !== undefined && !listEnvs().includes(o.env)) throw new UnknownEnvError(o.env, listEnvs());
  const fromModules = envModuleIds();
  const ids = o.env !== undefined ? [o.env] : fromModules.length > 0 ? fromModules : listEnvs();
  let failed = 0;
  for (const id of ids) {
    try {
      make(id); // an env whose data is missing (Omniglot without its files) is skipped, not failed
    } catch (e) {
      if (e instanceof OmniglotDataError) {
        if (o.env !== undefined) throw e; // named: its data is what is missing (exit 2)
        process.stdout.write(`${id}: skipped (${e.message})\n`);
        continue;
      }
    }
    const problems = checkEnv(() => make(id), { id, tasks });
    if (problems.length === 0) {
      process.stdout.write(`${id}: ok\n`);
      continue;
    }
    failed++;
    process.stdout.write(`${id}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  if (failed > 0) process.exitCode = 1;
}

/**
 * `metarl plot --run DIR [--run DIR …] [--smooth N] --out FILE.svg`: training curves (return
 * before and after adaptation per meta-iteration) from runs' `progress.jsonl`, as SVG and PNG.
 */
export async function cmdPlot(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: PLOT_OPTIONS });
  const dirs = o.run ?? [];
  if (dirs.length === 0) throw new ConfigError('--run', undefined, 'is required (a run directory; repeat it for several runs)');
  if (!o.out) throw new ConfigError('--out', undefined, 'is required (an .svg file; a .png is written beside it)');
  if (!/[^/\\]\.svg$/i.test(o.out)) throw new ConfigError('--out', o.out, 'must be a file name ending in .svg');
  if (existsSync(o.out) && statSync(o.out).isDirectory()) throw new ConfigError('--out', o.out, 'is a directory; give a file name');
  checkOutFile('--out', o.out);
  const names = dirs.map((d) => basename(resolve(d)));
  const runs = dirs.map((dir, i) => {
    const path = join(dir, 'progress.jsonl');
    if (!existsSync(dir)) throw new ConfigError('--run', dir, 'not found');
    if (!existsSync(path)) throw new ConfigError('--run', dir, 'has no progress.jsonl: pass a directory metarl train wrote');
    const text = readFileSync(path, 'utf8');
    let points;
    try {
      points = parseProgress(text);
    } catch (e) {
      throw new ConfigError('--run', dir, (e as Error).message);
    }
    if (points.length === 0) throw new ConfigError('--run', dir, 'has no iterations in its progress.jsonl yet');
    // An RL iteration logs its TRPO line search; a supervised one (returns = − query loss) does not.
    const supervised = !('lineSearchSteps' in (JSON.parse(text.split('\n', 1)[0]!) as object));
    // Two runs of the same folder name (runs/a/seed1, runs/b/seed1) are told apart by their path.
    const name = names.filter((n) => n === names[i]).length > 1 ? dir : names[i]!;
    let env: string | undefined;
    try {
      env = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { config?: { env?: string } }).config?.env;
    } catch {
      env = undefined; // a run without its config.json: nothing to compare
    }
    return { name, points, supervised, env };
  });
  // One axis for all: returns of different envs (or an MSE beside a cross-entropy) are not on one scale.
  const envs = [...new Set(runs.map((r) => r.env).filter((e): e is string => e !== undefined))];
  if (envs.length > 1) log(`plot: note: the runs are of ${envs.length} envs (${envs.join(', ')}), drawn on one return axis (check that their returns compare)`);
  const longest = Math.max(...runs.map((r) => r.points.length));
  const smooth = intOpt('smooth', o.smooth, 1) ?? Math.max(1, Math.round(longest / 50));
  const svg = lineChartSvg(trainingCurvesSpec(runs, smooth));
  const png = o.out.replace(/\.svg$/i, '.png');
  writePair(o.out, svg, png, await svgToPng(svg));
  process.stdout.write(`${runs.map((r) => `${r.name}: ${r.points.length} iteration${r.points.length === 1 ? '' : 's'}`).join(', ')}; moving average over ${smooth}; wrote ${o.out} and ${png}\n`);
}

/**
 * Writes a figure's SVG and PNG, each whole (to a temporary name, then renamed onto the file a link
 * points to), one right after the other once both are made: a stop while the PNG was rendered left
 * a new SVG beside the old PNG (found by a crash trial).
 */
function writePair(svgPath: string, svg: string, pngPath: string, png: Uint8Array): void {
  makeDir(dirname(svgPath));
  writeFileWhole(realPath(svgPath), svg);
  writeFileWhole(realPath(pngPath), png);
}
