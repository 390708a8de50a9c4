/**
 * The flags of every `metarl` command, as `node:util` `parseArgs` option tables, and the usage text
 * that lists them. Kept apart from `cli.ts` (which runs on import) so that tests can check the usage
 * text and the commands written in the README and `docs/` against the tables the parser uses.
 */

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
  data: { type: 'string' },
  steps: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'string' },
} as const;

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
} as const;

/** The command names `metarl` accepts. */
export const COMMANDS: readonly string[] = Object.keys(COMMAND_OPTIONS);

/** The backends `--backend` accepts. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** `metarl --help` without its last lines (the envs, backends and algos, which `cli.ts` appends). */
export const USAGE_COMMANDS = `usage:
  metarl train [--env ID] [--env-module FILE] [--config FILE.json] [--preset NAME] [--seed N] [--iterations N]
               [--meta-batch-size N] [--fast-batch-size N] [--first-order] [--algo A] [--backend B] [--out DIR] [--resume]
               [--workers N] [--keep-every N] [--init-from RUN_DIR]
  metarl evaluate --run DIR [--env-module FILE] [--tasks 40 | --task-file FILE.json] [--steps 3] [--episodes 40] [--batch-timesteps N] [--shots K] [--seed N] [--json FILE] [--backend B]
  metarl compare --env ID [--env-module FILE] --runs maml=DIR,pretrained=DIR,oracle=DIR [--random] [--tasks 40 | --task-file FILE.json] [--steps 3]
                 [--episodes 40] [--batch-timesteps N] [--shots K] [--seed N] [--lr name=α,…] [--backend B] --out DIR
  metarl select --run DIR [--env-module FILE] [--seed 777] [--tasks 40] [--steps 3] [--episodes 40] [--batch-timesteps N] [--since ITER] [--from-step 0|1] [--json FILE] [--backend B]
  metarl bench [--env ID] [--env-module FILE] [--config FILE.json] [--iterations N] [--workers N] [--backend B] [--env-only] [--json FILE]
  metarl render --run DIR [--env-module FILE] [--task JSON] [--steps 1] [--episodes 20] [--seed N] [--backend B] --out FILE.svg
  metarl oneshot --run DIR [--data one_shot_runs.zip] [--steps K] [--json FILE] [--backend B]
  metarl inspect --run DIR [--json FILE]
  metarl --version`;
