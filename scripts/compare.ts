/**
 * `metarl compare --env ID --runs maml=DIR,pretrained=DIR,oracle=DIR [--random] [--tasks 40 | --task-file FILE.json]
 *   [--steps 3] [--episodes 40] [--batch-timesteps N] [--seed N] [--lr name=α,…] [--backend B] --out DIR`
 * writes results.json, results.md, figure.svg and figure.png.
 */
import { parseArgs } from 'node:util';
import { COMPARE_OPTIONS } from './options.ts';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { acquireLock } from '../src/run-lock.ts';
import { firstMissingDir, makeDir, removeMade, writeFileWhole } from '../src/out-paths.ts';
import { join } from 'node:path';
import { ConfigError } from '../src/config.ts';
import { loadCheckpoint } from '../src/checkpoint.ts';
import { TEST_SEED } from '../src/rng.ts';
import { checkEpisodeSlots, checkOutDir, intOpt, loadEnvModules, requireRunDir, taskProgress } from './args.ts';
import { make } from '../envs/index.ts';
import { compareMethods, comparisonMarkdown, metricLabel, type Comparison, type MethodSpec } from '../agents/compare.ts';
import { isSupervised } from '../agents/trainer.ts';
import { dataMismatch } from '../envs/factory.ts';
import { lineChartSvg } from '../src/line-chart.ts';
import { svgToPng } from '../src/png-node.ts';
import { initBackend, type BackendName } from '../src/backend.ts';
import { readTaskFile } from '../src/task-file.ts';

/** The figure's legend for the method names a user is likely to give (any case); other names are shown as given. */
const LABELS: Record<string, string> = {
  maml: 'MAML',
  'maml-trpo': 'MAML',
  fomaml: 'FOMAML',
  'meta-sgd': 'Meta-SGD',
  anil: 'ANIL',
  reptile: 'Reptile',
  protonet: 'ProtoNets',
  pretrained: 'pretrained',
  random: 'random init',
  oracle: 'oracle',
};

/** A method's name in the figure's legend: the usual spelling of a known algorithm or baseline (`meta-sgd` → `Meta-SGD`), else the name as given. */
export function methodLabel(name: string): string {
  const key = name.toLowerCase();
  return Object.hasOwn(LABELS, key) ? LABELS[key]! : name;
}

