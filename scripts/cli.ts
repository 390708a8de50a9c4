/**
 * `metarl` command line: thin wrappers over the library (no algorithm logic here).
 *
 * The commands and their flags are in `options.ts`; `metarl --help` prints them.
 *
 * Bad input exits with code 2 and one line naming the field and the value.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { initBackend, type BackendName } from '../src/backend.ts';
import { ConfigError, resolveConfig, setOptionStyle, validateConfig } from '../src/config.ts';
import { lineChartSvg } from '../src/line-chart.ts';
import { parseProgress } from '../src/progress.ts';
import { trainingCurvesSpec } from '../agents/curves.ts';
import { CheckpointError, loadCheckpoint } from '../src/checkpoint.ts';
import { splitMeta } from '../src/maml.ts';
import { UnknownEnvError, checkEnv, make, listEnvs } from '../envs/index.ts';
import { assertNoRun, envFactory, isSupervised, presetFor, train, trainingStop } from '../agents/trainer.ts';
import { TaskFailedError } from '../agents/shards.ts';
import { evaluateSupervised, fewShotClassifier, heldOutTasks } from '../agents/supervised-meta.ts';
import { OmniglotDataError, omniglotPath } from '../envs/omniglot-register.ts';
import { loadOneShotRuns } from '../envs/omniglot-files.ts';
import { evaluateOneShotRuns } from '../envs/omniglot.ts';
import { evaluateAdaptation, formatStepTable } from '../src/evaluation.ts';
import { GaussianMlpPolicy } from '../src/policy.ts';
import { createRng } from '../src/rng.ts';
import { readTaskFile } from '../src/task-file.ts';
import { versions } from '../src/versions.ts';
import { cmdCompare } from './compare.ts';
import { selectCheckpoint, selectionMarkdown } from '../agents/select.ts';
import { filmstripSvg, isRenderable, rolloutAdapted, rolloutSvg } from '../agents/render.ts';
import { svgToPng } from '../src/png-node.ts';
import { inspectCheckpoint, inspectionMarkdown } from '../agents/inspect.ts';
import type { Task } from '../src/types.ts';
import { cmdBench } from './bench.ts';
import { DEFAULT_EVAL_SEED, checkOutFile, chooseEnv, emptyEnvModules, envModuleFaultHint, envModuleFlags, envModuleIds, intOpt, loadEnvModules, readConfigFile, requireRunDir, shellQuote, taskProgress, unknownEnvHint, userFrames } from './args.ts';
import {
  BACKENDS, CHECK_OPTIONS, COMMAND_OPTIONS, PLOT_OPTIONS, COMMANDS, EVALUATE_OPTIONS, flagHelp, INSPECT_OPTIONS, ONESHOT_OPTIONS, RENDER_OPTIONS, SELECT_OPTIONS, TRAIN_OPTIONS, USAGE_COMMANDS,
} from './options.ts';

/** `metarl select` scores checkpoints on tasks drawn from this seed: never the test seed (DEFAULT_EVAL_SEED). */
const DEFAULT_VALIDATION_SEED = 777;
/** The env `metarl train` uses when `--env` is not given. */
const DEFAULT_ENV = 'Navigation2D-v0';

/** Where the help text points for what each flag does. */
const MORE_HELP = 'more on each command and flag: README.md, "Command line" (presets and config keys: "Configuration")';

const USAGE = `${USAGE_COMMANDS}
envs: ${listEnvs().join(', ')}
backends: ${BACKENDS.join(', ')}
algos: maml-trpo, pretrained, oracle (RL envs); maml, fomaml, meta-sgd, anil, reptile, protonet, pretrained (supervised envs)
${MORE_HELP}`;

/** A user error: printed as one line, exit code 2. */
class UsageError extends Error {}

