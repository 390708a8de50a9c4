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
