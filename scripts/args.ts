import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { episodeBytes, memoryProblem } from '../src/episode-memory.ts';
import type { Env } from '../src/types.ts';
import { didYouMean, unknownFlagHint } from '../src/suggest.ts';
import { ConfigError } from '../src/config.ts';
import { runDirProblem } from '../src/checkpoint.ts';
import { fileOnTheWay, makeDir, nameLengthProblem, notWritableProblem, outDirProblem, realPath, runFileProblem, writeFileWhole } from '../src/out-paths.ts';
import { listEnvs, make } from '../envs/index.ts';

/**
 * A benchmark script's flags and their defaults: a number is a positive integer, null an optional
 * one, a string any text, an array one of its strings (the first is the default; '' for a flag
 * whose absence means something of the script's own).
 */
type ScriptFlags = Record<string, number | null | string | readonly string[]>;

/** The values of {@link ScriptFlags} `F`, as {@link scriptArgs} returns them. */
type ScriptValues<F extends ScriptFlags> = {
  [K in keyof F]: F[K] extends readonly (infer C)[] ? C : F[K] extends string ? string : F[K] extends number ? number : number | undefined;
};

/** Ends benchmark script `script` as the metarl command ends on bad input: one line on stderr, exit code 2. */
export function scriptFail(script: string, message: string): never {
  process.stderr.write(`${script}: ${message}\n`);
  process.exit(2);
}

/**
 * The value of a benchmark script's list flag (`--hidden 100,100`): its comma-separated items, each
 * read by `item` (undefined for one it does not take); a bad item ends the script as
 * {@link scriptFail} does, naming the flag, the item and `what` the items must be.
 */
export function scriptList<T>(script: string, flag: string, value: string, what: string, item: (text: string) => T | undefined): T[] {
  return value.split(',').map((text) => {
    const v = item(text.trim());
    if (v === undefined) scriptFail(script, `--${flag}: ${JSON.stringify(text)} is not ${what} (got ${JSON.stringify(value)})`);
    return v;
  });
}

/**
 * Reads the flags of a benchmark script (`npx tsx scripts/NAME.ts --flag value …`), each with its
 * default: a number default takes a positive integer, `null` an optional positive integer, a string
 * any text. An unknown flag (with the known one it most plausibly misspells), a missing value or a
 * value that is not a positive integer where one is wanted ends the script with exit code 2 and one
 * line naming the flag and the value, as the metarl command answers bad input.
 */
export function scriptArgs<F extends ScriptFlags>(script: string, flags: F, argv: readonly string[] = process.argv.slice(2)): ScriptValues<F> {
  const fail = (message: string): never => scriptFail(script, `${message} (flags: ${Object.keys(flags).map((f) => `--${f}`).join(', ')})`);
  let values: Record<string, string | undefined> = {};
  try {
    values = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }])) }).values as Record<string, string | undefined>;
  } catch (e) {
    fail(`${(e as Error).message}${unknownFlagHint((e as Error).message, Object.keys(flags))}`);
  }
  const out: Record<string, string | number | undefined> = {};
  for (const [flag, fallback] of Object.entries(flags)) {
    const given = values[flag];
    if (Array.isArray(fallback)) {
      const choices = fallback as readonly string[];
      if (given !== undefined && !choices.includes(given)) {
        // '' as a choice is the flag left out (a default of the script's own).
        const shown = choices.filter((c) => c !== '');
        fail(`--${flag}: must be one of ${shown.join(', ')}${didYouMean(given, shown)} (got ${JSON.stringify(given)})`);
      }
      out[flag] = given ?? choices[0];
    } else if (given === undefined) out[flag] = (fallback as number | string | null) ?? undefined;
    else if (typeof fallback === 'string') out[flag] = given;
    else {
      // The CLI's own integer check, and its message, without the CLI's upper bounds, which are
      // about its commands (bench-env's --steps counts env steps, not adaptation steps).
      try {
        out[flag] = intOpt(flag, given, 1, {});
      } catch (e) {
        fail((e as Error).message);
      }
    }
  }
  return out as ScriptValues<F>;
}

/**
 * Refuses `--episodes N` of an evaluation of RL env `env` when its N episode slots (all sampled at
 * once, one env each) would not fit in this machine's memory: a lower bound (float32 observations,
 * actions, rewards and masks of N episodes of the env's horizon), so a refusal is never wrong.
 * Without it a typo (`--episodes 100000000`) ran until V8 ran out of memory.
 */
