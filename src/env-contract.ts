/**
 * The parts of the env contract (`Env`, `MetaEnv` in ./types.ts) that metarl checks as it goes: an env
 * of one's own that breaks them fails with an {@link EnvContractError} naming the env and the fault,
 * instead of an error deep inside training. `metarl check` (`checkEnv`) checks much more.
 */
import type { MetaEnv, SupervisedMetaEnv } from './types.ts';

/** True for horizon-1 envs with a differentiable loss (they train with `SupervisedMetaLearner`, in metarl/agents). */
export function isSupervised(env: MetaEnv): env is SupervisedMetaEnv {
  return typeof (env as Partial<SupervisedMetaEnv>).sampleBatch === 'function';
}

/** The preset for env id `env` told from the id alone: `sine`, `omniglot`, `cheetah` for `HalfCheetah…`, else `navigation`. */
export function defaultPreset(env: string): string {
  if (env.startsWith('Sine')) return 'sine';
  if (env.startsWith('Omniglot')) return 'omniglot';
  return env.startsWith('HalfCheetah') ? 'cheetah' : 'navigation';
}

/**
 * The preset `metarl train` uses for `env` when none is given: by the env's kind for a supervised
 * env (`sine` for regression, `omniglot` for classification), so that one of one's own with another
 * name gets a supervised config; else by its id (`defaultPreset`: `cheetah` for `HalfCheetah…`,
 * otherwise `navigation`).
 */
export function presetFor(env: MetaEnv): string {
  if (isSupervised(env)) return env.loss === 'mse' ? 'sine' : 'omniglot';
  return defaultPreset(env.id);
}

/** An env that does not keep the env contract: a missing method, a malformed space, a wrong-length observation, a non-finite reward. */
export class EnvContractError extends Error {
  /** The env's id. */
  readonly env: string;
  /** What is wrong, one entry per fault. */
  readonly problems: readonly string[];

  /**
   * @param env the env's id.
   * @param problems what is wrong, one entry per fault.
   */
  constructor(
    env: string,
    problems: readonly string[],
  ) {
    super(`${env}: ${problems.join('; ')}`);
    this.env = env;
    this.problems = problems;
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
    if (s === undefined || s === null) {
      problems.push(`${name} is missing (a Box: { shape: [n], low, high })`);
      continue;
    }
    const n = s.shape?.[0];
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

/**
 * Why `value` is not plain JSON data (the form tasks take on their way to worker threads, into
 * `progress.jsonl` and task files), naming the first offending field as a path from `path`; null
 * when it is. Plain data: objects of the Object prototype, arrays, strings, booleans, null and
 * finite numbers. A class instance loses its methods and a typed array becomes an object, so such a
 * task would behave differently on a worker than in the main thread.
 */
export function jsonDataProblem(value: unknown, path: string, seen: Set<object> = new Set()): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is ${value}, not a finite number (JSON has no ${value})`;
  if (typeof value !== 'object') return `${path} is ${typeof value === 'bigint' ? 'a BigInt' : typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, not JSON data`;
  if (seen.has(value)) return `${path} refers back to an enclosing object (a cycle), which JSON cannot hold`;
  if (ArrayBuffer.isView(value)) return `${path} is a ${value.constructor.name}, which JSON writes as an object of indices: use a plain array (Array.from)`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const p = jsonDataProblem(value[i], `${path}[${i}]`, seen);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path} is an instance of ${proto?.constructor?.name ?? 'a class'}, which loses its class (and methods) as JSON: use a plain object`;
    for (const [k, v] of Object.entries(value)) {
      const p = jsonDataProblem(v, `${path}.${k}`, seen);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/**
 * What is wrong with `tasks` as `n` tasks of plain JSON data: the first fault (with how many other
 * tasks have one), or an empty list.
 */
export function taskListProblems(tasks: unknown, n: number, call: string): string[] {
  if (!Array.isArray(tasks)) return [`${call} returned ${tasks === null ? 'null' : typeof tasks === 'object' ? 'an object' : typeof tasks}, not an array of ${n} tasks`];
  if (tasks.length !== n) return [`${call} returned ${tasks.length} task${tasks.length === 1 ? '' : 's'}, not ${n}`];
  const faults: string[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const t: unknown = tasks[i];
    if (t === null || typeof t !== 'object' || Array.isArray(t)) {
      faults.push(`${call}: task ${i + 1} of ${n} is ${t === null ? 'null' : Array.isArray(t) ? 'an array' : `a ${typeof t} (${String(t)})`}, not a task object such as { goal: [x, y] }`);
      continue;
    }
    const p = jsonDataProblem(t, 'task');
    if (p) faults.push(`${call}: task ${i + 1} of ${n}: ${p}`);
  }
  if (faults.length === 0) return [];
  return [faults.length === 1 ? faults[0]! : `${faults[0]} (and ${faults.length - 1} more of the ${n} tasks)`];
}

/**
 * `env.sampleTasks(n, rng)` (or `heldOutTasks` with `heldOut`, when the env has it), checked: an
 * array of `n` tasks of plain JSON data.
 * @throws EnvContractError naming the env and the fault.
 */
export function drawTasks<T extends object>(env: { id: string; sampleTasks(n: number, rng: never): T[]; heldOutTasks?(n: number, rng: never): T[] }, n: number, rng: unknown, heldOut = false): T[] {
  const method = heldOut && typeof env.heldOutTasks === 'function' ? 'heldOutTasks' : 'sampleTasks';
  const tasks = (method === 'heldOutTasks' ? env.heldOutTasks!(n, rng as never) : env.sampleTasks(n, rng as never)) as unknown;
  const problems = taskListProblems(tasks, n, `${method}(${n}, rng)`);
  if (problems.length > 0) throw new EnvContractError(env.id, problems);
  return tasks as T[];
}