function backendOpt(v: string | undefined): BackendName {
  const b = v ?? 'auto';
  if (!BACKENDS.includes(b)) throw new ConfigError('--backend', b, `must be one of ${BACKENDS.join(', ')}`);
  return b as BackendName;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const progress = taskProgress();

/** The command that resumes the run in `out` to `iterations`, with this process's --env-module flags, shell-quoted. */
function resumeCommand(out: string, iterations: number): string {
  const flags = envModuleFlags();
  return `metarl train --resume --iterations ${iterations} --out ${shellQuote(out)}${flags ? ` ${flags}` : ''}`;
}

async function cmdTrain(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: TRAIN_OPTIONS,
  });
  const envModules = await loadEnvModules(o['env-module']);
  const backend = backendOpt(o.backend);
  const keepEvery = intOpt('keep-every', o['keep-every'], 1);
  // Worker threads are a run-time resource, not config: results do not depend on them
  // (default: one per core; one for regression, see defaultWorkers).
  const workers = o.workers === 'auto' ? 'auto' : (intOpt('workers', o.workers, 1) ?? 'auto');
  const iterations = intOpt('iterations', o.iterations, 1);
  const fileCfg = o.config !== undefined && !o.resume ? readConfigFile(o.config) : {};
  // Resuming a given --out, the run's own config names the env; otherwise choose it (and the default --out from it).
  const envId = o.resume && o.out !== undefined ? undefined : chooseEnv(o.env, fileCfg, o.config, DEFAULT_ENV);
  const out = o.out ?? join('runs', `${envId}-seed${o.seed ?? 1}`);
  if (o['init-from'] !== undefined) requireRunDir('--init-from', o['init-from']);
  let config;
  if (o.resume) {
    requireRunDir('--out', out);
    const given = ['env', 'config', 'preset', 'seed', 'algo', 'meta-batch-size', 'fast-batch-size', 'first-order'].filter((k) => (o as Record<string, unknown>)[k] !== undefined);
    if (given.length > 0) throw new ConfigError(`--${given[0]}`, (o as Record<string, unknown>)[given[0]!], 'cannot be changed when resuming (the run keeps its config; only --iterations, --backend, --workers and --keep-every may be given)');
    config = validateConfig(loadCheckpoint(out).meta.config);
    if (iterations !== undefined) config.iterations = iterations;
  } else {
    const cli: Record<string, unknown> = {};
    const seed = intOpt('seed', o.seed, 0);
    if (seed !== undefined) cli.seed = seed;
    if (iterations !== undefined) cli.iterations = iterations;
    const mbs = intOpt('meta-batch-size', o['meta-batch-size'], 1);
    const fbs = intOpt('fast-batch-size', o['fast-batch-size'], 1);
    if (mbs !== undefined || fbs !== undefined) cli.sampling = { ...(mbs !== undefined && { metaBatchSize: mbs }), ...(fbs !== undefined && { fastBatchSize: fbs }) };
    if (o['first-order']) cli.adaptation = { firstOrder: true };
    if (o.algo !== undefined) cli.algo = o.algo;
    config = resolveConfig(envId!, o.preset ?? presetFor(make(envId!)), fileCfg, cli);
    assertNoRun(out);
  }
  await initBackend(backend, { log });
  // Ctrl-C (or SIGTERM): finish the iteration under way and checkpoint it; a second one quits at once.
  const stop = new AbortController();
  const exitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143); // 128 + the signal's number, as shells report it
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      // `npm run train` passes the terminal's Ctrl-C on, so one keypress can arrive twice: only a later one quits.
      if (performance.now() - firstSignalAt > 1500) {
        let kept = 'it has no checkpoint yet';
        try {
          kept = `its checkpoint of iteration ${loadCheckpoint(out).meta.iteration} is kept`;
        } catch {
          // none yet (or none readable)
        }
        log(`metarl: ${signal} again: stopped at once, losing the iteration under way; ${kept}`);
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
  const last = records.slice(-10);
  if (last.length > 0) {
    const avg = (f: (r: (typeof last)[number]) => number) => last.reduce((a, r) => a + f(r), 0) / last.length;
    const n = config.adaptation.numInnerSteps;
    // ProtoNets classify by prototypes: "before" is the loss of the linear head they do not use.
    const [before, after] =
      config.algo === 'protonet'
        ? ['linear head (unused)', 'nearest prototype']
        : ['before adaptation', ['pretrained', 'oracle'].includes(config.algo) ? 'after (no inner step)' : `after ${n} inner step${n === 1 ? '' : 's'}`];
    process.stdout.write(
      `\n| ${config.env}, last ${last.length} iterations | ${before} | ${after} |\n|---|---|---|\n| ${isSupervised(envFactory(config)()) ? 'mean return (− query loss)' : 'mean return'} | ${avg((r) => r.returnsBefore).toFixed(2)} | ${avg((r) => r.returnsAfter).toFixed(2)} |\n\nrun: ${out} (evaluate with: metarl evaluate --run ${shellQuote(out)}${envModuleFlags() ? ` ${envModuleFlags()}` : ''})\n`,
    );
  }
}