export function checkEpisodeSlots(episodes: number, env: Env): void {
  const problem = memoryProblem(episodeBytes(env, episodes), '');
  if (problem !== null) throw new ConfigError('--episodes', String(episodes), `${episodes} episodes of ${env.maxEpisodeSteps} steps, sampled at once, ${problem}`);
}

/**
 * Parses the value of the integer option `--name` of a CLI subcommand: undefined when the option is
 * absent, else an integer ≥ `min`; anything else throws a {@link ConfigError} naming `--name` and the
 * value ("must be a positive integer" for min ≥ 1, "must be a non-negative integer" for min 0, "must
 * be at most N" above the bound `bounds` (by default the CLI's, {@link FLAG_MAX}) sets for the flag).
 * Only decimal digits are taken (not `0x10`, `1e3` or `2.0`).
 */
export function intOpt(name: string, v: string | undefined, min: number, bounds: Readonly<Record<string, [number, string]>> = FLAG_MAX): number | undefined {
  if (v === undefined) return undefined;
  // Digits only: Number() would also take 0x10, 1e3 or an empty string.
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (/^\d+$/.test(v) && !Number.isSafeInteger(n)) throw new ConfigError(`--${name}`, v, `must be an integer at most ${Number.MAX_SAFE_INTEGER}`);
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`--${name}`, v, min > 0 ? 'must be a positive integer' : 'must be a non-negative integer');
  const max = bounds[name];
  if (max !== undefined && n > max[0]) throw new ConfigError(`--${name}`, v, `must be at most ${max[0]} (${max[1]})`);
  return n;
}

/**
 * Upper bounds of integer flags beyond which a command cannot finish, with the reason (found by a
 * bad-input trial: `--tasks 100000000` and `--steps 1000000000` ran until V8 ran out of memory).
 */
const FLAG_MAX: Record<string, [number, string]> = {
  tasks: [1_000_000, "every task's results are held in memory; the paper's protocol has 40"],
  steps: [10_000, 'the paper adapts for 3 steps, and each step samples a batch per task'],
  shots: [1_000_000, "a task's examples are held in the backend's memory at once"],
  'batch-timesteps': [10_000_000, 'a batch is held in memory at once; the original code measured with 4000'],
};

/**
 * Reads a `--config FILE.json` (overrides of a config, nested like it): a missing file or bad JSON
 * throws a {@link ConfigError} naming `--config` and the path. The keys are checked when applied.
 */
export function readConfigFile(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError('--config', path, 'file not found');
  if (statSync(path).isDirectory()) throw new ConfigError('--config', path, 'is a directory; give the JSON file');
  let doc: unknown;
  try {
    // A byte-order mark, as some editors save UTF-8, is not part of the JSON.
    doc = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError('--config', path, `is not valid JSON: ${(e as Error).message}`);
  }
  // A run's own config.json ({ config, versions, … } as `metarl train` writes it): its config.
  if (isRunConfigFile(doc)) return doc.config;
  return doc;
}

/** Whether `doc` is a run's `config.json`: the resolved config under `config`, next to `versions`. */
function isRunConfigFile(doc: unknown): doc is { config: unknown } {
  if (doc === null || typeof doc !== 'object') return false;
  const d = doc as Record<string, unknown>;
  return typeof d.config === 'object' && d.config !== null && typeof d.versions === 'object';
}

/**
 * The env a command that takes `--env` and `--config` runs on: `--env` (`flag`); else the config
 * file's `env`; else, when the `--env-module` files registered exactly one env, that one (several:
 * an error asking for `--env`; none, with a module that registered nothing: an error too, as its
 * `register` call is likely missing); else `fallback`. A config file's `env` that differs from `--env` is an error rather than a silent
 * override (the preset and the default output directory follow the env). Unknown ids throw, listing
 * the known ones.
 */
export function chooseEnv(flag: string | undefined, fileCfg: unknown, file: string | undefined, fallback: string): string {
  const fromFile = fileCfg !== null && typeof fileCfg === 'object' ? (fileCfg as { env?: unknown }).env : undefined;
  if (fromFile !== undefined && typeof fromFile !== 'string') throw new ConfigError('env', fromFile, `must be an env id (in ${file})`);
  if (flag !== undefined && fromFile !== undefined && flag !== fromFile) {
    throw new ConfigError('--env', flag, `differs from the env of ${file} (${JSON.stringify(fromFile)}); give one of them`);
  }
  const fromModules = envModuleIds();
  // A module that registered nothing (its register(...) line forgotten) must not leave the default env to train.
  const empty = emptyEnvModules();
  if (flag === undefined && fromFile === undefined && fromModules.length === 0 && empty.length > 0) {
    throw new ConfigError('--env-module', empty.join(' '), `registered no env (is its register({ id, factory }) call missing?), and without --env the command would run ${fallback}`);
  }
  if (flag === undefined && fromFile === undefined && fromModules.length > 1) {
    throw new ConfigError('--env', undefined, `is required: the --env-module files register ${fromModules.join(', ')}`);
  }
  const id = flag ?? fromFile ?? (fromModules.length === 1 ? fromModules[0]! : fallback);
  make(id); // unknown id → UnknownEnvError listing the known ones
  return id;
}

