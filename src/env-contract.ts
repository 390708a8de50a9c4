/**
 * The parts of the env contract (`Env`, `MetaEnv` in ./types.ts) that metarl checks as it goes: an env
 * of one's own that breaks them fails with an {@link EnvContractError} naming the env and the fault,
 * instead of an error deep inside training. `metarl check` (`checkEnv`) checks much more.
 */
import type { MetaEnv } from './types.ts';

/** An env that does not keep the env contract: a missing method, a malformed space, a wrong-length observation, a non-finite reward. */
export class EnvContractError extends Error {
  constructor(
    /** The env's id. */
    readonly env: string,
    /** What is wrong, one entry per fault. */
    readonly problems: readonly string[],
  ) {
    super(`${env}: ${problems.join('; ')}`);
    this.name = 'EnvContractError';
  }
}

const METHODS = ['reset', 'step', 'sampleTasks', 'setTask', 'getTask'] as const;

/**
 * What is wrong with `env`'s shape, without running it: the methods of `MetaEnv` that are missing, the
 * spaces (`shape` [n] with n ≥ 1, `low` and `high` of n entries, low ≤ high) and `maxEpisodeSteps` (a
 * positive integer). An empty list when nothing is.
 */
export function envShapeProblems(env: MetaEnv): string[] {
  const problems: string[] = [];
  const missing = METHODS.filter((m) => typeof (env as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) problems.push(`${missing.map((m) => `${m}()`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (a MetaEnv has reset, step, sampleTasks, setTask and getTask)`);
  for (const [name, s] of [['observationSpace', env.observationSpace], ['actionSpace', env.actionSpace]] as const) {
    const n = s?.shape?.[0];
    if (!Number.isInteger(n) || n! < 1 || s.shape.length !== 1) {
      problems.push(`${name}.shape must be [n] with n ≥ 1, got ${JSON.stringify(s?.shape)}`);
      continue;
    }
    if (s.low?.length !== n || s.high?.length !== n) problems.push(`${name}: low and high must have ${n} entries, got ${s.low?.length} and ${s.high?.length}`);
    else for (let i = 0; i < n!; i++) if (!(s.low[i]! <= s.high[i]!)) problems.push(`${name}: low[${i}] = ${s.low[i]} is not ≤ high[${i}] = ${s.high[i]}`);
  }
  if (!Number.isInteger(env.maxEpisodeSteps) || env.maxEpisodeSteps < 1) problems.push(`maxEpisodeSteps must be a positive integer, got ${JSON.stringify(env.maxEpisodeSteps)}`);
  return problems;
}