/** Checks `--run` is given and names a run directory. */
function requireRun(run: string | undefined): asserts run is string {
  requireRunDir('--run', run);
}

async function cmdEvaluate(argv: string[]): Promise<void> {
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
  const seed = intOpt('seed', o.seed, 0) ?? DEFAULT_EVAL_SEED;
  const backend = backendOpt(o.backend);
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  await initBackend(backend, { log });
  const makeEnv = envFactory(cfg);
  const rng = createRng(seed).fork('evaluate');
  const evalEnv = makeEnv();
  if (isSupervised(evalEnv)) {
    if (o['task-file'] !== undefined) throw new ConfigError('--task-file', o['task-file'], `is for RL envs; ${cfg.env} draws its held-out tasks from --seed`);
    if (batchTimesteps !== undefined) throw new ConfigError('--batch-timesteps', o['batch-timesteps'], `is for RL envs; ${cfg.env} adapts on --shots examples`);
    if (o.episodes !== undefined) throw new ConfigError('--episodes', o.episodes, `is for RL envs; ${cfg.env} adapts on --shots examples`);
    // Horizon-1 tasks: K-shot adaptation scored on held-out query examples (defaults: 600 tasks, 10 steps).
    const n = o.tasks === undefined ? 600 : nTasks;
    const k = o.steps === undefined ? 10 : steps;
    const tasks = heldOutTasks(evalEnv, n, rng.fork('tasks'));
    const shots = intOpt('shots', o.shots, 1);
    if (shots !== undefined) cfg.supervised = { ...cfg.supervised, shots, queries: shots };
    log(`evaluating ${o.run} (iteration ${ck.meta.iteration}, ${cfg.algo}) on ${n} held-out tasks, ${k} step${k === 1 ? '' : 's'}`);
    const { metric, stats } = evaluateSupervised(cfg, evalEnv, ck.params, { tasks, steps: k, rng, onTask: (d, m) => progress('', d, m) });
    process.stdout.write(`${formatStepTable(cfg.env, stats, metric === 'mse' ? 'query MSE (mean ± s.e.m.)' : 'query accuracy % (mean ± s.e.m.)')}\n`);
    if (o.json) {
      const doc = { env: cfg.env, run: o.run, algo: cfg.algo, iteration: ck.meta.iteration, seed, metric, tasks: n, steps: stats.map(({ step, mean, sem }) => ({ step, mean, sem })), perTask: stats.map((s) => s.perTask) };
      writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
    }
    return;
  }
  if (o.shots !== undefined) throw new ConfigError('--shots', o.shots, `is for supervised envs; ${cfg.env} adapts on --episodes episodes`);
  if (cfg.algo === 'oracle' && steps > 0) {
    // The oracle sees the task in its observation: it is scored as it is, as compare scores it.
    log('oracle run: evaluated without adaptation (step 0 only)');
    steps = 0;
  }
  const policy = new GaussianMlpPolicy(ck.meta.obsDim, ck.meta.actDim, cfg.policy);
  const taskFile = o['task-file'];
  const tasks = taskFile !== undefined ? readTaskFile(taskFile, evalEnv) : evalEnv.sampleTasks(nTasks, rng.fork('tasks'));
  log(`evaluating ${o.run} (iteration ${ck.meta.iteration}) on ${tasks.length} held-out tasks${taskFile !== undefined ? ` from ${taskFile}` : ''}, ${steps} step${steps === 1 ? '' : 's'}, ${batchTimesteps !== undefined ? `batches of at least ${batchTimesteps} env steps from ${episodes} env slots in lockstep` : `${episodes} episodes per step`}`);
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
    const doc = { env: cfg.env, run: o.run, iteration: ck.meta.iteration, seed, tasks: tasks.length, ...(taskFile !== undefined ? { taskFile } : {}), episodes, ...(batchTimesteps !== undefined ? { batchTimesteps } : {}), steps, perTask: stats.map((s) => s.perTask) };
    writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
}

