/**
 * What the sharded learners (MAML-TRPO's {@link MamlShard}s, the supervised meta-learner's task
 * blocks) share: how a meta-batch is split into blocks and how a failure names its task.
 */
import * as tf from '#tfjs';
import type { BackendName } from '../src/backend.ts';
import type { Task } from '../src/types.ts';
import type { WorkerFailure } from '../src/pool-types.ts';

/**
 * A failure while working on one task: names the task, counting from 1 as people do ("task 3 of 20",
 * with its JSON), while {@link item} is its 0-based index in the meta-batch.
 */
export class TaskFailedError extends Error {
  /** Index of the task in the meta-batch (from 0; the message counts from 1). */
  readonly item: number;
  /** The task itself (its JSON is in the message), or undefined when not known. */
  readonly task: Task | undefined;
  /** What was being done: sampling, metaGradient, fvp, evaluate, … */
  readonly phase: string;
  /** The underlying error's message. */
  readonly reason: string;
  /** What was thrown: an Error (with a stack), or another value such as a string (with none). */
  readonly threw: 'error' | 'value';
  /** The `name` of the Error thrown (`RangeError`, `EnvContractError`, `OmniglotError`, …); `Error` for a value that is not one. */
  readonly causeName: string;
  /** How many tasks the meta-batch has, when known ("task 3 of 20"). */
  readonly total?: number | undefined;

  /**
   * @param item index of the task in the meta-batch (from 0; the message counts from 1).
   * @param task the task itself (its JSON is in the message), or undefined when not known.
   * @param phase what was being done: sampling, metaGradient, fvp, evaluate, …
   * @param reason the underlying error's message.
   * @param threw what was thrown: an Error (with a stack), or another value such as a string (with none).
   * @param causeName the `name` of the Error thrown (`RangeError`, `EnvContractError`, `OmniglotError`, …); `Error` for a value that is not one.
   * @param total how many tasks the meta-batch has, when known ("task 3 of 20").
   */
  constructor(
    item: number,
    task: Task | undefined,
    phase: string,
    reason: string,
    threw: 'error' | 'value' = 'error',
    causeName = 'Error',
    total?: number,
  ) {
    super(`task ${item + 1}${total !== undefined ? ` of ${total}` : ''} ${JSON.stringify(task)} failed during ${phase}: ${reason}`);
    this.item = item;
    this.task = task;
    this.phase = phase;
    this.reason = reason;
    this.threw = threw;
    this.causeName = causeName;
    this.total = total;
    this.name = 'TaskFailedError';
  }
}

/**
 * `.js` when the module at `moduleUrl` (a caller's `import.meta.url`) is of metarl's compiled build
 * (scripts/build.mjs), else `.ts`: the extension of the sibling modules it names at run time, such as
 * the module its worker threads run.
 */
export function ownExtension(moduleUrl: string): '.js' | '.ts' {
  return moduleUrl.endsWith('.js') ? '.js' : '.ts';
}

/** Splits `n` tasks into `parts` contiguous blocks of sizes differing by at most one: `[start, end)` each. */
export function contiguousBlocks(n: number, parts: number): Array<[number, number]> {
  const p = Math.max(1, Math.min(parts, n));
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let j = 0; j < p; j++) {
    const size = Math.floor(n / p) + (j < n % p ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

/**
 * The `round(fraction · n)` (at least one) of `n` tasks that the Fisher-vector products use, evenly
 * spaced (`floor((j + ½) n / k)`), ascending. Tasks are drawn independently, so any fixed positions
 * are a random subset; spacing them spreads the work over the workers' contiguous blocks.
 */
export function fvpTaskIndices(n: number, fraction: number): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`fvpTaskIndices: n must be a positive integer, got ${n}`);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fvpTaskIndices: fraction must be in (0, 1], got ${fraction}`);
  const k = Math.min(n, Math.max(1, Math.round(fraction * n)));
  return Array.from({ length: k }, (_, j) => Math.floor(((j + 0.5) * n) / k));
}

/**
 * Turns a failure of a block of tasks into an error naming the task (index and JSON): a
 * {@link TaskFailedError} as is, a worker's failure with the task it had marked (and the phase and
 * reason its TaskFailedError carried), or, when the worker died between tasks, its whole block.
 * `who` names the learner in the last case.
 */
export function shardFailure(e: unknown, tasks: readonly Task[], blocks: ReadonlyArray<[number, number]>, who: string): Error {
  if (e instanceof TaskFailedError) {
    if (e.total !== undefined) return e;
    // Made where the meta-batch's size was not known: the same failure, counted against it.
    const err = new TaskFailedError(e.item, e.task, e.phase, e.reason, e.threw, e.causeName, tasks.length);
    err.stack = `${err.name}: ${err.message}\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
    return err;
  }
  const wf = e as Partial<WorkerFailure>;
  if (e instanceof Error && wf.name === 'WorkerFailedError' && typeof wf.worker === 'number') {
    const details = wf.details ?? {};
    const where = `in worker ${wf.worker}`;
    const item = wf.item ?? null;
    if (item !== null && item >= 0 && item < tasks.length) {
      const phase = typeof details['phase'] === 'string' ? details['phase'] : (wf.op ?? 'unknown');
      const reason = typeof details['reason'] === 'string' ? `${details['reason']} (${where})` : `${where}: ${wf.reason}`;
      const causeName = typeof details['causeName'] === 'string' ? details['causeName'] : 'Error';
      const err = new TaskFailedError(item, tasks[item], phase, reason, details['threw'] === 'value' ? 'value' : 'error', causeName, tasks.length);
      if (wf.workerStack) err.stack = `${err.name}: ${err.message}\n[worker stack] ${wf.workerStack}`;
      return err;
    }
    const [b0, b1] = blocks[wf.worker] ?? [0, 0];
    const ids = Array.from({ length: b1 - b0 }, (_, i) => b0 + i);
    return new Error(`${who}: worker ${wf.worker} (tasks ${ids.map((i) => `${i + 1} ${JSON.stringify(tasks[i])}`).join(', ')} of ${tasks.length}) failed${wf.op ? ` during ${wf.op}` : ''}: ${wf.reason}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** `e`, thrown while working on task `item` during `phase`, as a {@link TaskFailedError} naming the task (kept as is if it already is one). */
export function asTaskFailure(e: unknown, item: number, task: Task | undefined, phase: string): TaskFailedError {
  if (e instanceof TaskFailedError) return e;
  const err = new TaskFailedError(item, task, phase, e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e), e instanceof Error ? 'error' : 'value', e instanceof Error ? e.name : 'Error');
  err.stack = `${err.name}: ${err.message}\n${e instanceof Error ? (e.stack ?? '') : ''}`;
  return err;
}

/** The backend name `initBackend` needs to reproduce the calling thread's backend in a worker; `who` names the learner in the error. */
export function workerBackend(who: string): BackendName {
  const b = tf.getBackend();
  if (b === 'wasm' || b === 'cpu' || b === 'tensorflow') return b;
  throw new Error(`${who}: backend '${b}' cannot run in worker threads; use workers: 1`);
}
