/**
 * The env checker (Gymnasium's `check_env` in spirit): what the samplers, the evaluation and the
 * oracle rely on of a {@link MetaEnv}, checked on a few tasks and episodes with random actions.
 * Used by `metarl check` and by the test suite on every registered env. Browser-safe.
 */
import { ConfigError, checkIntOption, checkOptionKeys } from '../src/config.ts';
import { EnvContractError, envShapeProblems, taskListProblems } from '../src/env-contract.ts';
import { checkedReset, checkedStep } from '../src/sampler.ts';
import { createRng, type Rng } from '../src/rng.ts';
import type { Box, MetaEnv, Task } from '../src/types.ts';

/** Settings of {@link checkEnv}. */
export interface CheckEnvOptions {
  /** The id the env is registered under; its instances must carry it. */
  id?: string;
  /** Tasks to draw and roll out (default 3). */
  tasks?: number;
}

function randomAction(space: Box, rng: Rng): Float32Array {
  return Float32Array.from(space.low, (l, i) => {
    const h = space.high[i]!;
    return Number.isFinite(l) && Number.isFinite(h) ? rng.uniformRange(l, h) : rng.normal();
  });
}

/** One episode's observations and rewards, and how it ended; `act(t)` gives the actions (default random). */
function rollout(env: MetaEnv, seed: number, act: (t: number) => Float32Array, problems: string[]) {
  const obs: Float32Array[] = [Float32Array.from(checkedReset(env, { seed }).obs)];
  const rewards: number[] = [];
  for (let t = 0; t < env.maxEpisodeSteps + 1; t++) {
    const r = checkedStep(env, act(t), t);
    obs.push(Float32Array.from(r.obs));
    rewards.push(r.reward);
    if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') {
      problems.push(`step() at t = ${t}: terminated and truncated must be booleans, got ${JSON.stringify(r.terminated)} and ${JSON.stringify(r.truncated)}`);
      return { obs, rewards, steps: t + 1, terminated: Boolean(r.terminated), truncated: Boolean(r.truncated), ended: false };
    }
    if (r.terminated && r.truncated) problems.push(`step() at t = ${t}: terminated and truncated are both set (truncated is for the time limit of a step that is not terminal)`);
    if ((r.terminated || r.truncated) && t + 1 > env.maxEpisodeSteps) problems.push(`an episode ended after ${t + 1} steps, past maxEpisodeSteps (${env.maxEpisodeSteps})`);
    if (r.terminated || r.truncated) return { obs, rewards, steps: t + 1, terminated: r.terminated, truncated: r.truncated, ended: true };
  }
  problems.push(`an episode ran past maxEpisodeSteps (${env.maxEpisodeSteps}) without being truncated`);
  return { obs, rewards, steps: env.maxEpisodeSteps + 1, terminated: false, truncated: false, ended: false };
}

/** JSON with object keys sorted: tasks are equal whatever the order of their keys. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}

/** A float32 bound as written (0.2, not 0.20000000298023224). */
const bound = (x: number) => String(Number(x.toPrecision(7)));

const same = (a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]) =>
  a.length === b.length && a.every((x, i) => x.length === b[i]!.length && Array.from(x).every((v, j) => Object.is(v, b[i]![j])));

/**
 * What is wrong with the env `make` builds: an empty list when nothing is. Checks that
 * - `id` is the registered id (`opts.id`), the spaces are well formed, `maxEpisodeSteps` is a positive integer;
 * - `sampleTasks` is reproducible from the rng's state, varies with it, and gives JSON tasks that
 *   `setTask`/`getTask` round-trip; `setTask` refuses a task with a field left out; `taskVector`, where defined, has `taskDim` finite entries;
 * - the same seed, task and actions give the same trajectory, also with another instance stepped in between;
 * - observations have the space's length, are finite and inside the space; rewards are finite;
 * - an episode ends by `maxEpisodeSteps` (truncated unless terminal) and `step` after the end throws.
 * A method that throws is reported as a problem, with its message.
 */