/**
 * Checks that `path`, given with `flag`, names a run directory `loadCheckpoint` can read (a
 * directory `metarl train` wrote, or one of its `snapshots/itN`), or what `problemOf` accepts
 * instead; throws a {@link ConfigError} naming the flag otherwise, or when the flag is missing.
 */
export function requireRunDir(flag: string, path: string | undefined, problemOf: (dir: string) => string | null = runDirProblem): asserts path is string {
  if (path === undefined) throw new ConfigError(flag, undefined, 'is required');
  if (path === '') throw new ConfigError(flag, path, 'is empty; give a run directory');
  const problem = problemOf(path);
  if (problem !== null) throw new ConfigError(flag, path, problem);
  runDirs.push(path);
}

/** The run directories this command was given (checked by {@link requireRunDir}). */
const runDirs: string[] = [];

/** Starts a command in this process: forgets the run directories an earlier command was given. */
export function startCommand(): void {
  runDirs.length = 0;
}

/**
 * The env modules a run recorded (`envModules` in its `config.json`, or its parent run's for a
 * snapshot) as file paths; empty when none or unreadable.
 */
export function recordedEnvModules(runDir: string): string[] {
  for (const file of [join(runDir, 'config.json'), join(runDir, '..', '..', 'config.json')]) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { envModules?: unknown };
      if (Array.isArray(doc.envModules)) return doc.envModules.map((m) => (String(m).startsWith('file:') ? fileURLToPath(String(m)) : String(m)));
    } catch {
      // no config.json there: try the next place
    }
  }
  return [];
}

/**
 * Checks, before any work is done, that an output file `path` given with `flag` can be written:
 * it names a file (not a directory, no trailing slash), no file stands where a directory above it
 * should be (the directories that do not exist yet are made when it is written), and it is not a
 * file of a run (a checkpoint's, a run's `config.json` or `progress.jsonl`). Nothing to check when
 * it is undefined.
 */
export function checkOutFile(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  // Found by a bad-input trial: --json "" wrote nothing, with no word.
  if (path === '') throw new ConfigError(flag, path, 'is empty; give a file name');
  const long = nameLengthProblem(path);
  if (long !== null) throw new ConfigError(flag, path, long);
  if (/[/\\]$/.test(path)) throw new ConfigError(flag, path, 'ends in a slash, which names a directory; give a file name');
  if (existsSync(path) && statSync(path).isDirectory()) throw new ConfigError(flag, path, 'is a directory; give a file name');
  const blocking = fileOnTheWay(path);
  if (blocking !== null) throw new ConfigError(flag, path, `cannot be written: ${blocking} is a file, not a directory`);
  const harm = runFileProblem(path);
  if (harm !== null) throw new ConfigError(flag, path, `${harm}; write the results elsewhere`);
  const locked = notWritableProblem(dirname(path));
  if (locked !== null) throw new ConfigError(flag, path, locked);
}

