/**
 * `metarl` command line: thin wrappers over the library (no algorithm logic here).
 *
 * The commands and their flags are in `options.ts`; `metarl --help` prints them.
 *
 * Bad input exits with code 2 and one line naming the field and the value.
 */
import { createRequire } from 'node:module';
import { ConfigError, setOptionStyle } from '../src/config.ts';
import { CheckpointError } from '../src/checkpoint.ts';
import { UnknownEnvError, listEnvs } from '../envs/index.ts';
import { EnvContractError } from '../src/env-contract.ts';
import { OmniglotDataError } from '../envs/omniglot-register.ts';
import { envModuleFaultHint, envModuleFlags, resumeCommand, startCommand, unknownEnvHint, userFrames } from './args.ts';
import { BACKENDS, COMMAND_OPTIONS, COMMANDS, flagHelp, USAGE_COMMANDS } from './options.ts';
import { didYouMean, unknownFlagHint } from '../src/suggest.ts';

/** Where the help text points for what each flag does. */
const MORE_HELP = 'one command\'s flags: metarl <command> --help; more on each command and flag: README.md, "Command line" (presets and config keys: "Configuration")';

const USAGE = `${USAGE_COMMANDS}
envs: ${listEnvs().join(', ')}
backends: ${BACKENDS.join(', ')}
algos: maml-trpo, pretrained, oracle (RL envs); maml, fomaml, meta-sgd, anil, reptile, protonet, pretrained (supervised envs)
${MORE_HELP}`;

/** A user error: printed as one line, exit code 2. */
class UsageError extends Error {}

