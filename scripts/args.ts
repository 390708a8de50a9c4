import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../src/config.ts';

/**
 * Reads `--name N` from the command line of a benchmark script: a positive integer, or `fallback`
 * when the flag is absent; anything else throws naming the flag and the value.
 */
export function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return value;
}

/**
 * `metarl evaluate` and `metarl compare` draw their held-out test tasks from this seed by default;
 * training streams are keyed differently too.
 */
export const DEFAULT_EVAL_SEED = 20170309;

/**
 * Parses the value of the integer option `--name` of a CLI subcommand: undefined when the option is
 * absent, else an integer ≥ `min`; anything else throws a {@link ConfigError} naming `--name` and the
 * value ("must be a positive integer" for min ≥ 1, "must be a non-negative integer" for min 0).
 */
export function intOpt(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`--${name}`, v, min > 0 ? 'must be a positive integer' : 'must be a non-negative integer');
  return n;
}

/**
 * Reads a `--config FILE.json` (overrides of a config, nested like it): a missing file or bad JSON
 * throws a {@link ConfigError} naming `--config` and the path. The keys are checked when applied.
 */
export function readConfigFile(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError('--config', path, 'file not found');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('--config', path, `is not valid JSON: ${(e as Error).message}`);
  }
}