/** Writes `doc` as indented JSON to `path` (a `--json` file checked by {@link checkOutFile}), making its directory if needed. */
export function writeJsonFile(path: string, doc: unknown): void {
  makeDir(dirname(path));
  // Whole or not at all: a stop while writing leaves the earlier file as it was, not an empty one
  // (renamed onto the file a link points to, not onto the link).
  writeFileWhole(realPath(path), `${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * Checks, before any work is done, that an output directory `path` given with `flag` can be made
 * or used: it is not a file, and no file stands where a directory above it should be.
 */
export function checkOutDir(flag: string, path: string | undefined): void {
  if (path === undefined) return;
  const problem = outDirProblem(path);
  if (problem !== null) throw new ConfigError(flag, path, problem);
}

/**
 * Progress of a per-task loop on stderr: on a terminal one line redrawn in place (`\r`); otherwise
 * (a log file, a pipe) a line at every tenth of the tasks, so that logs stay readable.
 */
export function taskProgress(stream: NodeJS.WriteStream = process.stderr): (label: string, done: number, total: number) => void {
  return (label, done, total) => {
    const text = `  ${label}task ${done}/${total}`;
    if (stream.isTTY) stream.write(`\r${text}${done === total ? '\n' : ''}`);
    else if (done === total || Math.floor((10 * done) / total) > Math.floor((10 * (done - 1)) / total)) stream.write(`${text}\n`);
  };
}

/**
 * Imports every `--env-module FILE` (a module that `register`s envs of the user's own, like
 * `examples/navigation-ring.ts`), in the order given, before the command makes any env. Returns
 * their file URLs, which worker threads import too. A missing file or one that fails to load throws
 * a {@link ConfigError} naming `--env-module`, the file and the reason.
 */
export async function loadEnvModules(files: readonly string[] | undefined): Promise<string[]> {
  const urls: string[] = [];
  for (const file of files ?? []) {
    const before = new Set(listEnvs());
    const path = resolve(file);
    // The same file again: imported once already (a second import registers nothing).
    if (loadedEnvModules.some((m) => m.path === path)) continue;
    if (!existsSync(path)) throw new ConfigError('--env-module', file, 'file not found');
    if (statSync(path).isDirectory()) throw new ConfigError('--env-module', file, 'is a directory; give the file that registers the env');
    // As CommonJS it would fail to import metarl, or register into a second copy of the registry (no env).
    if (isCommonJs(path)) throw new ConfigError('--env-module', file, commonJsAdvice(path));
    const url = pathToFileURL(path).href;
    try {
      await import(url);
    } catch (e) {
      const where = userFrame(e, path);
      throw new ConfigError('--env-module', file, `failed to load: ${commonJsHint(e, path) ?? String((e as Error).message ?? e)}${where ? ` (at ${where})` : ''}`);
    }
    urls.push(url);
    loadedEnvModules.push({ file, path, ids: listEnvs().filter((id) => !before.has(id)) });
  }
  return urls;
}

/**
 * Whether Node (and tsx) load `path` as CommonJS: `.cjs`/`.cts`, or `.js`/`.ts` without a
 * `"type": "module"` in the nearest package.json above it.
 */
export function isCommonJs(path: string): boolean {
  if (/\.c[jt]s$/.test(path)) return true;
  if (!/\.[jt]s$/.test(path)) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type !== 'module';
      } catch {
        return true; // unreadable: Node takes it as CommonJS too
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/** What to do about an env module Node would load as CommonJS ({@link isCommonJs}). */
function commonJsAdvice(path: string): string {
  const mjs = basename(path).replace(/\.c?([jt])s$/, '.m$1s');
  return `Node loads it as CommonJS (${/\.c[jt]s$/.test(path) ? 'its extension' : 'no package.json with "type": "module" above it'}), which cannot import metarl's ES modules: name it ${mjs}${/\.c[jt]s$/.test(path) ? '' : ', or put a package.json with "type": "module" in its directory'}`;
}

/** For a module that failed because Node loaded it as CommonJS after all (an error code says so): {@link commonJsAdvice}. Undefined otherwise. */
function commonJsHint(e: unknown, path: string): string | undefined {
  const err = e as { code?: string; message?: string };
  const cjs = ['ERR_REQUIRE_CYCLE_MODULE', 'ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE'].includes(err?.code ?? '') || /require\(\) ES Module|Cannot use import statement outside a module/.test(err?.message ?? '');
  return cjs ? `${commonJsAdvice(path)} (${err.code ?? err.message})` : undefined;
}

/** The `--env-module` files this process loaded (as given and resolved), with the env ids each registered. */
const loadedEnvModules: { file: string; path: string; ids: string[] }[] = [];

/** The `--env-module` files that registered no env. */
export function emptyEnvModules(): string[] {
  return loadedEnvModules.filter((m) => m.ids.length === 0).map((m) => m.file);
}

/** The env ids the `--env-module` files registered, in the order they were loaded. */
export function envModuleIds(): string[] {
  return loadedEnvModules.flatMap((m) => m.ids);
}

/**
 * What to add to an "unknown env id" message: with no `--env-module` given, the modules the
 * command's runs were trained with (recorded in their `config.json`) or else that an env of one's
 * own needs the flag; with some given, which ids they registered.
 */
export function unknownEnvHint(): string {
  const recorded = [...new Set(runDirs.flatMap(recordedEnvModules))];
  const trainedWith = recorded.length > 0 ? `the run was trained with --env-module ${recorded.join(' --env-module ')}` : '';
  if (loadedEnvModules.length === 0) return trainedWith ? ` (${trainedWith}: pass it again)` : ' (an env of your own: pass the file that registers it with --env-module FILE)';
  const what = loadedEnvModules.map(({ file, ids }) => `${file} registered ${ids.length > 0 ? ids.join(', ') : 'no env'}`);
  return ` (--env-module: ${what.join('; ')}${trainedWith ? `; ${trainedWith}` : ''})`;
}

/**
 * For an internal error while `--env-module` files were loaded: a line saying that the env is one's
 * own and how to check it (a fault in it surfaces as an error deep in training); with `threw`
 * (the env's own code threw), only how to check it. Empty when no module was loaded.
 */
export function envModuleFaultHint(threw = false): string {
  if (loadedEnvModules.length === 0) return '';
  const flags = envModuleFlags();
  const check = `\`metarl check ${flags}\` checks it for the usual faults (observations, rewards, seeding, episode ends) on 3 tasks, or more with --tasks N (a fault of some tasks only may need 40)`;
  return threw ? `metarl: ${check}\n` : `metarl: the env may be at fault: it comes from ${flags}; ${check}\n`;
}

/** The `--env-module` flags of the files this process loaded, as given (`--env-module a.ts --env-module b.ts`), or ''. */
export function envModuleFlags(): string {
  return loadedEnvModules.map((m) => `--env-module ${shellQuote(m.file)}`).join(' ');
}

/** `arg` as a shell would need it in a printed command: as it is when plain, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The directory of the metarl package (its own frames are not the user's). */
const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The location a stack frame names (`at f (/a/b.ts:1:2)`, `at /a/b.ts:1:2`, `file://` URLs decoded,
 * parentheses and spaces in the path allowed): its file and the `file:line:column` to print; undefined
 * for `node:` internals and `<anonymous>`.
 */
function frameLocation(frame: string): { file: string; at: string } | undefined {
  const m = /^(?:.*? \()?((?:file:\/\/)?\/.*?):(\d+:\d+)\)?$/.exec(frame.trim());
  if (!m) return undefined;
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  return { file, at: `${file}:${m[2]}` };
}

/**
 * The stack frames of `e`, of the causes it carries and of the worker stacks quoted in its stack
 * (as tsx maps them) that lie in the user's own code: an `--env-module` file, or any file outside the metarl package,
 * Node's internals and `node_modules`. In order, without repeats; empty when none do.
 */
export function userFrames(e: unknown, extraPaths: readonly string[] = []): string[] {
  const own = new Set([...loadedEnvModules.map((m) => m.path), ...extraPaths]);
  const out: string[] = [];
  let x: unknown = e;
  for (let depth = 0; x instanceof Error && depth < 5; depth++, x = x.cause) {
    for (const line of (x.stack ?? '').split('\n')) {
      const m = /^\s+at (.+)$/.exec(line);
      const loc = m ? frameLocation(m[1]!) : undefined;
      if (!loc) continue;
      // An --env-module file counts wherever it lies (node_modules too); other code under node_modules is a dependency's.
      if (own.has(loc.file) || (!loc.file.includes('/node_modules/') && !loc.file.startsWith(PACKAGE_ROOT))) {
        const frame = m![1]!.trim().replace(/\(?(?:file:\/\/)?\/.*\)?$/, (whole) => (whole.startsWith('(') ? `(${loc.at})` : loc.at));
        if (!out.includes(frame)) out.push(frame);
      }
    }
  }
  return out;
}

/**
 * Where in the user's code `e` was thrown while loading the module at `path`: its first frame in
 * the user's code ({@link userFrames}), else its first frame outside Node, `node_modules` and metarl.
 */
function userFrame(e: unknown, path: string): string | undefined {
  // Not metarl's own frames (the import call in scripts/): an error that names no place in the user's code names none.
  const frame = userFrames(e, [path])[0] ?? ((e as Error)?.stack ?? '').split('\n').find((l) => /^\s+at /.test(l) && !/node:|node_modules/.test(l) && !l.includes(PACKAGE_ROOT));
  return frame ? frameLocation(frame.trim().replace(/^at /, ''))?.at : undefined;
}

/** The command that resumes the run in `out` to `iterations`, with this process's --env-module flags, shell-quoted. */
export function resumeCommand(out: string, iterations: number): string {
  const flags = envModuleFlags();
  return `metarl train --resume --iterations ${iterations} --out ${shellQuote(out)}${flags ? ` ${flags}` : ''}`;
}