/** The usage lines of one command (its first line and the indented continuation lines). */
function commandUsage(cmd: string): string {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  metarl ${cmd} `));
  if (start < 0) return USAGE;
  let end = start + 1;
  while (end < lines.length && /^ {4,}/.test(lines[end]!)) end++;
  // The options in the order the usage line names them (those it does not name last).
  const usageText = lines.slice(start, end).join(' ');
  const at = (f: string) => {
    const i = usageText.search(new RegExp(`--${f}(?![\\w-])`));
    return i < 0 ? Infinity : i;
  };
  const flags = Object.keys(COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS]).sort((a, b) => at(a) - at(b));
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  const options = flags.map((f) => `  ${`--${f}`.padEnd(width + 2)}${flagHelp(cmd, f) ?? ''}`);
  // The lists that apply: env ids where --env is taken, backends where --backend is, algos for train.
  const lists = lines.filter((l) => (l.startsWith('envs:') && flags.includes('env')) || (l.startsWith('backends:') && flags.includes('backend')) || (l.startsWith('algos:') && cmd === 'train'));
  return ['usage:', ...lines.slice(start, end), '', 'options:', ...options, '', ...lists, MORE_HELP].join('\n');
}

/**
 * Refuses a flag given twice with different values (`--tasks 3 … --tasks 5`: the parser would keep
 * the last silently). Flags that may repeat (`--env-module`, plot's `--run`) are left alone.
 */
function refuseRepeatedFlags(cmd: string, args: readonly string[]): void {
  const options = COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS] as Record<string, { multiple?: boolean }>;
  const seen = new Map<string, string[]>();
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(args[i]!);
    const opt = m ? options[m[1]!] : undefined;
    if (!m || !opt || opt.multiple) continue;
    // A boolean flag has no value: repeating it changes nothing.
    if ((opt as { type?: string }).type !== 'string') continue;
    const value = m[2] ?? args[i + 1] ?? '';
    seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), value]);
  }
  for (const [flag, values] of seen) {
    if (values.length < 2 || values.every((v) => v === values[0])) continue;
    throw new UsageError(`--${flag} is given ${values.length} times (${values.map((v) => JSON.stringify(v)).join(', ')}); give it once`);
  }
}

/** Runs command `cmd` (one of COMMANDS) with its arguments, loading the commands' modules (and tfjs) only now. */
async function runCommand(cmd: string, rest: string[]): Promise<void> {
  const c = await import('./commands.ts');
  switch (cmd) {
    case 'train':
      return c.cmdTrain(rest);
    case 'evaluate':
      return c.cmdEvaluate(rest);
    case 'select':
      return c.cmdSelect(rest);
    case 'render':
      return c.cmdRender(rest);
    case 'oneshot':
      return c.cmdOneShot(rest);
    case 'check':
      return c.cmdCheck(rest);
    case 'plot':
      return c.cmdPlot(rest);
    case 'inspect':
      return c.cmdInspect(rest);
    case 'compare':
      return c.cmdCompare(rest, c.log, c.backendOpt);
    case 'bench':
      return c.cmdBench(rest, c.log, c.backendOpt);
    default:
      throw new Error(`runCommand: no command ${cmd}`);
  }
}

/**
 * Runs the command line `argv` (the arguments after `metarl`); a failure is thrown, not reported
 * ({@link runCli} reports it, {@link userErrorLine} gives a user error's line).
 */
export async function main(argv: string[]): Promise<void> {
  startCommand();
  // The library's messages name options as this command's flags (--init-from, not initFrom).
  setOptionStyle('cli');
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && COMMANDS.includes(cmd) && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${commandUsage(cmd)}\n`);
    return;
  }
  if (cmd !== undefined && COMMANDS.includes(cmd)) {
    refuseRepeatedFlags(cmd, rest);
    return runCommand(cmd, rest);
  }
  switch (cmd) {
    case '--version':
    case '-v': {
      // From the packages' own package.json files: loading tfjs to ask it would take most of a second.
      const require = createRequire(import.meta.url);
      const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
      // And whether this is the compiled build (scripts/build.mjs) or the TypeScript run through tsx (bin/metarl.mjs says when).
      const from = import.meta.url.endsWith('.js') ? 'the compiled build' : 'the TypeScript sources';
      process.stdout.write(`metarl ${version('..')} (tfjs ${version('@tensorflow/tfjs-core')}, node ${process.version}; running ${from})\n`);
      return;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}${didYouMean(cmd, COMMANDS)}: expected one of ${COMMANDS.join(', ')} (metarl --help lists their options)`);
  }
}

/**
 * For `parseArgs`'s "Unknown option '--tsks'" in command `cmd`: the flag it most plausibly misspells
 * (" (did you mean --tasks?)"), or the empty string.
 */
function flagSuggestion(cmd: string | undefined, message: string, args: readonly string[] = []): string {
  if (cmd === undefined || !COMMANDS.includes(cmd)) return '';
  const flags = Object.keys(COMMAND_OPTIONS[cmd as keyof typeof COMMAND_OPTIONS]);
  // Copied from another command (found by an API trial): these two read files only, and make no env.
  if (message.includes("Unknown option '--env-module'") && (cmd === 'inspect' || cmd === 'plot')) return ` (${cmd} reads the run's files only and makes no env: leave --env-module out)`;
  if (message.includes("Unknown option '--")) return unknownFlagHint(message, flags);
  // A flag written with one dash (-iterations): the parser reads its letters as short options and names the first.
  const letter = /Unknown option '-([^-'])'/.exec(message)?.[1];
  const word = args.find((a) => a.startsWith(`-${letter}`) && /^-[a-z][a-z-]+(=.*)?$/.test(a));
  if (word === undefined) return '';
  const name = word.slice(1).split('=')[0]!;
  return flags.includes(name) ? ` (did you mean --${name}? flags take two dashes)` : didYouMean(name, flags, (f) => `--${f}`);
}

/**
 * For `parseArgs`'s "Option '--seed' argument is ambiguous" (a value starting with a dash, such as
 * `--seed -3`) and "Option '--random' does not take an argument" (`--random=1`): the flag and the
 * value in metarl's form, or undefined for another message.
 */