export function checkEnv(make: () => MetaEnv, opts: CheckEnvOptions = {}): string[] {
  if (typeof make !== 'function') throw new ConfigError('make', typeof make === 'string' ? make : typeof make, 'must be a function returning a new env, e.g. () => make(id)');
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ id, tasks }, each optional)');
  checkOptionKeys(opts, { id: true, tasks: true }, 'checkEnv');
  checkIntOption('tasks', opts.tasks, 1, true);
  const problems: string[] = [];
  const attempt = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      // A contract fault found on the way (reset returning the observation itself) is said as such.
      if (e instanceof EnvContractError) problems.push(...e.problems);
      else problems.push(`${what} threw: ${(e as Error).message ?? String(e)}`);
    }
  };
  let env: MetaEnv | undefined;
  try {
    env = make();
  } catch (e) {
    // `make(id)` refuses an env whose shape is wrong: list its faults as the checks below would.
    if (e instanceof EnvContractError) problems.push(...e.problems);
    else problems.push(`the factory threw: ${(e as Error).message ?? String(e)}`);
  }
  if (!env) return problems;
  const e = env;

  if (opts.id !== undefined && e.id !== opts.id) problems.push(`id is ${JSON.stringify(e.id)}, but the env is registered as ${JSON.stringify(opts.id)}`);
  problems.push(...envShapeProblems(e));
  if (problems.length > 0) return problems; // the rest needs well-formed spaces

  const n = opts.tasks ?? 3;
  let tasks: Task[] = [];
  attempt('sampleTasks', () => {
    tasks = e.sampleTasks(n, createRng(7).fork('tasks'));
    // An array of n task objects of plain JSON data (they reach the workers and the logs as JSON).
    const bad = taskListProblems(tasks, n, `sampleTasks(${n}, rng)`);
    if (bad.length > 0) {
      problems.push(...bad);
      tasks = [];
      return;
    }
    if (canonical(e.sampleTasks(n, createRng(7).fork('tasks'))) !== canonical(tasks)) problems.push('sampleTasks is not reproducible: the same rng state gave other tasks (draw from the rng given, not Math.random)');
    // 20 draws: tasks from a small discrete set (a direction ±1) may coincide for 3.
    const twenty = e.sampleTasks(20, createRng(7).fork('tasks'));
    if (canonical(e.sampleTasks(20, createRng(8).fork('tasks'))) === canonical(twenty)) problems.push('sampleTasks gave the same 20 tasks for two different rng states');
    if (new Set(twenty.map(canonical)).size === 1) problems.push('sampleTasks gave 20 identical tasks: there is no task distribution to meta-learn');
  });
  // An env with its own held-out tasks (Omniglot's test split): evaluate and compare draw from it.
  const held = (e as { heldOutTasks?: unknown }).heldOutTasks;
  if (typeof held === 'function') {
    attempt('heldOutTasks (the test tasks evaluate and compare draw)', () => {
      const h = (held as (n: number, rng: Rng) => unknown).call(e, n, createRng(7).fork('held-out'));
      problems.push(...taskListProblems(h, n, `heldOutTasks(${n}, rng)`));
    });
  }
  // A task with a field left out (a task file's typo) must be refused by setTask, not run as some other task.
  const first = tasks[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    attempt('setTask of a task with a field left out', () => {
      for (const key of Object.keys(first)) {
        const { [key]: _, ...rest } = first as Record<string, unknown>;
        let refused = false;
        try {
          e.setTask(rest as Task);
        } catch {
          refused = true;
        }
        if (!refused) problems.push(`setTask took task 1 without its field ${JSON.stringify(key)} (${JSON.stringify(rest)}); it should throw, naming the field, so that a task file's typo is not run as another task`);
      }
      e.setTask(first);
    });
  }
  for (const [k, t] of tasks.entries()) {
    attempt(`setTask/getTask of task ${k + 1}`, () => {
      const json = JSON.stringify(t);
      e.setTask(JSON.parse(json) as Task);
      if (canonical(e.getTask()) !== canonical(t)) problems.push(`task ${k + 1} does not round-trip through JSON, setTask and getTask: ${json} came back as ${JSON.stringify(e.getTask())}`);
    });
    if (e.taskVector) {
      attempt(`taskVector of task ${k + 1}`, () => {
        const v = e.taskVector!(t);
        // Written out by String, not JSON (which shows NaN as null).
        const shown = `[${Array.from(v, (x) => String(x)).join(', ')}]`;
        if (e.taskDim === undefined || v.length !== e.taskDim || !Array.from(v).every(Number.isFinite)) {
          problems.push(`taskVector(task ${k + 1}) must have taskDim (${e.taskDim}) finite entries, got ${v.length === e.taskDim ? '' : `${v.length} entries: `}${shown}`);
        }
      });
    }
  }
  if (tasks.length === 0) return problems;

  attempt('a seeded rollout', () => {
    const act = (seed: number) => {
      const rng = createRng(seed).fork('act');
      return () => randomAction(e.actionSpace, rng);
    };
    const a = make();
    const b = make();
    const other = make();
    a.setTask(tasks[0]!);
    b.setTask(tasks[0]!);
    other.setTask(tasks[Math.min(1, tasks.length - 1)]!);
    const ra = rollout(a, 123, act(1), problems);
    other.reset({ seed: 9 });
    for (let i = 0; i < 5; i++) {
      const r = other.step(randomAction(other.actionSpace, createRng(2).fork(i)));
      if (r.terminated || r.truncated) other.reset();
    }
    const rb = rollout(b, 123, act(1), []);
    if (!same(ra.obs, rb.obs) || !same([ra.rewards], [rb.rewards])) problems.push('the same reset seed, task and actions gave another trajectory (the env keeps state outside its instance, or draws from an unseeded source)');
    // Another task must change something: the observations or the rewards (non-finite rewards,
    // reported below, could hide the difference).
    const k = tasks.findIndex((t) => canonical(t) !== canonical(tasks[0]));
    if (k > 0 && ra.rewards.every(Number.isFinite)) {
      const c = make();
      c.setTask(tasks[k]!);
      const rc = rollout(c, 123, act(1), []);
      if (same(ra.obs, rc.obs) && same([ra.rewards], [rc.rewards])) problems.push(`tasks 1 and ${k + 1} differ but gave the same observations and rewards from the same reset seed and actions: setTask seems to have no effect`);
    }
  });

  const { low, high } = e.observationSpace;
  for (const [k, task] of tasks.entries()) {
    attempt(`the episode of task ${k + 1}`, () => {
      e.setTask(task);
      const rng = createRng(3).fork(k);
      const r = rollout(e, k, () => randomAction(e.actionSpace, rng), problems);
      for (const [t, o] of r.obs.entries()) {
        const where = t === 0 ? 'reset' : `step() at t = ${t - 1}`; // t counts from 0, as the sampler's messages do
        if (o.length !== low.length) {
          problems.push(`task ${k + 1}, ${where}: observation of length ${o.length}, observationSpace.shape is [${low.length}]`);
          return;
        }
        const bad = Array.from(o).findIndex((x, i) => !Number.isFinite(x) || x < low[i]! || x > high[i]!);
        if (bad >= 0) {
          const x = o[bad]!;
          problems.push(`task ${k + 1}, ${where}: observation[${bad}] = ${Number.isFinite(x) ? `${x} is outside [${bound(low[bad]!)}, ${bound(high[bad]!)}]` : `${x} is not finite`}`);
          return;
        }
      }
      const t = r.rewards.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
      if (t >= 0) {
        const x: unknown = r.rewards[t];
        problems.push(`task ${k + 1}, step() at t = ${t}: reward ${typeof x === 'number' ? `${x} is not a finite number` : `${typeof x === 'string' ? JSON.stringify(x) : String(x)} is ${x === null ? 'null' : `a ${typeof x}`}, not a number`}`);
      }
    });
  }

  attempt('an episode of zero actions', () => {
    e.setTask(tasks[0]!);
    const zero = new Float32Array(e.actionSpace.shape[0]).map((_, i) => Math.min(Math.max(0, e.actionSpace.low[i]!), e.actionSpace.high[i]!));
    const r = rollout(e, 0, () => zero, problems);
    if (!r.ended) return; // said already; stepping on after it would only repeat it
    if (r.truncated && r.steps !== e.maxEpisodeSteps) problems.push(`an episode was truncated after ${r.steps} steps, not at maxEpisodeSteps (${e.maxEpisodeSteps})`);
    let threw = false;
    try {
      e.step(zero);
    } catch {
      threw = true;
    }
    if (!threw) problems.push('step after the end of an episode did not throw (it must, until reset is called)');
  });
  return collapse(problems);
}

/**
 * `problems` with repeats said once: the same fault in several episodes with its count, and the same
 * fault of several tasks (`task k, …`) once, naming the tasks.
 */
function collapse(problems: readonly string[]): string[] {
  const counts = new Map<string, number>();
  const tasksOf = new Map<string, number[]>();
  for (const p of problems) {
    const m = /^task (\d+), (.*)$/s.exec(p);
    const key = m ? `task ·, ${m[2]}` : p;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (m) tasksOf.set(key, [...(tasksOf.get(key) ?? []), Number(m[1])]);
  }
  return [...counts].map(([p, n]) => {
    const ks = tasksOf.get(p);
    if (ks) {
      const distinct = [...new Set(ks)];
      const head = `task${distinct.length > 1 ? 's' : ''} ${distinct.join(', ')}, ${p.slice('task ·, '.length)}`;
      return n > distinct.length ? `${head} (${n} times)` : head;
    }
    return n > 1 ? `${p} (${n} times)` : p;
  });
}