/**
 * `metarl select --run DIR`: evaluates every snapshot the run kept (`--keep-every`) and its last
 * checkpoint on validation tasks (`--seed`, default 777), prints the table and the picked
 * checkpoint's directory, which `metarl evaluate --run` then scores once on the test tasks.
 * `--since ITER` scores only the checkpoints from that iteration on (a run trained further);
 * `--from-step 0` counts the return before adapting in the score too.
 */
async function cmdSelect(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: SELECT_OPTIONS,
  });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  const fromStep = intOpt('from-step', o['from-step'], 0) ?? 1;
  if (fromStep > 1) throw new ConfigError('--from-step', o['from-step'], 'must be 0 (score steps 0…K) or 1 (steps 1…K, the default)');
  const seed = intOpt('seed', o.seed, 0) ?? DEFAULT_VALIDATION_SEED;
  const since = intOpt('since', o.since, 0);
  const tasks = intOpt('tasks', o.tasks, 1) ?? 40;
  const steps = intOpt('steps', o.steps, 0) ?? 3;
  const episodes = intOpt('episodes', o.episodes, 1) ?? 40;
  const batchTimesteps = intOpt('batch-timesteps', o['batch-timesteps'], 1);
  checkOutFile('--json', o.json);
  const backend = backendOpt(o.backend);
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
    cache: true,
    onReuse: (name, file) => log(`${name}: scored before with these weights and this protocol, read back from ${file}`),
  });
  process.stdout.write(`${selectionMarkdown(sel)}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(sel, null, 2)}\n`);
}

/** `metarl render --run DIR --task JSON [--steps 1] [--episodes 20] [--seed N] --out FILE.svg`: an animated SVG (+ PNG filmstrip). */
async function cmdRender(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: RENDER_OPTIONS });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  if (!o.out) throw new ConfigError('--out', undefined, 'is required (an .svg file; a .png filmstrip is written beside it)');
  if (existsSync(o.out) && statSync(o.out).isDirectory()) throw new ConfigError('--out', o.out, 'is a directory; give an .svg file name');
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  const makeEnv = envFactory(cfg);
  if (!isRenderable(makeEnv())) throw new ConfigError('--run', o.run, `is a ${cfg.env} run; render draws the half-cheetah envs (and ones built on them); the browser demo (npm run demo -- --run DIR) shows runs of the built-in 2D navigation`);
  let task: Task;
  try {
    task = o.task ? (JSON.parse(o.task) as Task) : makeEnv().sampleTasks(1, createRng(0).fork('render-task'))[0]!;
  } catch (e) {
    throw new ConfigError('--task', o.task, `is not valid JSON: ${(e as Error).message}`);
  }
  try {
    makeEnv().setTask(task); // validates: a bad task names its field
  } catch (e) {
    throw new ConfigError('--task', o.task, (e as Error).message);
  }
  const steps = intOpt('steps', o.steps, 0) ?? 1;
  const episodes = intOpt('episodes', o.episodes, 1) ?? 20;
  await initBackend(backendOpt(o.backend), { log });
  const r = rolloutAdapted(cfg, ck.params, makeEnv, task, steps, episodes, intOpt('seed', o.seed, 0) ?? 0);
  const svg = rolloutSvg(r, `${cfg.env} (${cfg.algo}, iteration ${ck.meta.iteration})`);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, svg);
  const png = o.out.replace(/\.svg$/i, '') + '.png';
  writeFileSync(png, await svgToPng(filmstripSvg(r), 1));
  process.stdout.write(`episode return ${r.episodeReturn.toFixed(2)} after ${steps} step(s) (adaptation returns ${r.adaptationReturns.map((x) => x.toFixed(1)).join(', ') || 'none'}); wrote ${o.out} and ${png}\n`);
}

