/**
 * `npm run demo [-- --run DIR] [--env-module FILE] [--view ENV_ID] [--port 4173] [--host 127.0.0.1] [--out demo/dist] [--build-only] [--retrain]`
 *
 * Builds the browser demo with a trained run bundled in and serves it on localhost.
 * Without `--run`, trains the quick run of demo/default-run.json first (`metarl train`, two to
 * four minutes) and caches it in node_modules/.cache/metarl-demo/ for the next time.
 * `--env-module` bundles a module registering an env of one's own into the page (as for `metarl
 * train`), and `--view ENV_ID` gives that env the playground view of a built-in env it shares
 * tasks with (a navigation variant: `Navigation2D-v0`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CheckpointError, loadCheckpoint } from '../src/checkpoint.ts';
import { ConfigError } from '../src/config.ts';
import { envSpec, make } from '../envs/index.ts';
import { loadEnvModules, recordedEnvModules, unknownEnvHint } from '../scripts/args.ts';
import { EnvModuleBuildError, buildDemo, DEMO_DIR, serveDemo } from './build.ts';
import { viewIds, viewMismatch } from './views/index.ts';
import { unknownFlagHint } from '../src/suggest.ts';

const REPO = resolve(DEMO_DIR, '..');
const DEFAULT_CONFIG = join(DEMO_DIR, 'default-run.json');

const log = (line: string) => process.stderr.write(`demo: ${line}\n`);

class UsageError extends Error {}

/** The demo's flags. */
const DEMO_OPTIONS = {
  run: { type: 'string' },
  out: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'build-only': { type: 'boolean' },
  retrain: { type: 'boolean' },
  'env-module': { type: 'string', multiple: true },
  view: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The cached default run, trained (or finished) if needed. */
function defaultRun(retrain: boolean): string {
  const text = readFileSync(DEFAULT_CONFIG, 'utf8');
  const iterations = (JSON.parse(text) as { iterations: number }).iterations;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  const dir = join(REPO, 'node_modules', '.cache', 'metarl-demo', `default-run-${hash}`);
  if (retrain) rmSync(dir, { recursive: true, force: true });
  let done = 0;
  try {
    done = loadCheckpoint(dir).meta.iteration;
  } catch {
    rmSync(dir, { recursive: true, force: true }); // no usable checkpoint: start over
  }
  if (done >= iterations) {
    log(`using the cached quick run ${relative(process.cwd(), dir)} (--retrain to train it again)`);
    return dir;
  }
  const args = done > 0 ? ['train', '--resume', '--out', dir] : ['train', '--config', DEFAULT_CONFIG, '--out', dir];
  log(`no --run given: training the quick demo run (${relative(process.cwd(), DEFAULT_CONFIG)}, ${iterations} iterations) → ${relative(process.cwd(), dir)}`);
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'metarl.mjs'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`metarl train exited with ${r.status ?? r.signal}`);
  return dir;
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({ args: process.argv.slice(2), strict: true, options: DEMO_OPTIONS });
  if (o.help) {
    process.stdout.write('usage: npm run demo -- [--run DIR] [--env-module FILE] [--view ENV_ID] [--port 4173] [--host 127.0.0.1] [--out demo/dist] [--build-only] [--retrain]\n');
    return;
  }
  // Envs of one's own: registered here to check the run's env, and bundled into the page.
  const envModules = (await loadEnvModules(o['env-module'])).map((u) => fileURLToPath(u));
  if (o.view !== undefined && !viewIds().includes(o.view)) throw new UsageError(`--view: no playground view for ${JSON.stringify(o.view)}; views: ${viewIds().join(', ')}`);
  // Digits only (Number() would take '' as 0 and 1e3 as 1000).
  const port = o.port === undefined ? 4173 : /^\d+$/.test(o.port) ? Number(o.port) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: must be an integer in 0…65535 (got ${JSON.stringify(o.port)})`);
  if (o.run !== undefined && !existsSync(o.run)) throw new UsageError(`--run: run directory not found (got ${JSON.stringify(o.run)})`);
  const run = o.run ?? defaultRun(o.retrain ?? false);
  const env = loadCheckpoint(run).meta.config.env;
  // Omniglot is built in for Node, reading its images from files; the page has no files to read.
  if (!envSpec(env) && /^Omniglot\d+Way\d+Shot-v0$/.test(env)) throw new UsageError(`--run: the run's env ${JSON.stringify(env)} reads its images from files, which the page cannot: Omniglot runs are evaluated with metarl evaluate and metarl oneshot`);
  if (!envSpec(env)) {
    const recorded = recordedEnvModules(run);
    const how = recorded.length > 0 ? `pass --env-module ${recorded.join(' --env-module ')} (the run was trained with it)` : 'pass the file that registers it with --env-module FILE';
    const given = envModules.length > 0 ? `; ${unknownEnvHint().trim().replace(/^\(|\)$/g, '')}` : '';
    throw new UsageError(`--run: the run's env ${JSON.stringify(env)} is not built in: ${how}${given}`);
  }
  const mismatch = o.view !== undefined ? viewMismatch(o.view, make(env)) : null;
  if (mismatch) throw new UsageError(`--view: the ${o.view} view cannot show ${env}: ${mismatch}`);
  const label = o.run ? `run ${o.run}` : `quick demo run (demo/default-run.json), trained by npm run demo`;
  const outDir = o.out ?? join(DEMO_DIR, 'dist');
  const shownOut = relative(process.cwd(), outDir).startsWith('..') ? resolve(outDir) : relative(process.cwd(), outDir) || '.';
  log(`building the page with ${label} → ${shownOut}`);
  await buildDemo({ run, outDir, label, quiet: true, envModules, view: o.view });
  if (o['build-only']) {
    log(`built ${shownOut} (serve it with any static server, or run without --build-only)`);
    return;
  }
  const server = await serveDemo({ outDir, port, host: o.host, quiet: true });
  // The test reads this line to find the port.
  process.stdout.write(`demo: serving ${server.url}\n`);
  log('press Ctrl-C to stop');
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  const err = e as Error;
  const user = e instanceof UsageError || e instanceof ConfigError || e instanceof EnvModuleBuildError || e instanceof CheckpointError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  // A misspelt flag gets the one it most plausibly stands for, as the metarl command's do.
  const hint = (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? unknownFlagHint(err.message, Object.keys(DEMO_OPTIONS)) : '';
  process.stderr.write(`demo: ${user ? '' : 'error: '}${user ? err.message : (err.stack ?? String(e))}${hint}\n`);
  process.exit(user ? 2 : 1);
});