function dashValueMessage(args: readonly string[], message: string): string | undefined {
  // A switch given a value (--first-order=false): the value too, and how to say it (found by a bad-input trial).
  const switchFlag = /^Option '(--[^']+)' does not take an argument/.exec(message)?.[1];
  if (switchFlag !== undefined) {
    const given = args.find((a) => a.startsWith(`${switchFlag}=`))?.slice(switchFlag.length + 1);
    return `${switchFlag}: is a switch and takes no value${given !== undefined ? ` (got ${JSON.stringify(given)})` : ''}: give ${switchFlag} alone to turn it on, or leave it out`;
  }
  const flag = /^Option '(--[^']+)' argument is ambiguous/.exec(message)?.[1];
  if (flag === undefined) return undefined;
  // The occurrence the parser stopped at: the one followed by an argument starting with a dash.
  const i = args.findIndex((a, j) => a === flag && (args[j + 1] ?? '').startsWith('-'));
  const value = args[i + 1] ?? '';
  if (value.startsWith('--')) return `${flag}: needs a value, and the next argument is the flag ${value.split('=')[0]}`;
  return `${flag}: takes a value, and the next argument ${JSON.stringify(value)} starts with a dash, so it is read as an option (no metarl flag takes a negative number; to give a value that starts with a dash, such as a file name, write ${flag}=${value})`;
}

/**
 * The error, among `e` and its causes, in which the file system refused an operation (no permission,
 * a read-only or full disk, a file put where a folder of the output was to be during the work), or null.
 */
function fileSystemRefusal(e: unknown): Error | null {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR'].includes((x as NodeJS.ErrnoException).code ?? '')) return x;
  }
  return null;
}

/** Errors of image data that cannot be used (the Omniglot loaders'). */
const DATA_ERRORS = ['OmniglotDataFault', 'ImageFolderError', 'OmniglotDataError'];

/**
 * What `e`, or an error it was caused by (also inside a task's failure), says is at fault: the env's
 * breach of the env contract (an {@link EnvContractError}), the image data, a diverged adaptation step,
 * a worker thread that died, or none of these (null).
 */
function faultKind(e: unknown, taskFailed: new (...args: never[]) => { causeName: string }): 'contract' | 'data' | 'diverged' | 'died' | null {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const name = x instanceof taskFailed ? x.causeName : x.name;
    if (x instanceof EnvContractError || name === 'EnvContractError') return 'contract';
    if (DATA_ERRORS.includes(name)) return 'data';
    if (name === 'StepDivergedError' || name === 'PolicyNotFiniteError') return 'diverged';
    // The pool's words for a thread that ended (src/worker-pool.ts): the code it ran, not metarl's stack, is where to look.
    if (/worker thread exited unexpectedly with code -?\d+/.test(x.message)) return 'died';
  }
  return null;
}

/**
 * The one line (ending in a newline) that command line `argv` prints for `e` when `e` is a user
 * error (exit code 2: a bad flag, config, path, run or data set), or undefined for any other error.
 */