function pairs(flag: string, v: string): [string, string][] {
  return v.split(',').map((p) => {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) throw new ConfigError(flag, v, 'must be a list of name=value pairs separated by commas');
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

/**
 * The figure's y range for a query-MSE comparison in which a method's error blows up (Meta-SGD's
 * one-step rates repeated, say) beyond 1.5 × the largest unadapted error: [0, that bound], so the
 * others stay readable. Undefined (the data's own range) otherwise.
 */
function mseChartRange(c: Comparison): [number, number] | undefined {
  if (c.metric !== 'mse') return undefined;
  const bound = 1.5 * Math.max(...c.methods.map((m) => m.steps[0]!.mean + m.steps[0]!.sem).filter(Number.isFinite));
  const over = c.methods.some((m) => m.steps.some((s) => !(s.mean + s.sem <= bound)));
  return over && Number.isFinite(bound) ? [0, bound] : undefined;
}

/** The `compare` subcommand. */
export async function cmdCompare(argv: string[], log: (line: string) => void, backend: (v: string | undefined) => BackendName): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: COMPARE_OPTIONS,
  });
  await loadEnvModules(o['env-module']);
  // The runs are checked first (so that an unknown env id can name the modules they were trained
  // with); the env is --env, else the one the first run was trained on.
  for (const flag of ['env', 'runs', 'lr'] as const) if (o[flag] === '') throw new ConfigError(`--${flag}`, '', 'is empty');
  const runPairs = o.runs !== undefined ? pairs('--runs', o.runs) : [];
  for (const [name, dir] of runPairs) requireRunDir(`--runs ${name}`, dir);
  const firstRun = runPairs[0];
  const env = o.env ?? (firstRun ? loadCheckpoint(firstRun[1]).meta.config.env : undefined);
  if (!env) throw new ConfigError('--env', undefined, 'is required when no --runs are given');
  const taskEnv = make(env);
  if (!o.out) throw new ConfigError('--out', undefined, 'is required');
  checkOutDir('--out', o.out);
  // Like train, never overwrite earlier results (a cheetah comparison takes hours). results.json is
  // written last, renamed into place: without it the comparison did not finish writing, and the same
  // command completes it; with it, the comparison is whole (a partial/ beside it is the cleanup a
  // crash cut short).
  const finished = () => {
    if (existsSync(join(o.out!, 'results.json'))) throw new ConfigError('--out', o.out, 'already holds the results of a comparison; choose another directory');
  };
  finished();
  const methods: MethodSpec[] = [];
  for (const [name, dir] of runPairs) {
    if (methods.some((m) => m.name === name)) throw new ConfigError('--runs', name, 'is given twice');
    // The gap closed and the paired difference look for these names as they are spelt.
    const known = ['maml', 'pretrained', 'oracle', 'random'].find((k) => k === name.toLowerCase() && k !== name);
    if (known) throw new ConfigError('--runs', name, `names are case-sensitive, and the table's gap closed and paired difference look for ${known}: name it ${known}`);
    methods.push({ name, run: dir });
  }
  // Other data than a run's (another Omniglot set) may be the point, but should not go unnoticed.
  for (const [name, dir] of runPairs) {
    const meta = loadCheckpoint(dir).meta;
    // Before the flags that apply to one kind of env only (found by a bad-input trial: --episodes was blamed).
    if (meta.config.env !== env) throw new ConfigError(`--runs ${name}`, dir, `was trained on ${meta.config.env}, not ${env}`);
    const mismatch = dataMismatch(meta.data, taskEnv);
    if (mismatch !== null) log(`compare: note: ${name}: ${mismatch}`);
  }
  if (o.random) {
    if (methods.some((m) => m.name === 'random')) throw new ConfigError('--runs', 'random', 'names random init, which --random adds: give the run another name, or leave out --random');
    methods.push({ name: 'random' });
  }
  if (methods.length === 0) throw new ConfigError('--runs', o.runs, 'name at least one run (or pass --random)');
  const lrPairs = o.lr !== undefined ? pairs('--lr', o.lr) : [];
  for (const [i, [name, v]] of lrPairs.entries()) {
    // Found by a bad-input trial: the last of two was taken.
    if (lrPairs.findIndex(([n]) => n === name) !== i) throw new ConfigError('--lr', name, 'is given twice');
    const m = methods.find((x) => x.name === name);
    // A decimal number (Number() would also take 0x10 and the empty string).
    const lr = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) ? Number(v) : NaN;
    if (!m) throw new ConfigError('--lr', name, `is not a method being compared (${methods.map((x) => x.name).join(', ')})`);
    if (!Number.isFinite(lr)) throw new ConfigError(`--lr ${name}`, v, 'must be a number > 0');
    if (!(lr > 0)) throw new ConfigError(`--lr ${name}`, v, 'must be > 0');
    m.lr = lr;
  }
  if (o['task-file'] !== undefined && o.tasks !== undefined) throw new ConfigError('--tasks', o.tasks, 'cannot be combined with --task-file (the file gives the tasks)');
  // Supervised envs: evaluate's defaults for them (600 tasks, 10 steps); the support set is the run's K examples.
  const supervised = isSupervised(taskEnv);
  for (const flag of ['episodes', 'task-file', 'batch-timesteps'] as const) {
    if (supervised && o[flag] !== undefined) throw new ConfigError(`--${flag}`, o[flag], `is for RL envs; ${env} adapts on the runs' K support examples of tasks drawn from --seed`);
  }
  const taskFile = o['task-file'];
  const taskList = taskFile !== undefined ? readTaskFile(taskFile, taskEnv) : undefined;
  const tasks = taskList?.length ?? (intOpt('tasks', o.tasks, 1) ?? (supervised ? 600 : 40));
  const steps = intOpt('steps', o.steps, 0) ?? (supervised ? 10 : 3);
  const shots = intOpt('shots', o.shots, 1);
  if (shots !== undefined && !supervised) throw new ConfigError('--shots', o.shots, `is for supervised envs; ${env} adapts on --episodes episodes`);
  const episodes = intOpt('episodes', o.episodes, 1) ?? 40;
  if (!supervised) checkEpisodeSlots(episodes, taskEnv);
  const batchTimesteps = intOpt('batch-timesteps', o['batch-timesteps'], 1);
  const seed = intOpt('seed', o.seed, 0) ?? TEST_SEED;
  await initBackend(backend(o.backend), { log });
  // One compare at a time in --out: two at once wrote their results over each other.
  const made = firstMissingDir(o.out);
  const release = acquireLock(o.out, '--out', 'written by another compare');
  try {
    // Again under the lock: another compare may have finished there since the check above (found by
    // a crash trial: a second compare started half a second after the first wrote over its results).
    finished();
    const progress = taskProgress();
    // The evaluation holds the process until it ends (a Ctrl-C in it ends the process at once): what a stop keeps is said now.
    if (methods.length > 1) log(`compare: each method's result is kept in ${join(o.out, 'partial')} as soon as it is done; stopped, the same command goes on from there`);
    const result = compareMethods({
      env,
      methods,
      tasks,
      ...(taskList !== undefined ? { taskList, taskFile } : {}),
      steps,
      ...(supervised ? {} : { episodes }),
      ...(batchTimesteps !== undefined ? { batchTimesteps } : {}),
      seed,
      ...(shots !== undefined ? { shots } : {}),
      onProgress: (name, d, n) => progress(`${name}: `, d, n),
      // Each method's result as soon as it is done: the same command after a crash picks up from there.
      partialDir: join(o.out, 'partial'),
      onReuse: (name, file) => log(`compare: ${name}: reusing the result in ${file} (same run, tasks and protocol)`),
    });
    makeDir(o.out);
    const md = comparisonMarkdown(result);
    writeFileSync(join(o.out, 'results.md'), md);
    const yRange = mseChartRange(result);
    const svg = lineChartSvg({
      title: `${env}: adaptation on ${tasks} held-out tasks`,
      xLabel: 'number of gradient steps',
      yLabel: yRange ? `${metricLabel(result)} (clipped; results.md has every value)` : metricLabel(result),
      ...(yRange ? { yRange } : {}),
      series: result.methods.map((m) => ({
        label: methodLabel(m.name),
        x: m.steps.map((s) => s.step),
        y: m.steps.map((s) => s.mean),
        err: m.steps.map((s) => s.sem),
        reference: m.algo === 'oracle',
      })),
    });
    writeFileSync(join(o.out, 'figure.svg'), svg);
    writeFileSync(join(o.out, 'figure.png'), await svgToPng(svg));
    // Last, and whole or not at all (renamed into place): its presence says the comparison is written.
    writeFileWhole(join(o.out, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
    rmSync(join(o.out, 'partial'), { recursive: true, force: true });
    process.stdout.write(`${md}\nwrote ${['results.json', 'results.md', 'figure.svg', 'figure.png'].map((f) => join(o.out!, f)).join(', ')}\n`);

  } finally {
    release();
    // Refused or failed before writing anything: the folder made for it goes too.
    // Only while empty: another process may have put files of its own in the folders above.
    if (made !== null && existsSync(o.out) && readdirSync(o.out).length === 0) removeMade(o.out, made, []);
  }
}