/** `metarl oneshot --run DIR [--data one_shot_runs.zip] [--steps K]`: the official 20-way 1-shot benchmark. */
async function cmdOneShot(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: ONESHOT_OPTIONS });
  await loadEnvModules(o['env-module']);
  requireRun(o.run);
  checkOutFile('--json', o.json);
  const data = o.data ?? join(dirname(omniglotPath()), 'one_shot_runs.zip');
  if (!existsSync(data)) throw new ConfigError('--data', data, 'not found (the official one_shot_runs.zip)');
  const ck = loadCheckpoint(o.run);
  const cfg = validateConfig(ck.meta.config);
  const env = envFactory(cfg)();
  if (!isSupervised(env) || env.loss !== 'cross-entropy') throw new ConfigError('--run', o.run, `is a ${cfg.env} run, not a classification run`);
  const steps = intOpt('steps', o.steps, 0) ?? cfg.adaptation.numInnerSteps;
  await initBackend(backendOpt(o.backend), { log });
  const res = await evaluateOneShotRuns(loadOneShotRuns(data), fewShotClassifier(cfg, env, ck.params, steps));
  process.stdout.write(`official one-shot runs (20-way 1-shot, ${res.perRun.length} runs, ${res.total} queries): error rate ${(100 * res.errorRate).toFixed(2)} % (${res.errors}/${res.total}); ${cfg.algo}, ${steps} step${steps === 1 ? '' : 's'}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ run: o.run, algo: cfg.algo, steps, ...res }, null, 2)}\n`);
}

/**
 * `metarl inspect --run DIR [--json FILE]`: per-tensor statistics of a checkpoint's parameters, and
 * of its learned step-size multipliers s when it has them. Reads the checkpoint only (no backend).
 */
function cmdInspect(argv: string[]): void {
  const { values: o } = parseArgs({ args: argv, strict: true, options: INSPECT_OPTIONS });
  requireRun(o.run);
  checkOutFile('--json', o.json);
  const report = inspectCheckpoint(loadCheckpoint(o.run));
  process.stdout.write(`${inspectionMarkdown(report, o.run)}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ run: o.run, ...report }, null, 2)}\n`);
}

/**
 * `metarl check [--env ID] [--env-module FILE] [--tasks 3]`: the env checker on one env, the envs
 * the modules register, or every registered env; exit code 1 when it finds problems.
 */
async function cmdCheck(argv: string[]): Promise<void> {
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
async function cmdPlot(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, strict: true, options: PLOT_OPTIONS });
  const dirs = o.run ?? [];
  if (dirs.length === 0) throw new ConfigError('--run', undefined, 'is required (a run directory; repeat it for several runs)');
  if (!o.out) throw new ConfigError('--out', undefined, 'is required (an .svg file; a .png is written beside it)');
  if (!/[^/\\]\.svg$/i.test(o.out)) throw new ConfigError('--out', o.out, 'must be a file name ending in .svg');
  if (existsSync(o.out) && statSync(o.out).isDirectory()) throw new ConfigError('--out', o.out, 'is a directory; give a file name');
  const names = dirs.map((d) => basename(resolve(d)));
  const runs = dirs.map((dir, i) => {
    const path = join(dir, 'progress.jsonl');
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
    return { name, points, supervised };
  });
  const longest = Math.max(...runs.map((r) => r.points.length));
  const smooth = intOpt('smooth', o.smooth, 1) ?? Math.max(1, Math.round(longest / 50));
  const svg = lineChartSvg(trainingCurvesSpec(runs, smooth));
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, svg);
  const png = o.out.replace(/\.svg$/i, '.png');
  writeFileSync(png, await svgToPng(svg));
  process.stdout.write(`${runs.map((r) => `${r.name}: ${r.points.length} iteration${r.points.length === 1 ? '' : 's'}`).join(', ')}; moving average over ${smooth}; wrote ${o.out} and ${png}\n`);
}