export function userErrorLine(e: unknown, argv: readonly string[]): string | undefined {
  const err = e as Error & { code?: string };
  const userError =
    e instanceof ConfigError || e instanceof UsageError || e instanceof UnknownEnvError || e instanceof CheckpointError || e instanceof OmniglotDataError || (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS'));
  if (!userError) return undefined;
  // An env of one's own is registered by a module the command must be told about.
  const hint = e instanceof UnknownEnvError ? unknownEnvHint() : err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? flagSuggestion(argv[0], err.message, argv.slice(1)) : '';
  const message = err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? (dashValueMessage(argv.slice(1), err.message) ?? err.message) : err.message;
  // The id given with --env is named as the flag's value, as other flags' are (found by a bad-input trial).
  const envFlag = e instanceof UnknownEnvError && argv.some((a, i) => (a === '--env' && argv[i + 1] === e.id) || a === `--env=${e.id}`) ? '--env: ' : '';
  return `metarl: ${envFlag}${e instanceof UsageError ? message : message.replace(/\s*\n\s*/g, ' ')}${hint}\n`;
}

/**
 * Runs the command line `argv` (the arguments after `metarl`) in this process, as the `metarl`
 * command does: its output goes to stdout and stderr, and a failure ends the process (exit code 2
 * for a user error, 1 otherwise, after a message saying what happened and how to go on).
 */
export async function runCli(argv: string[]): Promise<void> {
  // Output piped into a reader that stops early (`metarl check | head`, `metarl train 2>&1 | head`):
  // write no more, quietly. The command still runs to its end, so its exit code (check's 1 for
  // problems) is kept, and training is not cut off by its log (found by an edge-input trial: the
  // closed stderr pipe ended training at once, leaving its lock).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
  try {
    await main(argv);
  } catch (e) {
    await reportFailure(e, argv);
  }
}

/** Reports the failure `e` of command line `argv` on stderr and ends the process with its exit code. */
async function reportFailure(e: unknown, argv: readonly string[]): Promise<never> {
  const err = e as Error & { code?: string };
  const line = userErrorLine(e, argv);
  if (line !== undefined) {
    process.stderr.write(line);
    process.exit(2);
  }
  // Not a user error: the command's modules are loaded (so these imports take no time).
  const [{ trainingStop }, { TaskFailedError }] = await Promise.all([import('../agents/trainer.ts'), import('../agents/shards.ts')]);
  // Training that stopped in an iteration: what the run keeps, and how to go on.
  const stop = trainingStop(e);
  const flags = envModuleFlags();
  const stopLine = !stop
    ? ''
    : `metarl: training stopped in iteration ${stop.iteration}; ${
        stop.checkpoint !== null
          ? `${stop.out} keeps its checkpoint of iteration ${stop.checkpoint}, from which \`${resumeCommand(stop.out, stop.iterations)}\` continues`
          : stop.removed
            ? `no checkpoint had been written, so nothing is kept, and ${stop.out} is left as it was: run the same command again once the cause is fixed`
            : `${stop.out} has no checkpoint yet, and \`${resumeCommand(stop.out, stop.iterations)}\` starts it over from iteration 0`
      }\n`;
  // An env that breaks the contract (a missing method, a wrong-length or NaN observation, a NaN reward):
  // metarl found the fault, so its stack says nothing about where it is.
  const fault = faultKind(e, TaskFailedError);
  if (fault === 'contract') {
    process.stderr.write(`metarl: the env does not keep the env contract: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}\n${stopLine}${envModuleFaultHint(true)}`);
    process.exit(1);
  }
  // A policy whose parameters or actions are not finite (an inner step too large, found by a bad-input trial): metarl's stack says nothing about it.
  if (fault === 'diverged') {
    process.stderr.write(`metarl: the policy diverged: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}; the usual cause is a step size too large (adaptation.fastLr in the config)\n${stopLine}`);
    process.exit(1);
  }
  // A worker thread that ended (process.exit in an env's code, a native crash): found by a crash trial, which got a stack.
  if (fault === 'died') {
    process.stderr.write(`metarl: a worker thread died: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}; what ran in it ended its thread (an env's code calling process.exit, or a crash of native code)\n${stopLine}${envModuleFaultHint()}`);
    process.exit(1);
  }
  // Image data that cannot be used (too few characters or images, an image that does not decode): the data is to fix.
  if (fault === 'data') {
    process.stderr.write(`metarl: the data cannot be used: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}\n${stopLine}`);
    process.exit(2);
  }
  // A fault in one's own env (an --env-module's code threw): the message and where in that code, not metarl's stack.
  const frames = flags ? userFrames(e) : [];
  // metarl throws Errors only: a string (or other value) thrown during a task comes from the env's code, with no stack to show.
  const threwValue = flags !== '' && e instanceof TaskFailedError && e.threw === 'value';
  if (frames.length > 0 || threwValue) {
    const where = frames.length > 0 ? frames.slice(0, 8).map((f) => `    at ${f}\n`).join('') : '    (it threw a value that is not an Error, which has no stack: throw an Error to see the file and line)\n';
    process.stderr.write(`metarl: the env failed: ${(err.message ?? String(e)).replace(/\s*\n\s*/g, ' ')}\n${where}${stopLine}${envModuleFaultHint(true)}`);
    process.exit(1);
  }
  // metarl's own write refused by the file system (permissions, a read-only or full disk; an env's own
  // faults are reported above): its one line says where; the paths were checked before the work where they could be.
  const refused = fileSystemRefusal(e);
  if (refused !== null) {
    process.stderr.write(`metarl: the file system refused: ${refused.message}\n${stopLine}`);
    process.exit(1);
  }
  const cause = (err as { cause?: unknown }).cause;
  process.stderr.write(`metarl: internal error: ${err.stack ?? String(e)}\n${cause instanceof Error ? `caused by: ${cause.stack}\n` : ''}${stopLine}${envModuleFaultHint()}`);
  process.exit(1);
}
