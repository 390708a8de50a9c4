/**
 * `metarl bench [--env ID] [--config FILE.json] [--iterations N] [--workers N] [--backend B] [--env-only] [--json FILE]`
 *
 * Times MAML-TRPO meta-iterations of the env's reference configuration (its default preset, with
 * `--config`'s overrides) after one warm-up: seconds per iteration (median/min/max), the phase
 * breakdown, env control steps per second, peak RSS and the live tensor count. `--env-only`
 * instead measures env control steps per second on one core (every registered env unless `--env`
 * is given). The measurements live in agents/bench.ts.
 */
import { parseArgs } from 'node:util';
import { BENCH_OPTIONS } from './options.ts';
import { availableParallelism } from 'node:os';
import { ConfigError, resolveConfig } from '../src/config.ts';
import { checkOutFile, writeJsonFile, chooseEnv, envModuleIds, intOpt, loadEnvModules, readConfigFile } from './args.ts';
import { initBackend, type BackendName } from '../src/backend.ts';
import { listEnvs, make } from '../envs/index.ts';
import { OmniglotDataError } from '../envs/omniglot-register.ts';
import { benchEnvSteps, benchMetaIterations, formatBenchReport, formatEnvBench } from '../agents/bench.ts';
import { isSupervised } from '../agents/trainer.ts';

/** Whether env `id` can be made here: false, with a log line, for an env whose data is missing (Omniglot without its files). */
function hasData(id: string, log: (line: string) => void): boolean {
  try {
    make(id);
    return true;
  } catch (e) {
    if (!(e instanceof OmniglotDataError)) throw e;
    log(`bench: skipping ${id}: ${e.message}`);
    return false;
  }
}

/** The `bench` subcommand. */
export async function cmdBench(argv: string[], log: (line: string) => void, backend: (v: string | undefined) => BackendName): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    strict: true,
    options: BENCH_OPTIONS,
  });
  const envModules = await loadEnvModules(o['env-module']);
  if (o['env-only']) {
    // Env steps only: no training, so the flags of the meta-iteration benchmark do not apply.
    for (const flag of ['iterations', 'workers', 'config'] as const) {
      if (o[flag] !== undefined) throw new ConfigError(`--${flag}`, o[flag], 'does not apply to --env-only (it times env steps, not meta-iterations)');
    }
  }
  checkOutFile('--json', o.json);
  const fileCfg = o.config !== undefined ? readConfigFile(o.config) : undefined;
  // The env timed: --env, else the config file's, else the one env the --env-module files register (--env-only: all).
  const envs =
    o['env-only'] && o.env === undefined
      ? (envModuleIds().length > 0 ? envModuleIds() : listEnvs()).filter((id) => hasData(id, log))
      : [chooseEnv(o.env, fileCfg, o.config, 'Navigation2D-v0')];
  if (o['env-only']) {
    const rows = benchEnvSteps(envs, { log });
    process.stdout.write(`${formatEnvBench(rows)}\n`);
    if (o.json) writeJsonFile(o.json, { kind: 'env-steps', node: process.version, envs: rows });
    return;
  }
  // The meta-iterations timed are MAML-TRPO's: a supervised env trains with another learner.
  if (isSupervised(make(envs[0]!))) throw new ConfigError('--env', envs[0], 'is a supervised env, and bench times MAML-TRPO meta-iterations of RL envs: time its learner with `npx tsx scripts/bench-supervised.ts --env ID`');
  const iterations = intOpt('iterations', o.iterations, 1) ?? 5;
  const workers = o.workers === 'auto' ? availableParallelism() : (intOpt('workers', o.workers, 1) ?? availableParallelism());
  const config = fileCfg !== undefined ? resolveConfig(envs[0]!, undefined, fileCfg) : undefined;
  const b = backend(o.backend);
  await initBackend(b, { log });
  const what = o.config !== undefined ? `reference configuration + ${o.config}` : 'reference configuration';
  // One worker per task at most, as benchMetaIterations starts them.
  const tasks = (config ?? resolveConfig(envs[0]!, undefined)).sampling.metaBatchSize;
  const used = Math.min(workers, tasks);
  log(`bench: ${envs[0]}, ${what}, ${used} worker${used === 1 ? '' : 's'}${used < workers ? ` (one per task of the ${tasks} an iteration has)` : ''}, 1 warm-up + ${iterations} iteration${iterations === 1 ? '' : 's'}`);
  const report = await benchMetaIterations({ env: envs[0]!, config, iterations, workers, envModules, log });
  process.stdout.write(`${formatBenchReport(report)}\n`);
  if (o.json) writeJsonFile(o.json, report);
}