/** The usage lines of one command (its first line and the indented continuation lines). */
function commandUsage(cmd: string): string {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  metarl ${cmd} `));
  if (start < 0) return USAGE;
  let end = start + 1;
  while (end < lines.length && /^ {4,}/.test(lines[end]!)) end++;
  const flags = Object.keys(COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS]);
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  const options = flags.map((f) => `  ${`--${f}`.padEnd(width + 2)}${flagHelp(cmd, f) ?? ''}`);
  // The lists that apply: env ids where --env is taken, backends where --backend is, algos for train.
  const lists = lines.filter((l) => (l.startsWith('envs:') && flags.includes('env')) || (l.startsWith('backends:') && flags.includes('backend')) || (l.startsWith('algos:') && cmd === 'train'));
  return ['usage:', ...lines.slice(start, end), '', 'options:', ...options, '', ...lists, MORE_HELP].join('\n');
}

async function main(argv: string[]): Promise<void> {
  // The library's messages name options as this command's flags (--init-from, not initFrom).
  setOptionStyle('cli');
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && COMMANDS.includes(cmd) && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${commandUsage(cmd)}\n`);
    return;
  }
  switch (cmd) {
    case 'train':
      return cmdTrain(rest);
    case 'evaluate':
      return cmdEvaluate(rest);
    case 'select':
      return cmdSelect(rest);
    case 'render':
      return cmdRender(rest);
    case 'oneshot':
      return cmdOneShot(rest);
    case 'check':
      return cmdCheck(rest);
    case 'plot':
      return cmdPlot(rest);
    case 'inspect':
      return cmdInspect(rest);
    case 'compare':
      return cmdCompare(rest, log, backendOpt);
    case 'bench':
      return cmdBench(rest, log, backendOpt);
    case '--version':
    case '-v': {
      const v = versions();
      process.stdout.write(`metarl ${v.metarl} (tfjs ${v.tfjs}, node ${v.node})\n`);
      return;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}: expected one of ${COMMANDS.join(', ')} (metarl --help lists their options)`);
  }
}

// Output piped into a reader that stops early (`metarl check | head`): write no more, quietly.
// The command still runs to its end, so its exit code (check's 1 for problems) is kept.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
});

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  const userError =
    e instanceof ConfigError || e instanceof UsageError || e instanceof UnknownEnvError || e instanceof CheckpointError || e instanceof OmniglotDataError || (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS'));
  if (userError) {
    // An env of one's own is registered by a module the command must be told about.
    const hint = e instanceof UnknownEnvError ? unknownEnvHint() : '';
    process.stderr.write(`metarl: ${e instanceof UsageError ? err.message : err.message.replace(/\s*\n\s*/g, " ")}${hint}\n`);
    process.exit(2);
  }
  // Training that stopped in an iteration: what the run keeps, and how to go on.
  const stop = trainingStop(e);
  const flags = envModuleFlags();
  const stopLine = !stop
    ? ''
    : `metarl: training stopped in iteration ${stop.iteration}; ${
        stop.checkpoint !== null
          ? `${stop.out} keeps its checkpoint of iteration ${stop.checkpoint}, from which \`${resumeCommand(stop.out, stop.iterations)}\` continues`
          : stop.removed
            ? `nothing had been trained, and ${stop.out} is left as it was: run the same command again once the cause is fixed`
            : `${stop.out} has no checkpoint yet: delete it to start again`
      }\n`;
  // A fault in one's own env (an --env-module's code threw): the message and where in that code, not metarl's stack.
  const frames = flags ? userFrames(e) : [];
  // metarl throws Errors only: a string (or other value) thrown during a task comes from the env's code, with no stack to show.
  const threwValue = flags !== '' && e instanceof TaskFailedError && e.threw === 'value';
  if (frames.length > 0 || threwValue) {
    const where = frames.length > 0 ? frames.slice(0, 8).map((f) => `    at ${f}\n`).join('') : '    (it threw a value that is not an Error, which has no stack: throw an Error to see the file and line)\n';
    process.stderr.write(`metarl: the env failed: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}\n${where}${stopLine}${envModuleFaultHint(true)}`);
    process.exit(1);
  }
  const cause = (err as { cause?: unknown }).cause;
  process.stderr.write(`metarl: internal error: ${err.stack ?? String(e)}\n${cause instanceof Error ? `caused by: ${cause.stack}\n` : ''}${stopLine}${envModuleFaultHint()}`);
  process.exit(1);
});
