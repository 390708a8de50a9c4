/**
 * The flags of every `metarl` command, as `node:util` `parseArgs` option tables, and the usage text
 * that lists them. Kept apart from `cli.ts` (which runs on import) so that tests can check the usage
 * text and the commands written in the README and `docs/` against the tables the parser uses.
 */

import { BACKEND_NAMES } from '../src/backend-names.ts';

/** `--env-module FILE` (repeatable): a module that registers envs of one's own, imported first. */
const ENV_MODULE = { 'env-module': { type: 'string', multiple: true } } as const;

/** The flags `evaluate` and `select` share. */
const RUN_EVAL_FLAGS = {
  ...ENV_MODULE,
  run: { type: 'string' },
  tasks: { type: 'string' },
  steps: { type: 'string' },
  episodes: { type: 'string' },
  'batch-timesteps': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'string' },
  backend: { type: 'string' },
} as const;

/** `metarl train`. */
export const TRAIN_OPTIONS = {
  env: { type: 'string' },
  ...ENV_MODULE,
  config: { type: 'string' },
  preset: { type: 'string' },
  seed: { type: 'string' },
  iterations: { type: 'string' },
  'meta-batch-size': { type: 'string' },
  'fast-batch-size': { type: 'string' },
  'first-order': { type: 'boolean' },
  algo: { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  workers: { type: 'string' },
  'keep-every': { type: 'string' },
  'init-from': { type: 'string' },
} as const;

/** `metarl evaluate`. */
export const EVALUATE_OPTIONS = { ...RUN_EVAL_FLAGS, shots: { type: 'string' }, 'task-file': { type: 'string' } } as const;

/** `metarl select`. */
export const SELECT_OPTIONS = { ...RUN_EVAL_FLAGS, since: { type: 'string' }, 'from-step': { type: 'string' } } as const;

/** `metarl compare`. */
export const COMPARE_OPTIONS = {
  env: { type: 'string' },
  ...ENV_MODULE,
  runs: { type: 'string' },
  random: { type: 'boolean' },
  tasks: { type: 'string' },
  steps: { type: 'string' },
  episodes: { type: 'string' },
  'batch-timesteps': { type: 'string' },
  seed: { type: 'string' },
  'task-file': { type: 'string' },
  shots: { type: 'string' },
  lr: { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
} as const;

/** `metarl bench`. */
export const BENCH_OPTIONS = {
  env: { type: 'string' },
  ...ENV_MODULE,
  config: { type: 'string' },
  iterations: { type: 'string' },
  workers: { type: 'string' },
  backend: { type: 'string' },
  'env-only': { type: 'boolean' },
  json: { type: 'string' },
} as const;

/** `metarl render`. */
export const RENDER_OPTIONS = {
  run: { type: 'string' },
  ...ENV_MODULE,
  task: { type: 'string' },
  steps: { type: 'string' },
  episodes: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
} as const;

/** `metarl oneshot`. */
export const ONESHOT_OPTIONS = {
  run: { type: 'string' },
  ...ENV_MODULE,
  data: { type: 'string' },
  steps: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'string' },
} as const;

/** `metarl plot`. */
export const PLOT_OPTIONS = { run: { type: 'string', multiple: true }, smooth: { type: 'string' }, out: { type: 'string' } } as const;

/** `metarl check`. */
export const CHECK_OPTIONS = { env: { type: 'string' }, ...ENV_MODULE, tasks: { type: 'string' } } as const;

/** `metarl inspect`. */
export const INSPECT_OPTIONS = { run: { type: 'string' }, json: { type: 'string' } } as const;

/** Every command `metarl` dispatches, with its flags. */
export const COMMAND_OPTIONS = {
  train: TRAIN_OPTIONS,
  evaluate: EVALUATE_OPTIONS,
  select: SELECT_OPTIONS,
  compare: COMPARE_OPTIONS,
  bench: BENCH_OPTIONS,
  render: RENDER_OPTIONS,
  oneshot: ONESHOT_OPTIONS,
  inspect: INSPECT_OPTIONS,
  check: CHECK_OPTIONS,
  plot: PLOT_OPTIONS,
} as const;

/** The command names `metarl` accepts. */
export const COMMANDS: readonly string[] = Object.keys(COMMAND_OPTIONS);

/** The backends `--backend` accepts (the library's list; that module loads no tfjs). */
export const BACKENDS: readonly string[] = BACKEND_NAMES;

/** `metarl --help` without its last lines (the envs, backends and algos, which `cli.ts` appends). */
export const USAGE_COMMANDS = `usage:
  metarl train [--env ID] [--env-module FILE] [--config FILE.json] [--preset NAME] [--seed N] [--iterations N]
               [--meta-batch-size N] [--fast-batch-size N] [--first-order] [--algo A] [--backend B] [--out DIR] [--resume]
               [--workers N|auto] [--keep-every N] [--init-from RUN_DIR]
  metarl evaluate --run DIR [--env-module FILE] [--tasks 40 | --task-file FILE.json] [--steps 3] [--episodes 40] [--batch-timesteps N] [--shots K] [--seed N] [--json FILE] [--backend B]
  metarl compare [--env ID] [--env-module FILE] --runs maml=DIR,pretrained=DIR,oracle=DIR [--random] [--tasks 40 | --task-file FILE.json] [--steps 3]
                 [--episodes 40] [--batch-timesteps N] [--shots K] [--seed N] [--lr name=α,…] [--backend B] --out DIR
  metarl select --run DIR [--env-module FILE] [--seed 777] [--tasks 40] [--steps 3] [--episodes 40] [--batch-timesteps N] [--since ITER] [--from-step 0|1] [--json FILE] [--backend B]
  metarl bench [--env ID] [--env-module FILE] [--config FILE.json] [--iterations N] [--workers N|auto] [--backend B] [--env-only] [--json FILE]
  metarl render --run DIR [--env-module FILE] [--task JSON] [--steps 1] [--episodes 20] [--seed N] [--backend B] --out FILE.svg
  metarl oneshot --run DIR [--env-module FILE] [--data one_shot_runs.zip] [--steps K] [--json FILE] [--backend B]
  metarl inspect --run DIR [--json FILE]
  metarl check [--env ID] [--env-module FILE] [--tasks 3]
  metarl plot --run DIR [--run DIR …] [--smooth N] --out FILE.svg
  metarl --version`;

/**
 * One line per flag for `metarl CMD --help`: what it does and its default. Keyed `command.flag`
 * where the meaning differs between commands, else `flag`.
 */
export const FLAG_HELP: Readonly<Record<string, string>> = {
  'env-module': 'a module of your own that registers envs (README "Your own env"); repeatable',
  'train.env-module': 'a module of your own that registers envs (README "Your own env"); repeatable; recorded in config.json, and needed again by every later command of the run',
  backend: 'auto (default: the first native tfjs package that loads, else wasm, else cpu), tensorflow-gpu, tensorflow, wasm or cpu',
  run: 'a run directory metarl train wrote, or one of its snapshots/itN',
  json: 'also write the results as JSON to this file',
  'train.env': 'env id to train on (default: the env of the --config file, else the one env the --env-module files register, else Navigation2D-v0)',
  'train.config': "JSON file of config overrides, nested like the config (README \"Configuration\"); a run's own config.json works too",
  'train.preset': 'named base config: navigation, cheetah, sine, omniglot or tiny (default: sine or omniglot for a supervised env, cheetah for HalfCheetah…, else navigation)',
  'train.seed': 'root seed of every random stream (default 1)',
  'train.iterations': "meta-iterations to run (default: the preset's; with --resume, the new total)",
  'train.meta-batch-size': "tasks per meta-iteration (default: the preset's)",
  'train.fast-batch-size': "episodes per task and adaptation step (RL envs; default: the preset's)",
  'train.first-order': 'drop the second-order terms of the meta-gradient (first-order MAML)',
  'train.algo': 'maml-trpo (default for RL envs), pretrained, oracle; supervised envs: maml, fomaml, meta-sgd, anil, reptile, protonet, pretrained',
  'train.out': 'run directory (default runs/<env>-seed<seed>); never overwritten',
  'train.resume': 'continue the run in --out from its checkpoint (the result equals an uninterrupted run)',
  'train.workers': 'worker threads, or auto (default: one per core; one for sine and for RL runs of at most 40000 env steps); results do not depend on it',
  'train.keep-every': 'also keep a copy of the checkpoint every N iterations in out/snapshots/itN (a multiple of checkpointEvery)',
  'train.init-from': "start from the parameters of this run's (or snapshot's) checkpoint instead of a fresh initialisation",
  'evaluate.tasks': 'held-out tasks (default 40; supervised envs 600)',
  'evaluate.task-file': 'evaluate on the tasks in this JSON file instead of drawing them (RL envs)',
  'evaluate.steps': 'adaptation steps scored after step 0 (default 3; supervised envs 10)',
  'evaluate.episodes': 'episodes per task and step (default 40; RL envs)',
  'evaluate.batch-timesteps': "measure each step's batch in env steps, as the original MAML code did (RL envs)",
  'evaluate.shots': 'support examples per task, K (supervised envs; default: the run\'s)',
  'evaluate.seed': 'seed of the held-out tasks and episodes (default 20170309, the test tasks)',
  'select.tasks': 'validation tasks (default 40)',
  'select.steps': 'adaptation steps scored (default 3)',
  'select.episodes': 'episodes per task and step (default 40)',
  'select.batch-timesteps': "measure each step's batch in env steps (as evaluate)",
  'select.seed': 'seed of the validation tasks (default 777; the test seed is refused)',
  'select.since': 'score only the checkpoints from this iteration on',
  'select.from-step': '1 (default): score steps 1…K; 0: count the return before adapting too',
  'compare.env': "env id (default: the env of the first run; required with --random alone)",
  'compare.runs': 'name=DIR pairs separated by commas (maml=…, pretrained=…, oracle=…, or names of your own)',
  'compare.random': 'add a freshly initialised policy',
  'compare.tasks': 'held-out tasks (default 40; supervised envs 600)',
  'compare.task-file': 'compare on the tasks in this JSON file instead of drawing them (RL envs)',
  'compare.steps': 'adaptation steps after step 0 (default 3; supervised envs 10)',
  'compare.episodes': 'episodes per task and step (default 40; RL envs)',
  'compare.batch-timesteps': "measure each step's batch in env steps (as evaluate)",
  'compare.shots': "support examples per task, K (supervised envs; default: the runs' K, which must then agree)",
  'compare.seed': 'seed of the held-out tasks and episodes (default 20170309)',
  'compare.lr': "step size per method, name=α pairs (default: each run's fastLr)",
  'compare.out': 'directory for results.json, results.md, figure.svg and figure.png (required; never overwritten)',
  'bench.env': 'env id (default: as train chooses it; with --env-only, the envs the --env-module files register, else every registered env)',
  'bench.config': 'JSON file of config overrides on the env\'s reference configuration',
  'bench.iterations': 'timed meta-iterations after one warm-up (default 5)',
  'bench.workers': 'worker threads, or auto (default: one per core)',
  'bench.env-only': 'time env control steps per second on one core instead of meta-iterations',
  'render.task': 'the task as JSON, e.g. \'{"velocity":1.5}\' (default: one drawn from seed 0)',
  'render.steps': 'adaptation steps before the rendered episode (default 1; oracle runs: 0, the only value)',
  'render.episodes': 'episodes per adaptation step (default 20)',
  'render.seed': 'seed of the adaptation episodes (default 0)',
  'render.out': 'the animated .svg to write; a .png filmstrip is written beside it (required)',
  'check.env': 'the env to check (default: the envs the --env-module files register, else every registered env)',
  'check.tasks': 'tasks drawn and rolled out (default 3)',
  'plot.run': 'a run directory (with its progress.jsonl); repeat to draw several runs in one figure',
  'plot.smooth': 'moving average over this many iterations (default: about a fiftieth of the longest run, at least 1)',
  'plot.out': 'the .svg to write; a .png is written beside it (required)',
  'oneshot.data': "one_shot_runs.zip (default: beside the Omniglot data)",
  'oneshot.steps': "adaptation steps (default: the run's inner steps)",
};

/** The help line of `--flag` of `command`. */
export function flagHelp(command: string, flag: string): string | undefined {
  return FLAG_HELP[`${command}.${flag}`] ?? FLAG_HELP[flag];
}
